"""The ``lossref`` command line: exit codes 0/1/2, both ways of naming the function, and a fresh install.

The subprocess tests run the console script of the environment (``<venv>/bin/lossref``, installed
by ``pip install -e .``) and of a fresh non-editable install (``pip install --target``), from a
working directory outside the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from torch_impl.cli import main
from torch_impl.registry import loss_names, loss_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPT = Path(sys.executable).parent / "lossref"
FAST = ["--examples", "60", "--seed", "0"]


def _run(args: list[str], *, script: Path = SCRIPT, cwd: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# ----------------------------------------------------------------------------- in process
def test_list_shows_every_loss_and_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in loss_names():
        assert f"\n{name}  (also: " in f"\n{out}"
        for key, default in loss_settings(name).items():
            assert f"    {key} = {default!r}" in out


def test_verify_match_and_mismatch_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    good = f"{EXAMPLES / 'correct_focal.py'}:focal_loss"
    assert main(["verify", good, "--against", "focal", "--param", "gamma=2", "--param", "weight=[0.25,0.75]", *FAST]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{good} vs focal_loss(gamma=2, weight=[0.25, 0.75]): PASS")

    bad = f"{EXAMPLES / 'focal_detached.py'}:focal_loss"
    assert main(["verify", bad, "--against", "focal", "--param", "gamma=2", *FAST]) == 1
    out = capsys.readouterr().out
    assert "FAIL (gradient)" in out and "smallest failing input found:" in out
    assert main(["verify", bad, "--against", "focal", "--param", "gamma=2", "--no-grad", *FAST]) == 0
    capsys.readouterr()


def test_verify_options_reach_verify_loss(capsys: pytest.CaptureFixture[str]) -> None:
    flat = f"{EXAMPLES / 'ce_flatten_nchw.py'}:segmentation_cross_entropy"
    assert main(["verify", flat, "--against", "cross_entropy", *FAST]) == 0
    assert "logits (N, C) float64 on cpu" in capsys.readouterr().out
    assert main(["verify", flat, "--against", "cross_entropy", "--spatial-dims", "1", *FAST]) == 1
    assert "logits (N, C, d1) float64 on cpu" in capsys.readouterr().out
    sig = f"{EXAMPLES / 'correct_sigmoid_focal.py'}:sigmoid_focal_loss"
    assert main(["verify", sig, "--against", "sigmoid_focal", "--targets", "probs", "--dtype", "float32", *FAST]) == 0
    assert "float32 on cpu, targets in [0, 1]" in capsys.readouterr().out


def test_reduction_none_is_the_string(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    user = tmp_path / "user_ce.py"
    user.write_text("import torch.nn.functional as F\n\n"
                    "def ce(logits, target):\n    return F.cross_entropy(logits, target, reduction='none')\n")
    assert main(["verify", f"{user}:ce", "--against", "cross_entropy", "--param", "reduction=none", *FAST]) == 0
    assert "softmax_cross_entropy(reduction='none'): PASS" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["verify", "nosuchfile.py:f", "--against", "focal"], "lossref: error: no such file: nosuchfile.py"),
    (["verify", "no_such_module_xyz:f", "--against", "focal"], "lossref: error: no module named 'no_such_module_xyz'"),
    (["verify", "examples/correct_focal.py", "--against", "focal"], "lossref: error: expected MODULE:FUNC, got 'examples/correct_focal.py'"),
    (["verify", "examples/correct_focal.py:nope", "--against", "focal"], "lossref: error: examples/correct_focal.py has no attribute 'nope'"),
    (["verify", "examples/correct_focal.py:ALPHA", "--against", "focal"], "lossref: error: examples/correct_focal.py:ALPHA is not callable (got Tensor)"),
    (["verify", "examples/correct_focal.py:focal_loss", "--against", "focla"],
     "lossref: error: --against: `name` must be one of 'cross_entropy', "),
    (["verify", "examples/correct_focal.py:focal_loss", "--against", "focla"], "Did you mean 'focal'?"),
    (["verify", "examples/correct_focal.py:focal_loss", "--against", "focal", "--param", "gama=2"], "Did you mean 'gamma'?"),
    (["verify", "examples/correct_focal.py:focal_loss", "--against", "focal", "--param", "gamma"], "--param must be KEY=VALUE, got 'gamma'"),
    (["verify", "examples/correct_focal.py:focal_loss", "--against", "focal", "--param", "gamma=-1"], "`gamma` must be >= 0"),
    (["verify", "examples/correct_focal.py:focal_loss", "--against", "focal", "--examples", "0"], "`max_examples` must be an int >= 1"),
])
def test_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("lossref: error: ")


@pytest.mark.parametrize("args", [[], ["verify"], ["verify", "m:f"], ["bogus"], ["verify", "m:f", "--against", "focal", "--examples", "x"]])
def test_argparse_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "usage: lossref" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the installed script
@pytest.mark.skipif(not SCRIPT.exists(), reason="the lossref console script is not installed in this environment")
def test_console_script_with_a_path_and_with_a_dotted_module(tmp_path: Path) -> None:
    bad = _run(["verify", str(EXAMPLES / "sigmoid_focal_naive.py") + ":sigmoid_focal_loss", "--against", "sigmoid_focal",
                *FAST], cwd=tmp_path)
    assert bad.returncode == 1, bad.stderr
    assert "FAIL (value non-finite)" in bad.stdout or "FAIL (gradient non-finite)" in bad.stdout

    pkg = tmp_path / "mylosses"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    shutil.copy(EXAMPLES / "correct_soft_f1.py", pkg / "f1.py")
    good = _run(["verify", "mylosses.f1:soft_f1_loss", "--against", "soft_f1", *FAST], cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("mylosses.f1:soft_f1_loss vs soft_f1_loss(): PASS")

    usage = _run(["verify", "mylosses.f1:soft_f1_loss", "--against", "dice"], cwd=tmp_path)
    assert usage.returncode == 2 and "lossref: error: " in usage.stderr


def test_python_dash_m(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "torch_impl.cli", "list"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("cross_entropy  (also: softmax_cross_entropy")


def test_fresh_install(tmp_path: Path) -> None:
    """``pip install .`` (not editable) into an empty target, then the installed ``lossref``."""
    pytest.importorskip("setuptools", reason="building offline (--no-build-isolation) needs setuptools here")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for pkg in ("reference", "torch_impl"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                          "--disable-pip-version-check", "-q", "--target", str(target), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    script = target / "bin" / "lossref"
    assert script.exists()
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "work"
    work.mkdir()
    where = subprocess.run([sys.executable, "-c", "import torch_impl.cli; print(torch_impl.cli.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr  # the installed copy
    assert _run(["list"], script=script, cwd=work, env=env).returncode == 0
    shutil.copy(EXAMPLES / "ce_weighted_mean.py", work / "user_loss.py")
    bad = _run(["verify", "user_loss.py:weighted_cross_entropy", "--against", "cross_entropy",
                "--param", "weight=[1,2,3]", *FAST], script=script, cwd=work, env=env)
    assert bad.returncode == 1 and "FAIL (value)" in bad.stdout, bad.stdout + bad.stderr
    shutil.copy(EXAMPLES / "correct_focal.py", work / "user_focal.py")
    good = _run(["verify", "user_focal:focal_loss", "--against", "focal", "--param", "weight=[0.25,0.75]", *FAST],
                script=script, cwd=work, env=env)
    assert good.returncode == 0 and "PASS" in good.stdout, good.stdout + good.stderr
