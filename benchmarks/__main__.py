"""Command line: ``python -m benchmarks [--ops ...] [--sizes NxC ...] [--devices cpu,cuda] ...``.

Progress goes to stderr (one line per operation x size x device), the table to stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from . import cases, measure, report
from .cases import Impl, Op, Problem, Size

DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16}


def _parser(op_names: list[str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time lossref's NumPy reference and torch implementation against the built-in anchors "
                    "(F.cross_entropy, F.binary_cross_entropy_with_logits, scikit-learn, torchmetrics).")
    p.add_argument("--ops", nargs="+", choices=op_names, default=op_names, metavar="OP",
                   help=f"operations to time (default: all): {', '.join(op_names)}")
    p.add_argument("--sizes", nargs="+", type=_size, metavar="NxC",
                   help="problem sizes for every op (default: 262144x18 1048576x18 65536x1000 for the losses, "
                        "1000000x18 for f1_score; --quick: 131072x18 8192x1000 and 1000000x18)")
    p.add_argument("--devices", type=_devices, default=None, metavar="cpu,cuda",
                   help="comma-separated devices (default: cpu, plus cuda when a GPU is present)")
    p.add_argument("--dtype", choices=list(DTYPES), default="float32", help="logits dtype (default: float32)")
    p.add_argument("--no-backward", action="store_true", help="time the forward pass only")
    p.add_argument("--quick", action="store_true",
                   help="smaller sizes and shorter timing runs (under 2 minutes on 2 idle cores)")
    p.add_argument("--threads", type=int, default=torch.get_num_threads(),
                   help=f"torch intra-op threads for every timing (default: torch.get_num_threads() = "
                        f"{torch.get_num_threads()})")
    p.add_argument("--min-run-time", type=float, default=None, metavar="SECONDS",
                   help="blocked_autorange min_run_time per measurement (default 0.5, --quick 0.1)")
    p.add_argument("--rounds", type=int, default=None,
                   help="alternating timing rounds per case for the torch rows (default 3, --quick 2)")
    p.add_argument("--clock", choices=measure.CLOCKS, default="wall",
                   help="wall: elapsed time (default); cpu: process CPU time, which does not count time spent "
                        "descheduled on a busy machine (CPU rows only; with --threads 1 it equals the latency of "
                        "an idle machine, with more threads it sums the threads' work)")
    p.add_argument("--seed", type=int, default=0, help="seed of the input generator (default 0)")
    p.add_argument("--json", type=Path, metavar="PATH", help="write rows + environment as JSON")
    p.add_argument("--markdown", type=Path, metavar="PATH", help="write the table + environment as Markdown")
    p.add_argument("--plot", type=Path, metavar="PATH", help="write a ratio bar chart (needs matplotlib)")
    return p


def _size(text: str) -> Size:
    try:
        return cases.parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _devices(text: str) -> list[str]:
    devices = [d.strip() for d in text.split(",") if d.strip()]
    for d in devices:
        if d != "cpu" and not d.startswith("cuda"):
            raise argparse.ArgumentTypeError(f"devices must be cpu or cuda[:k]; got {d!r}.")
    if not devices:
        raise argparse.ArgumentTypeError(f"devices must name at least one device; got {text!r}.")
    return devices


@dataclass
class _Closures:
    """What gets timed for one implementation: ``fwd`` (value only, inputs without grad) and, when
    differentiable, ``step`` (forward + ``torch.autograd.grad``) and ``forward_g`` (a grad-enabled
    forward whose output is held, for the memory kept for backward)."""

    x: Any
    fwd: Callable[[], Any]
    step: Callable[[], Any] | None
    forward_g: Callable[[], Any] | None


def _closures(impl: Impl, problem: Problem, backward: bool) -> _Closures:
    x = problem.x_np if impl.backend == "numpy" else problem.x
    fwd = lambda: cases.call(impl, problem, x, "mean")  # noqa: E731
    if not (backward and impl.differentiable):
        return _Closures(x, fwd, None, None)
    xg = problem.x.detach().requires_grad_()
    step = lambda: torch.autograd.grad(cases.call(impl, problem, xg, "mean"), xg)[0]  # noqa: E731
    forward_g = lambda: cases.call(impl, problem, xg, "mean")  # noqa: E731
    return _Closures(x, fwd, step, forward_g)


def _time_all(closures: dict[str, _Closures], device: str, args: argparse.Namespace,
              rounds: int) -> dict[str, measure.Timing]:
    fns: dict[str, Callable[[], Any]] = {}
    for name, c in closures.items():
        fns[f"{name}|fwd"] = c.fwd
        if c.step is not None:
            fns[f"{name}|step"] = c.step
    return measure.time_interleaved(fns, device=device, threads=args.threads, min_run_time=args.min_run_time,
                                    rounds=rounds, clock=args.clock if device == "cpu" else "wall")


def _measure_impl(op: Op, impl: Impl, problem: Problem, device: str, c: _Closures,
                  timings: dict[str, measure.Timing], oracle: tuple[Any, Any]) -> dict[str, Any]:
    """Row fields of one implementation: times, memory, page faults and parity."""
    t_fwd, t_step = timings[f"{impl.name}|fwd"], timings.get(f"{impl.name}|step")
    out: dict[str, Any] = {
        "fwd_ms": t_fwd.median_s * 1e3, "fwd_iqr_ms": t_fwd.iqr_s * 1e3,
        "fwdbwd_ms": None if t_step is None else t_step.median_s * 1e3,
        "fwdbwd_iqr_ms": None if t_step is None else t_step.iqr_s * 1e3,
        "value_err": None, "grad_err": None, "kept_mib": None, "faults_per_call": None,
    }
    step = c.step or c.fwd
    faults, result = measure.minor_faults(step)
    if device == "cpu":
        out["faults_per_call"] = faults
    if impl.backend == "numpy":
        out["peak_mib"] = measure.numpy_peak(c.fwd) / 2**20
    else:
        peak, kept = measure.torch_memory(step, c.forward_g, device)
        out["peak_mib"], out["kept_mib"] = peak / 2**20, (None if kept is None else kept / 2**20)
    if impl.exact and impl.role != "reference":
        value = cases.call(impl, problem, c.x, "none" if op.elementwise else "mean")
        out["value_err"] = measure.max_relative_error(value, oracle[0])
        if c.step is not None and oracle[1] is not None:
            out["grad_err"] = measure.normwise_error(result, oracle[1])
    return out


def _ratios(rows: list[report.Row], op: Op) -> None:
    """Fill the anchor and the ratios in place (rows of one op x size)."""
    backends = {impl.name: impl.backend for impl in op.impls}
    for row in rows:
        anchor_name = op.anchor_for.get(backends[row.impl])
        anchor = next((r for r in rows if r.impl == anchor_name and r.device == row.device), None)
        if anchor is None or anchor is row:
            continue
        row.anchor = anchor.impl
        row.fwd_ratio = row.fwd_ms / anchor.fwd_ms
        if row.fwdbwd_ms is not None and anchor.fwdbwd_ms is not None:
            row.fwdbwd_ratio = row.fwdbwd_ms / anchor.fwdbwd_ms


def _progress(index: int, total: int, op: Op, size: Size, device: str, rows: list[report.Row],
              started: float) -> None:
    parts = []
    for r in rows:
        t = f"{r.fwd_ms:.3g}" + (f"/{r.fwdbwd_ms:.3g}" if r.fwdbwd_ms is not None else "")
        ratio = r.fwdbwd_ratio if r.fwdbwd_ratio is not None else r.fwd_ratio
        parts.append(f"{r.impl} {t} ms" + (f" ({ratio:.2f}x)" if ratio is not None else ""))
    print(f"[{index}/{total}] {op.name} {size} {device}: " + "; ".join(parts)
          + f"  [{time.perf_counter() - started:.0f} s]", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, ops: list[Op]) -> list[report.Row]:
    dtype = DTYPES[args.dtype]
    itemsize = torch.empty((), dtype=dtype).element_size()
    plan = [(op, size) for op in ops for size in (args.sizes or (
        (cases.LOSS_SIZES_QUICK if args.quick and op.inputs != "labels" else op.default_sizes)))]
    total = sum(len(args.devices) for _ in plan)
    rows: list[report.Row] = []
    started, index = time.perf_counter(), 0
    for op, size in plan:
        for note in op.notes:
            print(f"note: {note}", file=sys.stderr)
        drawn = cases.draw(op.inputs, size, args.seed)
        case_rows: list[report.Row] = []
        oracle: tuple[Any, Any] | None = None
        for d_index, device in enumerate(args.devices):
            problem = cases.make_problem(op.inputs, drawn, size.c, dtype, device)
            if oracle is None:
                ref = next(i for i in op.impls if i.role == "reference")
                value = cases.call(ref, problem, problem.x_np, "none" if op.elementwise else "mean")
                grad = (op.reference_grad(problem.x_np, problem.target_np)
                        if op.reference_grad is not None and not args.no_backward else None)
                oracle = (value, grad)
            impls = [i for i in op.impls if i.backend == "torch" or d_index == 0]  # NumPy runs once
            closures = {i.name: _closures(i, problem, not args.no_backward) for i in impls}
            timings = _time_all({i.name: closures[i.name] for i in impls if i.backend == "torch"}, device,
                                args, args.rounds)
            # NumPy calls take up to seconds at the default sizes: one round
            timings.update(_time_all({i.name: closures[i.name] for i in impls if i.backend == "numpy"}, "cpu",
                                     args, 1))
            device_rows = []
            for impl in impls:
                row_device = "cpu" if impl.backend == "numpy" else device
                fields = _measure_impl(op, impl, problem, row_device, closures[impl.name], timings, oracle)
                numpy_floats = impl.backend == "numpy" and op.inputs != "labels"
                moved = cases.bytes_moved(op, size, 8 if numpy_floats else itemsize, backward=False)
                moved_bwd = cases.bytes_moved(op, size, itemsize, backward=True)
                device_rows.append(report.Row(
                    op=op.name, title=op.title, size=str(size), n=size.n, c=size.c, device=row_device,
                    dtype="float64" if numpy_floats else args.dtype,
                    impl=impl.name, role=impl.role, anchor=None, fwd_ratio=None, fwdbwd_ratio=None,
                    fwd_gbps=moved / (fields["fwd_ms"] / 1e3) / 1e9,
                    fwdbwd_gbps=None if fields["fwdbwd_ms"] is None else moved_bwd / (fields["fwdbwd_ms"] / 1e3) / 1e9,
                    **fields))
            case_rows.extend(device_rows)
            _ratios(case_rows, op)
            index += 1
            _progress(index, total, op, size, device, device_rows, started)
        rows.extend(case_rows)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ops_by_name = cases.all_ops()
    parser = _parser(list(ops_by_name))
    args = parser.parse_args(argv)
    if args.devices is None:
        args.devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if any(d.startswith("cuda") for d in args.devices) and not torch.cuda.is_available():
        parser.error("--devices names cuda but torch.cuda.is_available() is False on this machine.")
    if args.plot is not None and not report.matplotlib_available():
        parser.error("--plot needs matplotlib, which is not installed: pip install matplotlib "
                     "(or `make bench`, which installs the bench extra).")
    if args.threads < 1:
        parser.error(f"--threads must be >= 1; got {args.threads}.")
    if args.rounds is None:
        args.rounds = 2 if args.quick else 3
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1; got {args.rounds}.")
    if args.min_run_time is None:
        args.min_run_time = 0.1 if args.quick else 0.5
    saved = (torch.get_num_threads(), torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:  # the settings below are process-wide: restore them for in-process callers (the smoke test)
        torch.set_num_threads(args.threads)
        if any(d.startswith("cuda") for d in args.devices):  # parity against float64 without TF32 rounding
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        _report(args, [ops_by_name[name] for name in args.ops], list(sys.argv[1:] if argv is None else argv))
    finally:
        torch.set_num_threads(saved[0])
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[1], saved[2]
    return 0


def _report(args: argparse.Namespace, ops: list[Op], argv: list[str]) -> None:
    """Environment record, the run, the table on stdout and the requested files."""
    memcpy = {d: measure.memcpy_gbps(d, (64 if args.quick else 256) * 2**20, args.threads) for d in args.devices}
    env = report.environment(threads=args.threads, devices=args.devices, memcpy=memcpy, argv=argv,
                             timing={"clock": args.clock, "rounds": args.rounds, "min_run_time": args.min_run_time,
                                     "seed": args.seed})
    print("\n".join(report.environment_lines(env)), file=sys.stderr, flush=True)
    load = env["load_average_1_5_15min"][0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"warning: the machine is busy (1-min load average {load:.2f} on {os.cpu_count()} CPUs): "
              "multi-threaded wall-clock timings stall on descheduled threads; for ratios that mean something "
              "use --threads 1 --clock cpu.", file=sys.stderr, flush=True)
    rows = run(args, ops)
    print(report.table(rows))
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "sizes"}
    settings["sizes"] = sorted({r.size for r in rows}, key=lambda s: [int(v) for v in s.split("x")])
    if args.json is not None:
        report.write_json(args.json, rows, env, settings)
    if args.markdown is not None:
        args.markdown.write_text(report.markdown(rows, env))
    if args.plot is not None:
        report.plot(args.plot, rows)


if __name__ == "__main__":
    sys.exit(main())
