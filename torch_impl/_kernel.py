"""The optional compiled CPU kernels (``csrc/*.c``, built by ``setup.py`` into one library), through ctypes.

All work on contiguous float32 CPU tensors, vectorised and on torch's OpenMP thread pool, one pass each:

- :func:`sigmoid_focal` / :func:`sigmoid_focal_grad`: the sigmoid focal loss for 0/1 targets and its
  gradient; :func:`sigmoid_focal` returns ``None`` when a target is not exactly 0 or 1.
- :func:`softmax_rows` / :func:`softmax_grad`: per-row softmax values of ``(N, C)`` logits (max, log
  exp-sum, log p_target, label-smoothing sums) and the gradient of the index-target softmax losses.
- :func:`softmax_colsum` / :func:`softmax_linear_grad`: the same rows with the column sums of the softmax,
  and the gradient of a loss linear per class in the softmax (soft-F1).

Each forward function returns ``None`` where its kernel does not apply (not built, another device or dtype,
an empty input); the caller then takes the PyTorch code path, which computes the same quantities.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
from pathlib import Path
from typing import Callable, NamedTuple

import torch
from torch import Tensor

__all__ = ["available", "sigmoid_focal", "sigmoid_focal_grad", "softmax_applies", "softmax_rows", "softmax_grad",
           "softmax_colsum", "softmax_linear_grad"]

# below this many elements per thread, starting another thread costs more than it saves
MIN_PER_THREAD = 1 << 15

_Fn = Callable[..., int]


_P, _I64, _F64, _INT = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_int


def _load() -> ctypes.CDLL | None:
    here = Path(__file__).parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = here / f"_cpu_kernels{suffix}"
        if path.exists():
            return ctypes.CDLL(str(path))
    return None


def _function(lib: ctypes.CDLL | None, name: str, restype: type, argtypes: list[type]) -> _Fn | None:
    if lib is None:
        return None
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = restype, argtypes
    return fn  # type: ignore[no-any-return]


def _share_torch_openmp(lib: ctypes.CDLL | None) -> bool:
    """Point the kernels at the OpenMP runtime torch loaded (GNU libgomp in torch/lib), so that they run on
    torch's own thread pool; without it they start threads of their own."""
    if lib is None or "OpenMP" not in torch.__config__.parallel_info():
        return False
    for path in sorted((Path(torch.__file__).parent / "lib").glob("libgomp*.so*")):
        gomp = ctypes.CDLL(str(path))
        names = ("GOMP_parallel", "omp_get_thread_num", "omp_get_num_threads")
        if all(hasattr(gomp, name) for name in names):
            lib.lossref_use_openmp(*(ctypes.cast(getattr(gomp, name), ctypes.c_void_p) for name in names))
            return True
    return False


_LIB = _load()
SHARES_TORCH_THREADS = _share_torch_openmp(_LIB)
_SIGMOID_FOCAL = _function(_LIB, "lossref_sigmoid_focal_f32", _I64,
                           [_P, _P, _P, _P, _P, _I64, _F64, _F64, _F64, _F64, _INT, ctypes.POINTER(_F64)])
_SOFTMAX_ROWS = _function(_LIB, "lossref_softmax_rows_f32", _INT, [_P, _I64, _I64, _P, _P, _P, _P, _P, _P, _INT])
_SOFTMAX_GRAD = _function(_LIB, "lossref_softmax_grad_f32", _INT,
                          [_P, _I64, _I64, _P, _P, _P, _P, _P, _P, _P, _P, _INT])
_SOFTMAX_COLSUM = _function(_LIB, "lossref_softmax_colsum_f32", _INT, [_P, _I64, _I64, _P, _P, _P, _P, _P, _INT])
_SOFTMAX_LINEAR_GRAD = _function(_LIB, "lossref_softmax_linear_grad_f32", _INT,
                                 [_P, _I64, _I64, _P, _P, _P, _P, _P, _P, _P, _INT])


def available() -> bool:
    """Whether the compiled kernels were built and loaded."""
    return _LIB is not None


def _threads(elements: int) -> int:
    return max(1, min(torch.get_num_threads(), elements // MIN_PER_THREAD))


def _applies(x: Tensor, y: Tensor) -> bool:
    return (_SIGMOID_FOCAL is not None and x.device.type == "cpu" and x.dtype == torch.float32
            and y.dtype == torch.float32 and x.numel() > 0 and x.is_contiguous() and y.is_contiguous())


def _run(x: Tensor, y: Tensor, gamma: float, alpha: float | None, loss: Tensor | None, grad: Tensor | None,
         cotangent: Tensor | None, scale: float) -> float | None:
    """One kernel call; the sum of the elementwise losses, or None if a target is not exactly 0 or 1."""
    assert _SIGMOID_FOCAL is not None
    n = x.numel()
    threads = _threads(n)
    alpha_pos, alpha_neg = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    total = ctypes.c_double()
    pointers = [None if t is None else t.data_ptr() for t in (loss, grad, cotangent)]
    status = _SIGMOID_FOCAL(x.data_ptr(), y.data_ptr(), *pointers, n, gamma, alpha_pos, alpha_neg, scale, threads,
                            ctypes.byref(total))
    _started(status)
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


# ----------------------------------------------------------------------------- softmax rows
def _weights(x: Tensor, weight: Tensor | None) -> Tensor:
    return torch.ones(x.shape[1], dtype=torch.float32) if weight is None else weight.contiguous()


def _started(status: int) -> None:
    if status < 0:
        raise RuntimeError("lossref: the compiled kernel could not start its threads")


class SoftmaxRows(NamedTuple):
    max: Tensor  # m_i = max_c x_ic
    log_sum: Tensor  # s_i = log sum_c exp(x_ic - m_i): log_softmax(x)_ic = (x_ic - m_i) - s_i
    smooth: Tensor | None  # sum_c w_c log_softmax(x)_ic, when asked for
    log_p_target: Tensor  # log_softmax(x)_{i, t_i}


def softmax_applies(x: Tensor) -> bool:
    """Whether the softmax kernels take these logits: contiguous float32 ``(N, C)`` on the CPU, N C > 0."""
    return (_LIB is not None and x.device.type == "cpu" and x.dtype == torch.float32 and x.dim() == 2
            and x.numel() > 0 and x.is_contiguous())


def softmax_rows(x: Tensor, t: Tensor, weight: Tensor | None, smooth: bool) -> SoftmaxRows | None:
    """For contiguous float32 CPU logits ``(N, C)`` and class indices ``t`` (in range on every row): the row
    maxima and log-sums of the softmax, ``log_softmax(x)_{i, t_i}`` and, with ``smooth``,
    ``sum_c w_c log_softmax(x)_ic`` (w = 1 without ``weight``); None where the kernel does not apply."""
    if _SOFTMAX_ROWS is None or not softmax_applies(x) or (weight is not None and weight.dtype != torch.float32):
        return None
    n, c = x.shape
    m, log_sum, u_t = x.new_empty(n), x.new_empty(n), x.new_empty(n)
    rowsum = x.new_empty(n) if smooth else None
    w = _weights(x, weight)
    tt = t.contiguous()
    _started(_SOFTMAX_ROWS(x.data_ptr(), n, c, w.data_ptr(), tt.data_ptr(), m.data_ptr(), log_sum.data_ptr(),
                           None if rowsum is None else rowsum.data_ptr(), u_t.data_ptr(), _threads(x.numel())))
    return SoftmaxRows(m, log_sum, rowsum, u_t)


def softmax_grad(x: Tensor, weight: Tensor | None, rows: tuple[Tensor, Tensor], k: Tensor, a: Tensor,
                 b: Tensor | None, t: Tensor) -> Tensor:
    """``dx_ij = softmax(x)_ij k_i - b_i w_j + a_i [j = t_i]`` (b = 0 when None) for logits that
    :func:`softmax_rows` accepted, from its ``(max, log_sum)``; ``k``, ``a``, ``b``: float32 per row, ``t``:
    int64 class indices."""
    assert _SOFTMAX_GRAD is not None
    n, c = x.shape
    dx = torch.empty_like(x)
    w = _weights(x, weight)
    per_row = [v.contiguous() for v in (*rows, k, a)]
    bb = None if b is None else b.contiguous()
    tt = t.contiguous()
    _started(_SOFTMAX_GRAD(x.data_ptr(), n, c, w.data_ptr(), *(v.data_ptr() for v in per_row),
                           None if bb is None else bb.data_ptr(), tt.data_ptr(), dx.data_ptr(), _threads(x.numel())))
    return dx


def softmax_colsum(x: Tensor, keep: Tensor) -> tuple[Tensor, Tensor, Tensor] | None:
    """For contiguous float32 CPU logits ``(N, C)`` and ``keep`` (N values, 1 or 0): the row maxima and
    log-sums of the softmax P, and the float64 column sums ``sum_{i kept} P_ic``; None where the kernel does
    not apply."""
    if _SOFTMAX_COLSUM is None or not softmax_applies(x):
        return None
    n, c = x.shape
    threads = _threads(x.numel())
    m, log_sum = x.new_empty(n), x.new_empty(n)
    colsum = torch.empty(c, dtype=torch.float64)
    scratch = torch.empty(threads * c, dtype=torch.float64)
    kk = keep.to(torch.float32).contiguous()
    _started(_SOFTMAX_COLSUM(x.data_ptr(), n, c, kk.data_ptr(), m.data_ptr(), log_sum.data_ptr(),
                             colsum.data_ptr(), scratch.data_ptr(), threads))
    return m, log_sum, colsum


def softmax_linear_grad(x: Tensor, keep: Tensor, rows: tuple[Tensor, Tensor], a: Tensor, b: Tensor,
                        t: Tensor) -> Tensor:
    """``dx_ij = P_ij (A_j - r_i) + [j = t_i] P_ij B_j`` with ``r_i = sum_k P_ik A_k + P_it B_t`` (0 on rows
    not kept) for logits that :func:`softmax_colsum` accepted, from its row maxima and log-sums; ``a``, ``b``:
    C values each, ``t``: int64 class indices in range on every row."""
    assert _SOFTMAX_LINEAR_GRAD is not None
    n, c = x.shape
    dx = torch.empty_like(x)
    args = [v.to(torch.float32).contiguous() for v in (keep, *rows, a, b)]
    tt = t.contiguous()
    _started(_SOFTMAX_LINEAR_GRAD(x.data_ptr(), n, c, *(v.data_ptr() for v in args), tt.data_ptr(), dx.data_ptr(),
                                  _threads(x.numel())))
    return dx
