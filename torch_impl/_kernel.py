"""The optional compiled CPU kernel (``csrc/sigmoid_focal.c``, built by ``setup.py``), loaded through ctypes.

:func:`sigmoid_focal` evaluates the sigmoid focal loss for 0/1 targets and its gradient in one fused,
vectorised, multi-threaded pass over contiguous float32 CPU tensors.  It returns ``None`` whenever it does
not apply (no compiled kernel, another device or dtype, an empty input) or when a target is not exactly 0
or 1; the caller then takes the PyTorch code path, which computes the same quantity.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
from pathlib import Path
from typing import Callable, NamedTuple

import torch
from torch import Tensor

__all__ = ["KernelResult", "available", "sigmoid_focal"]

# below this many elements per thread, starting another thread costs more than it saves
MIN_PER_THREAD = 1 << 15

_Fn = Callable[..., int]


def _load() -> _Fn | None:
    here = Path(__file__).parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = here / f"_sigmoid_focal_cpu{suffix}"
        if path.exists():
            fn = ctypes.CDLL(str(path)).lossref_sigmoid_focal_f32
            fn.restype = ctypes.c_int64
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                           ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_int,
                           ctypes.POINTER(ctypes.c_double)]
            return fn  # type: ignore[no-any-return]
    return None


_SIGMOID_FOCAL = _load()


def available() -> bool:
    """Whether the compiled kernel was built and loaded."""
    return _SIGMOID_FOCAL is not None


class KernelResult(NamedTuple):
    value: Tensor  # the reduced loss (shape ()) or the elementwise losses (reduction "none")
    grad: Tensor | None  # d(sum of the elementwise losses)/dx, when asked for


def sigmoid_focal(x: Tensor, y: Tensor, gamma: float, alpha: float | None, reduction: str,
                  want_grad: bool) -> KernelResult | None:
    """The loss of ``sigmoid_focal_loss`` for 0/1 targets (and its gradient), or None where the kernel does not
    apply.  ``x`` and ``y`` have the same shape; ``alpha=None`` weighs both classes by 1."""
    if (_SIGMOID_FOCAL is None or x.device.type != "cpu" or x.dtype != torch.float32 or y.dtype != torch.float32
            or x.numel() == 0 or not x.is_contiguous() or not y.is_contiguous()):
        return None
    n = x.numel()
    loss = torch.empty_like(x) if reduction == "none" else None
    grad = torch.empty_like(x) if want_grad else None
    threads = max(1, min(torch.get_num_threads(), n // MIN_PER_THREAD))
    alpha_pos, alpha_neg = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    total = ctypes.c_double()
    bad = _SIGMOID_FOCAL(x.data_ptr(), y.data_ptr(), None if loss is None else loss.data_ptr(),
                         None if grad is None else grad.data_ptr(), n, gamma, alpha_pos, alpha_neg, threads,
                         ctypes.byref(total))
    if bad != 0:  # a soft target (or a thread that could not start): the PyTorch path decides
        return None
    if loss is None:
        loss = torch.tensor(total.value / n if reduction == "mean" else total.value, dtype=torch.float32)
    return KernelResult(loss, grad)
