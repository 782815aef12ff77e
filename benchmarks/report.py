"""Result rows, the environment record, and the outputs: stdout table, JSON, Markdown, plot."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

GLIBC_NOTE = (
    "glibc malloc serves requests above its mmap threshold with a fresh mmap and returns them on free "
    "(MALLOC_MMAP_THRESHOLD_ unset: the threshold starts at 128 KiB and adapts upwards to at most 32 MiB "
    "on 64-bit), so every N x C temporary larger than 32 MiB is faulted in anew on each call; the "
    "faults/call column counts this. Setting MALLOC_MMAP_THRESHOLD_ (and MALLOC_TRIM_THRESHOLD_) or "
    "preloading jemalloc/tcmalloc changes it."
)


@dataclass
class Row:
    """One implementation on one (operation, size, device). Times in ms, memory in MiB; ``None``
    where a quantity does not apply (no backward, no anchor, not an exact implementation)."""

    op: str
    title: str
    size: str
    n: int
    c: int
    device: str
    dtype: str
    impl: str
    role: str
    fwd_ms: float
    fwd_iqr_ms: float
    fwdbwd_ms: float | None
    fwdbwd_iqr_ms: float | None
    anchor: str | None
    fwd_ratio: float | None
    fwdbwd_ratio: float | None
    fwd_gbps: float
    fwdbwd_gbps: float | None
    value_err: float | None
    grad_err: float | None
    peak_mib: float | None
    kept_mib: float | None
    faults_per_call: float | None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment(*, threads: int, devices: list[str], memcpy: dict[str, float], argv: list[str],
                timing: dict[str, Any]) -> dict[str, Any]:
    """What the numbers depend on: machine, threads, library versions, allocator settings."""
    libc, libc_version = platform.libc_ver()
    env: dict[str, Any] = {
        "timestamp_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "command": "python -m benchmarks " + " ".join(argv),
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "torch_threads": threads,
        "torch_interop_threads": torch.get_num_interop_threads(),
        "thread_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ},
        "versions": {d: _version(d) for d in ("torch", "numpy", "scipy", "scikit-learn", "torchmetrics",
                                              "matplotlib")},
        "torch_config": torch.__config__.parallel_info().splitlines()[-1].strip(),
        "libc": f"{libc} {libc_version}".strip(),
        "allocator_env": {k: v for k, v in os.environ.items()
                          if k.startswith("MALLOC_") or k in ("LD_PRELOAD", "PYTORCH_CUDA_ALLOC_CONF")},
        "allocator_note": GLIBC_NOTE,
        "load_average_1_5_15min": list(os.getloadavg()),
        "devices": devices,
        "timing": timing,
        "memcpy_gbps": memcpy,
    }
    if any(d.startswith("cuda") for d in devices):
        env["cuda"] = {"device": torch.cuda.get_device_name(0), "cuda_version": torch.version.cuda,
                       "tf32_matmul": torch.backends.cuda.matmul.allow_tf32}
    return env


def _fmt(value: float | None, spec: str) -> str:
    if value is None:
        return "-"
    if math.isinf(value) or math.isnan(value):
        return str(value)
    return format(value, spec)


COLUMNS = (
    # header, Row attribute, format
    ("op", "op", "s"), ("N x C", "size", "s"), ("device", "device", "s"), ("impl", "impl", "s"),
    ("fwd ms", "fwd_ms", ".3g"), ("fwd x", "fwd_ratio", ".2f"), ("f+b ms", "fwdbwd_ms", ".3g"),
    ("f+b x", "fwdbwd_ratio", ".2f"), ("GB/s", "gbps", ".3g"), ("rel err", "value_err", ".1e"),
    ("grad err", "grad_err", ".1e"), ("peak MiB", "peak_mib", ".4g"), ("kept MiB", "kept_mib", ".4g"),
    ("faults", "faults_per_call", ".0f"),
)


def _cells(row: Row) -> list[str]:
    cells = []
    for _, attr, spec in COLUMNS:
        if attr == "gbps":  # the bandwidth of the most complete measured pass
            value: Any = row.fwdbwd_gbps if row.fwdbwd_gbps is not None else row.fwd_gbps
        else:
            value = getattr(row, attr)
        cells.append(value if isinstance(value, str) else _fmt(value, spec))
    return cells


LEGEND = (
    "fwd: value only; f+b: forward + torch.autograd.grad w.r.t. the logits. Times are medians of "
    "torch.utils.benchmark blocked_autorange. x: time / the anchor's time on the same device (anchor: "
    "F.cross_entropy with the same settings for the softmax losses, F.binary_cross_entropy_with_logits for "
    "sigmoid_focal_loss, scikit-learn for the NumPy f1_score, torchmetrics for torch f1_score). GB/s: "
    "minimal traffic (inputs read once, gradient written once) / median of f+b (fwd when there is no "
    "backward). rel err: max elementwise relative error of the value against the float64 reference on the "
    "same inputs (reduction='none' where the loss has one); grad err: max|g - g_ref| / max|g_ref| "
    "against the closed-form reference gradient. peak: high-water mark of one f+b call above the inputs; "
    "kept: memory still held after a grad-enabled forward (saved for backward + output). faults: minor page "
    "faults per call. The reference computes in float64 on float64 copies of the rounded inputs."
)


def table(rows: list[Row]) -> str:
    """Plain-text table, columns aligned."""
    lines = [[h for h, _, _ in COLUMNS]] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) if i < 4 else cell.rjust(w) for i, (cell, w) in
                             enumerate(zip(line, widths))).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def environment_lines(env: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    timing = env["timing"]
    lines = [
        f"- machine: {env['cpu']}, {env['logical_cpus']} logical CPUs; {env['platform']}; {env['libc']}",
        f"- torch threads: {env['torch_threads']} (interop {env['torch_interop_threads']}); "
        f"{env['torch_config']}; thread env: {env['thread_env'] or 'none set'}",
        f"- versions: python {env['python']}, {versions}",
        f"- allocator env: {env['allocator_env'] or 'none set (glibc malloc defaults)'}",
        f"- memcpy bandwidth (copy_ between preallocated buffers, read+write): "
        + ", ".join(f"{d} {g:.1f} GB/s" for d, g in env["memcpy_gbps"].items()),
        f"- timing: {timing['clock']} clock, {timing['rounds']} alternating rounds of blocked_autorange, "
        f"min_run_time {timing['min_run_time']} s per measurement, seed {timing['seed']}",
        f"- load average at start (1/5/15 min): " + ", ".join(f"{v:.2f}" for v in env["load_average_1_5_15min"]),
        f"- run: {env['timestamp_utc']} UTC, commit {env['git_commit']}, `{env['command']}`",
    ]
    if "cuda" in env:
        lines.insert(1, f"- GPU: {env['cuda']['device']}, CUDA {env['cuda']['cuda_version']}")
    return lines


def markdown(rows: list[Row], env: dict[str, Any]) -> str:
    header = "| " + " | ".join(h for h, _, _ in COLUMNS) + " |"
    align = "|" + "|".join("---" if i < 4 else "---:" for i in range(len(COLUMNS))) + "|"
    body = ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(["## lossref benchmark", "", *environment_lines(env), "", header, align, *body, "",
                      LEGEND, "", f"Allocator: {env['allocator_note']}", ""])


def write_json(path: Path, rows: list[Row], env: dict[str, Any], settings: dict[str, Any]) -> None:
    payload = {"environment": env, "settings": settings, "legend": LEGEND, "rows": [asdict(r) for r in rows]}
    path.write_text(json.dumps(payload, indent=2, allow_nan=True) + "\n")


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def plot(path: Path, rows: list[Row]) -> None:
    """Horizontal bars: torch_impl time / anchor time (f+b where measured, else fwd), one panel per
    device, log scale, with the 1.0 line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    candidates = [r for r in rows if r.role == "candidate"]
    devices = sorted({r.device for r in candidates})
    fig, axes = plt.subplots(1, max(len(devices), 1), figsize=(6.5 * max(len(devices), 1),
                                                               0.35 * max(len(candidates), 4) + 1.5),
                             squeeze=False)
    for ax, device in zip(axes[0], devices):
        mine = [r for r in candidates if r.device == device]
        labels, values, colors = [], [], []
        for r in mine:
            ratio, kind = (r.fwdbwd_ratio, "f+b") if r.fwdbwd_ratio is not None else (r.fwd_ratio, "fwd")
            if ratio is None:
                continue
            labels.append(f"{r.op} {r.size} ({kind})")
            values.append(ratio)
            colors.append("tab:blue" if ratio <= 1.0 else "tab:orange")
        ax.barh(range(len(values)), [v - 1.0 for v in values], left=1.0, color=colors)  # bars grow from 1.0
        ax.set_yticks(range(len(values)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xlabel("time / anchor time (log scale, < 1: faster)")
        ax.set_title(f"lossref vs built-ins on {device}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
