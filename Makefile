# `make test`  : create .venv if missing, install lossref editable with its test extra
#                under constraints.txt, and run every test.
# `make bench` : the same environment plus the bench extra, then the benchmark report.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: test bench venv clean

$(VENV)/.installed-test: setup.cfg setup.py constraints.txt pyproject.toml $(wildcard torch_impl/csrc/*.c torch_impl/csrc/*.h)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) -e '.[test,bench]'
	touch $@

venv: $(VENV)/.installed-test

test: $(VENV)/.installed-test
	$(PY) -m mypy --strict --ignore-missing-imports reference torch_impl
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .hypothesis .pytest_cache *.egg-info
