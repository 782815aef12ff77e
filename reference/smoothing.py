r"""Label smoothing: hard or soft targets turned into smoothed probability vectors that sum to 1."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks as C

__all__ = ["smooth_labels"]


def one_hot(target: NDArray[np.int64], num_classes: int) -> NDArray[np.float64]:
    """Indices of shape ``(N, d1, ...)`` -> one-hot float64 of shape ``(N, K, d1, ...)``."""
    classes = np.arange(num_classes).reshape((1, num_classes) + (1,) * (target.ndim - 1))
    return np.asarray(np.expand_dims(target, 1) == classes, dtype=np.float64)


def target_distribution(func: str, target: ArrayLike, num_classes: int, validate_args: bool,
                        ) -> NDArray[np.float64]:
    """Class indices (shape ``S``) or probabilities (class axis 1) as probabilities ``(N, K, ...)``."""
    given = C.as_array(func, "target", target)
    if given.dtype.kind in "iu":
        idx = C.as_index(func, "target", given)
        C.check_ndim_at_least(func, "target", idx.shape, 1, "(N, d1, ...)")
        if validate_args:
            C.check_class_indices(func, "target", idx, num_classes, None)
        return one_hot(idx, num_classes)
    if given.dtype.kind != "f":
        raise TypeError(f"{func}: `target` must have an integer or floating dtype; got {C.dtype_name(given.dtype)}.")
    probs = C.as_float(func, "target", given)
    C.check_ndim_at_least(func, "target", probs.shape, 2, "(N, K, d1, ...)")
    if probs.shape[1] != num_classes:
        raise ValueError(f"{func}: `target` must have num_classes={num_classes} entries along axis 1; "
                         f"got shape {probs.shape}.")
    if validate_args:
        C.check_simplex(func, "target", probs, 1, "the class axis (1)", C.simplex_rtol(C.dtype_name(given.dtype)))
    return probs


def smoothing_weight(alpha: float, num_classes: int, mode: str) -> float:
    """The uniform-mixture weight equivalent to ``alpha`` in ``mode``: ``alpha`` or ``alpha*K/(K-1)``."""
    return alpha if mode == "uniform" else alpha * num_classes / (num_classes - 1)


def smooth_labels(target: ArrayLike, num_classes: int, alpha: float, *, mode: str = "uniform",
                  validate_args: bool = True) -> NDArray[np.float64]:
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
        float64 probabilities, shape ``(N, K, d1, ...)``.
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
        >>> smooth_labels([0], 4, 0.2, mode="off_target").round(4).tolist()
        [[0.8, 0.0667, 0.0667, 0.0667]]
    """
    func = "smooth_labels"
    C.check_int_at_least(func, "num_classes", num_classes, 2)
    C.check_unit_interval(func, "alpha", alpha)
    C.check_in(func, "mode", mode, C.SMOOTHING_MODES)
    C.check_bool(func, "validate_args", validate_args)
    y = target_distribution(func, target, num_classes, validate_args)
    a = smoothing_weight(alpha, num_classes, mode)
    return (1.0 - a) * y + a / num_classes
