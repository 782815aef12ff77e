"""Label smoothing (PyTorch): class indices or probabilities -> smoothed probabilities.

Same names, signatures and conventions as ``reference.smoothing``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import _checks as C
from ._math import compute_dtype

__all__ = ["smooth_labels"]


def is_index(func: str, target: Tensor, kinds: str) -> bool:
    """True for integer ``target`` (class indices), False for floating; ``TypeError`` naming ``kinds`` otherwise."""
    if target.is_floating_point():
        return False
    if target.dtype == torch.bool:
        raise TypeError(f"{func}: `target` must have {kinds}; got {C.dtype_name(target.dtype)}.")
    return True


def smoothing_weight(alpha: float, num_classes: int, mode: str) -> float:
    """The uniform-mixture weight equivalent to ``alpha`` in ``mode``: ``alpha`` or ``alpha*K/(K-1)``."""
    return alpha if mode == "uniform" else alpha * num_classes / (num_classes - 1)


def smooth_labels(target: Tensor, num_classes: int, alpha: float, *, mode: str = "uniform",
                  validate_args: bool = True) -> Tensor:
    r"""Smoothed target distributions (Szegedy et al. 2016) that always sum to 1.

    Math:
        uniform:    y' = (1 - alpha) * y + alpha / K
        off_target: y' = (1 - alpha) * y + alpha * (1 - y) / (K - 1)
                       = uniform with alpha' = alpha * K / (K - 1)
        .. math:: y' = (1 - \alpha)\, y + \alpha / K \quad\text{or}\quad (1 - \alpha)\, y + \alpha (1 - y) / (K - 1)

    Args:
        target: class indices, integer, shape ``(N, d1, ...)``; or probabilities, floating,
            shape ``(N, K, d1, ...)`` (class axis 1).
        num_classes: K, ``>= 2``.
        alpha: smoothing mass in [0, 1].
        mode: ``"uniform"`` (PyTorch's ``label_smoothing``: every class gets alpha / K, the target
            keeps 1 - alpha + alpha / K) or ``"off_target"`` (the target keeps 1 - alpha; every other
            class gets alpha / (K - 1)).
        validate_args: check index range / that probability targets sum to 1.
    Returns:
        Probabilities, shape ``(N, K, d1, ...)``, on the target's device: floating targets keep their dtype
        (computed in at least float32), class indices give ``torch.get_default_dtype()``.
    Conventions:
        - If ``alpha`` is 0, the result is the one-hot (or given) distribution.
        - If ``mode="uniform"`` and ``alpha`` is 1, the result is uniform.
        - The result sums to 1 along axis 1 for every valid input. (The often-quoted
          ``y * (1 - alpha) + alpha / (K - 1)`` applied to every entry does not; it is not offered.)
    Raises:
        TypeError: ``target`` is neither integer nor floating; an option has the wrong type.
        ValueError: ``num_classes < 2``, ``alpha`` outside [0, 1], unknown ``mode``, a class index out of
            range, or probabilities that do not sum to 1 along axis 1.
    References:
        Szegedy, Vanhoucke, Ioffe, Shlens, Wojna. "Rethinking the Inception Architecture for Computer
        Vision". CVPR 2016. arXiv:1512.00567.

    Examples:
        >>> smooth_labels(torch.tensor([0]), 4, 0.2, mode="off_target").round(decimals=4).tolist()
        [[0.800000011920929, 0.06669999659061432, 0.06669999659061432, 0.06669999659061432]]
    """
    func = "smooth_labels"
    C.check_int_at_least(func, "num_classes", num_classes, 2)
    C.check_unit_interval(func, "alpha", alpha)
    C.check_in(func, "mode", mode, C.SMOOTHING_MODES)
    C.check_bool(func, "validate_args", validate_args)
    target = C.as_tensor(func, "target", target)
    k = int(num_classes)
    a = float(alpha)
    if not is_index(func, target, "an integer or floating dtype"):
        C.check_ndim_at_least(func, "target", target.shape, 2, "(N, K, d1, ...)")
        if target.shape[1] != k:
            raise ValueError(f"{func}: `target` must have num_classes={k} entries along axis 1; "
                             f"got shape {tuple(target.shape)}.")
        if validate_args:
            C.check_simplex(func, "target", target, 1, "the class axis (1)",
                            C.simplex_rtol(C.dtype_name(target.dtype)))
        y = target.to(compute_dtype(target))
        if mode == "uniform":
            out = (1 - a) * y + a / k
        else:
            out = (1 - a) * y + a * (1 - y) / (k - 1)
        return out.to(target.dtype)
    C.check_ndim_at_least(func, "target", target.shape, 1, "(N, d1, ...)")
    if validate_args:
        C.check_class_indices(func, "target", target, k, None)
    off, on = (a / k, 1 - a + a / k) if mode == "uniform" else (a / (k - 1), 1 - a)
    shape = (target.shape[0], k, *target.shape[1:])
    out = torch.full(shape, off, dtype=torch.get_default_dtype(), device=target.device)
    return out.scatter_(1, target.long().unsqueeze(1), on)
