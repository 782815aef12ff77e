"""The optional compiled CPU kernel (``csrc/sigmoid_focal.c``, built by ``setup.py``), loaded through ctypes.

:func:`sigmoid_focal` evaluates the sigmoid focal loss for 0/1 targets, :func:`sigmoid_focal_grad` its
gradient, each in one fused, vectorised, multi-threaded pass over contiguous float32 CPU tensors.
:func:`sigmoid_focal` returns ``None`` whenever the kernel does not apply (no compiled kernel, another device
or dtype, an empty input) or when a target is not exactly 0 or 1; the caller then takes the PyTorch code
path, which computes the same quantity.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
from pathlib import Path
from typing import Callable

import torch
from torch import Tensor

__all__ = ["available", "sigmoid_focal", "sigmoid_focal_grad"]

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
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                           ctypes.c_int64, ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_double,
                           ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
            return fn
    return None


_SIGMOID_FOCAL = _load()


def available() -> bool:
    """Whether the compiled kernel was built and loaded."""
    return _SIGMOID_FOCAL is not None


def _applies(x: Tensor, y: Tensor) -> bool:
    return (_SIGMOID_FOCAL is not None and x.device.type == "cpu" and x.dtype == torch.float32
            and y.dtype == torch.float32 and x.numel() > 0 and x.is_contiguous() and y.is_contiguous())


def _run(x: Tensor, y: Tensor, gamma: float, alpha: float | None, loss: Tensor | None, grad: Tensor | None,
         cotangent: Tensor | None, scale: float) -> float | None:
    """One kernel call; the sum of the elementwise losses, or None if a target is not exactly 0 or 1."""
    assert _SIGMOID_FOCAL is not None
    n = x.numel()
    threads = max(1, min(torch.get_num_threads(), n // MIN_PER_THREAD))
    alpha_pos, alpha_neg = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    total = ctypes.c_double()
    pointers = [None if t is None else t.data_ptr() for t in (loss, grad, cotangent)]
    status = _SIGMOID_FOCAL(x.data_ptr(), y.data_ptr(), *pointers, n, gamma, alpha_pos, alpha_neg, scale, threads,
                            ctypes.byref(total))
    if status < 0:
        raise RuntimeError("sigmoid_focal_loss: the compiled kernel could not start its threads")
    return None if status else total.value


def sigmoid_focal(x: Tensor, y: Tensor, gamma: float, alpha: float | None, reduction: str) -> Tensor | None:
    """The value of ``sigmoid_focal_loss`` (shape ``()``, or elementwise for ``reduction="none"``) for 0/1
    targets, or None where the kernel does not apply.  ``x`` and ``y`` have the same shape; ``alpha=None``
    weighs both classes by 1.  Nothing is kept: :func:`sigmoid_focal_grad` recomputes what the gradient needs."""
    if not _applies(x, y):
        return None
    loss = torch.empty_like(x) if reduction == "none" else None
    total = _run(x, y, gamma, alpha, loss, None, None, 1.0)
    if total is None:
        return None
    if loss is not None:
        return loss
    return torch.tensor(total / x.numel() if reduction == "mean" else total, dtype=torch.float32)


def sigmoid_focal_grad(x: Tensor, y: Tensor, gamma: float, alpha: float | None, cotangent: Tensor,
                       scale: float) -> Tensor:
    """``scale * cotangent * d(elementwise loss)/dx`` for inputs that :func:`sigmoid_focal` accepted;
    ``cotangent`` is one value (any shape with all strides 0) or float32 of the shape of ``x``."""
    grad = torch.empty_like(x)
    if cotangent.numel() == 1 or not any(cotangent.stride()):
        factor, cotangent_or_none = scale * float(cotangent.reshape(-1)[0]), None
    else:
        factor, cotangent_or_none = scale, cotangent.to(torch.float32).contiguous()
    if _run(x, y, gamma, alpha, None, grad, cotangent_or_none, factor) is None:
        raise RuntimeError("sigmoid_focal_loss: a target changed between forward and backward")
    return grad
