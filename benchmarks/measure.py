"""Timing, memory and parity measurements of one callable.

Timing: ``torch.utils.benchmark.Timer(...).blocked_autorange()`` with ``num_threads`` set to the
run's thread count (the Timer's default is one thread), after a warm-up; the implementations of
one case are measured in alternating rounds and the median (and IQR) is taken over the pooled
block times.

Memory, as far as it can be measured honestly in-process:

- torch on CUDA: ``torch.cuda.max_memory_allocated`` minus what was allocated before the call
  (the caching allocator's own statistics).
- torch on CPU: the profiler's allocation records (``torch.profiler.profile(profile_memory=True)``):
  every allocation and free of torch's CPU allocator during one call, in time order; the peak of
  their running sum is the call's high-water mark above the live inputs.
- NumPy (the reference, scikit-learn): ``tracemalloc``, which NumPy reports its buffers to.

"peak" is the high-water mark of one forward+backward call (forward only when there is no
backward) including the returned gradient; "kept" is what is still allocated after a forward
whose output is held with grad enabled: the buffers saved for backward plus the output.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import torch
from numpy.typing import NDArray
from torch._C._autograd import DeviceType
from torch.profiler import ProfilerActivity, profile
from torch.utils import benchmark
from torch.utils.benchmark.utils.timer import timer as default_timer  # perf_counter, CUDA-synchronised


@dataclass(frozen=True)
class Timing:
    median_s: float
    iqr_s: float
    runs: int  # measurements the median is taken over
    calls_per_run: int


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def warm_up(fn: Callable[[], Any], device: str, budget_s: float = 0.05, max_calls: int = 3) -> None:
    """Call ``fn`` until ``max_calls`` calls or ``budget_s`` seconds (first-call costs: lazy init,
    allocator growth, CUDA kernel loading)."""
    start = time.perf_counter()
    for _ in range(max_calls):
        fn()
        synchronize(device)
        if time.perf_counter() - start > budget_s:
            break


def time_callable(fn: Callable[[], Any], *, device: str, threads: int, min_run_time: float) -> Timing:
    return time_interleaved({"fn": fn}, device=device, threads=threads, min_run_time=min_run_time, rounds=1)["fn"]


CLOCKS = ("wall", "cpu")


def time_interleaved(fns: dict[str, Callable[[], Any]], *, device: str, threads: int, min_run_time: float,
                     rounds: int, clock: str = "wall") -> dict[str, Timing]:
    """Median time per call of each callable, measured in ``rounds`` alternating rounds.

    Each round runs ``blocked_autorange(min_run_time / rounds)`` for every callable in turn, and
    the block times of all rounds are pooled: a callable and its anchor are measured under the
    same background load (this matters on a small shared machine) instead of one after the other.
    ``clock="cpu"`` times with the process's CPU time (``time.process_time``) instead of the wall
    clock: time spent descheduled by other processes is not counted (CPU devices only; with more
    than one thread it is the work summed over threads, spin-waits included, not the latency).
    """
    if clock not in CLOCKS:
        raise ValueError(f"time_interleaved: `clock` must be one of {CLOCKS}; got {clock!r}.")
    if clock == "cpu" and device != "cpu":
        raise ValueError(f"time_interleaved: `clock` 'cpu' needs the cpu device; got {device!r}.")
    for fn in fns.values():
        warm_up(fn, device)
    clock_fn = time.process_time if clock == "cpu" else default_timer
    timers = {k: benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=threads, timer=clock_fn)
              for k, fn in fns.items()}
    times: dict[str, list[float]] = {k: [] for k in fns}
    per_run: dict[str, int] = {}
    for _ in range(rounds):
        for k, timer in timers.items():
            m = timer.blocked_autorange(min_run_time=min_run_time / rounds)
            times[k].extend(m.times)
            per_run[k] = m.number_per_run
    out = {}
    for k, ts in times.items():
        q1, median, q3 = np.quantile(ts, [0.25, 0.5, 0.75])
        out[k] = Timing(float(median), float(q3 - q1), len(ts), per_run[k])
    return out


def minor_faults(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Minor page faults of one call of ``fn`` (``getrusage``), and its result: fresh pages touched,
    e.g. glibc handing out a new ``mmap`` for every allocation above its mmap threshold."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    result = fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, result


@contextlib.contextmanager
def _quiet_fd2() -> Iterator[None]:
    """Silence file descriptor 2 (the profiler's C++ backend logs start/stop lines there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _cpu_allocations(fn: Callable[[], Any]) -> tuple[int, int, Any]:
    """(peak, final) of the running sum of torch CPU allocations during ``fn()``, and its result."""
    with _quiet_fd2(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn()
    records = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]" and e.device_type() ==
               DeviceType.CPU]
    records.sort(key=lambda e: e.start_ns())
    running = peak = 0
    for record in records:
        running += record.nbytes()
        peak = max(peak, running)
    return peak, running, result


def torch_memory(step: Callable[[], Any], forward: Callable[[], Any] | None, device: str) -> tuple[int, int | None]:
    """(peak bytes of ``step()``, bytes kept alive by ``forward()``'s output) above the live inputs."""
    if device.startswith("cuda"):
        synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        result = step()
        synchronize(device)
        peak = torch.cuda.max_memory_allocated(device) - base
        del result
        kept = None
        if forward is not None:
            base = torch.cuda.memory_allocated(device)
            out = forward()
            synchronize(device)
            kept = torch.cuda.memory_allocated(device) - base
            del out
        return peak, kept
    peak, _, result = _cpu_allocations(step)
    del result
    kept = None
    if forward is not None:
        _, kept, out = _cpu_allocations(forward)
        del out
    return peak, kept


def numpy_peak(fn: Callable[[], Any]) -> int:
    """Peak bytes traced by ``tracemalloc`` during ``fn()`` (NumPy buffers included)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def to_float64(x: Any) -> NDArray[np.float64]:
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


def max_relative_error(actual: Any, desired: Any) -> float:
    """max_i |a_i - d_i| / |d_i| (|a_i - d_i| where d_i == 0); NaN in exactly one of them gives inf."""
    a, d = to_float64(actual), to_float64(desired)
    both_nan = np.isnan(a) & np.isnan(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.where(both_nan, 0.0, np.abs(a - d))
        rel = np.where(d == 0, diff, diff / np.abs(d))
    rel = np.where(np.isnan(rel), math.inf, rel)
    return float(rel.max()) if rel.size else 0.0


def normwise_error(actual: Any, desired: Any) -> float:
    """max_i |a_i - d_i| / max_i |d_i|: gradient entries near zero make elementwise ratios meaningless."""
    a, d = to_float64(actual), to_float64(desired)
    scale = float(np.abs(d).max()) if d.size else 0.0
    err = float(np.abs(a - d).max()) if d.size else 0.0
    if math.isnan(err):
        return math.inf
    return err / scale if scale > 0 else err


def memcpy_gbps(device: str, nbytes: int, threads: int) -> float:
    """Achieved bandwidth of ``dst.copy_(src)`` between preallocated buffers (read + write bytes / s):
    the roof that a memory-bound loss can approach."""
    src = torch.ones(nbytes // 4, dtype=torch.float32, device=device)
    dst = torch.empty_like(src)
    timing = time_callable(lambda: dst.copy_(src), device=device, threads=threads, min_run_time=0.1)
    return 2 * nbytes / timing.median_s / 1e9
