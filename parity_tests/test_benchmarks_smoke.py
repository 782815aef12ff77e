"""Smoke test of ``python -m benchmarks`` on a tiny grid (the only test that imports ``benchmarks``).

Runs the real command-line entry point in-process once, on the CPU, with sizes of a few hundred
elements and millisecond timing runs, and checks the outputs are complete and self-consistent:
every operation x implementation has a row, ratios are the quotients of the reported medians,
the parity column compares the implementations with the reference on the same inputs, and the
JSON / Markdown / plot files are written.  Timing values themselves are not asserted on.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from benchmarks import cases
from benchmarks.__main__ import main

# The harness, not the implementations, is under test: comparing against the reference on other
# inputs or with another reduction gives relative errors of order 1 on these inputs (checked in
# test_parity_column_detects_mismatched_inputs); the implementations' precision is the business
# of the parity tests and tolerances.py.
MISWIRED = 1e-3

TINY = ["--sizes", "96x5", "--devices", "cpu", "--min-run-time", "0.002", "--rounds", "1", "--seed", "3"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    capture = pytest.MonkeyPatch()
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    capture.setattr(sys, "stdout", stdout)
    capture.setattr(sys, "stderr", stderr)
    try:
        code = main([*TINY, "--clock", "cpu", "--json", str(out / "r.json"), "--markdown", str(out / "r.md")])
    finally:
        capture.undo()
    return {"code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "json": json.loads((out / "r.json").read_text()), "md": (out / "r.md").read_text()}


def test_runs_and_reports_every_op_and_impl(smoke: dict[str, Any]) -> None:
    assert smoke["code"] == 0
    rows = smoke["json"]["rows"]
    ops = cases.all_ops()
    got = {(r["op"], r["impl"]) for r in rows}
    want = {(op.name, impl.name) for op in ops.values() for impl in op.impls}
    assert got == want
    assert all(r["size"] == "96x5" and r["device"] == "cpu" for r in rows)
    for r in rows:
        assert r["fwd_ms"] > 0 and math.isfinite(r["fwd_ms"]), r
        differentiable = r["role"] != "reference" and ops[r["op"]].differentiable
        assert (r["fwdbwd_ms"] is not None) == differentiable, r
        assert r["peak_mib"] is not None and r["peak_mib"] >= 0, r


def test_progress_lines_and_table(smoke: dict[str, Any]) -> None:
    n_cases = len(cases.all_ops())
    progress = [line for line in smoke["stderr"].splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in progress] == [f"[{k}/{n_cases}" for k in range(1, n_cases + 1)]
    table = smoke["stdout"].splitlines()
    assert table[0].split()[:4] == ["op", "N", "x", "C"]
    assert len(table) == 2 + len(smoke["json"]["rows"])


def test_ratios_are_quotients_of_medians(smoke: dict[str, Any]) -> None:
    rows = smoke["json"]["rows"]
    by_key = {(r["op"], r["impl"]): r for r in rows}
    ratios = 0
    for r in rows:
        if r["anchor"] is None:
            assert r["fwd_ratio"] is None
            continue
        anchor = by_key[(r["op"], r["anchor"])]
        assert r["fwd_ratio"] == pytest.approx(r["fwd_ms"] / anchor["fwd_ms"], rel=1e-12)
        if r["fwdbwd_ms"] is not None:
            assert r["fwdbwd_ratio"] == pytest.approx(r["fwdbwd_ms"] / anchor["fwdbwd_ms"], rel=1e-12)
        ratios += 1
    candidates = [r for r in rows if r["role"] == "candidate"]
    assert all(r["anchor"] is not None for r in candidates if cases.all_ops()[r["op"]].anchor_for.get("torch"))
    assert ratios >= len(candidates)


def test_parity_column(smoke: dict[str, Any]) -> None:
    for r in smoke["json"]["rows"]:
        exact = next(i for i in cases.all_ops()[r["op"]].impls if i.name == r["impl"]).exact
        if r["role"] == "reference" or not exact:
            assert r["value_err"] is None, r
            continue
        assert r["value_err"] is not None and r["value_err"] < MISWIRED, r
        if r["fwdbwd_ms"] is not None:
            assert r["grad_err"] is not None and r["grad_err"] < MISWIRED, r


def test_parity_column_detects_mismatched_inputs() -> None:
    """The error measure the parity column uses flags other inputs at the MISWIRED level."""
    from benchmarks import measure

    op = cases.all_ops()["focal_loss"]
    size = cases.Size(96, 5)
    ref = next(i for i in op.impls if i.role == "reference")
    seeds = [cases.make_problem("softmax", cases.draw("softmax", size, s), 5, torch.float32, "cpu") for s in (3, 4)]
    same, other = (cases.call(ref, p, p.x_np, "none") for p in seeds)
    assert measure.max_relative_error(same, same) == 0.0
    assert measure.max_relative_error(other, same) > MISWIRED


def test_environment_record(smoke: dict[str, Any]) -> None:
    env = smoke["json"]["environment"]
    assert env["torch_threads"] == torch.get_num_threads()
    assert env["versions"]["torch"] == torch.__version__.split("+")[0] or env["versions"]["torch"] == torch.__version__
    for key in ("allocator_env", "allocator_note", "libc", "memcpy_gbps", "load_average_1_5_15min", "command"):
        assert key in env
    assert smoke["json"]["settings"]["sizes"] == ["96x5"]
    assert env["timing"] == {"clock": "cpu", "rounds": 1, "min_run_time": 0.002, "seed": 3}


def test_markdown(smoke: dict[str, Any]) -> None:
    md = smoke["md"]
    assert "| op | N x C | device | impl |" in md
    for op in cases.all_ops():
        assert f"| {op} | 96x5 | cpu |" in md
    assert "torch threads:" in md and "versions:" in md and "timing: cpu clock" in md


@pytest.mark.parametrize("argv, message", [
    (["--sizes", "96x"], "size must look like NxC"),
    (["--sizes", "96x1"], "size needs N >= 1 and C >= 2"),
    (["--devices", "tpu"], "devices must be cpu or cuda[:k]"),
    (["--ops", "nope"], "invalid choice: 'nope'"),
    (["--threads", "0"], "--threads must be >= 1; got 0."),
    (["--rounds", "0"], "--rounds must be >= 1; got 0."),
    (["--clock", "gpu"], "invalid choice: 'gpu'"),
])
def test_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_requested_without_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--devices", "cpu,cuda"])
    assert "torch.cuda.is_available() is False" in capsys.readouterr().err


def test_plot_without_matplotlib(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    with pytest.raises(SystemExit) as exc:
        main([*TINY, "--plot", str(tmp_path / "p.png")])
    assert exc.value.code == 2
    assert "--plot needs matplotlib" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


def test_plot_and_thread_setting_restored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "p.png"
    threads = torch.get_num_threads()
    other = 1 if threads > 1 else 2
    argv = [*TINY, "--ops", "softmax_cross_entropy", "--no-backward", "--threads", str(other), "--json",
            str(tmp_path / "r.json"), "--plot", str(path)]
    assert main(argv) == 0
    assert torch.get_num_threads() == threads
    assert json.loads((tmp_path / "r.json").read_text())["environment"]["torch_threads"] == other
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "softmax_cross_entropy" in capsys.readouterr().out
