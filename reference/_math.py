"""Numerically stable primitives for the float64 reference (thin wrappers over SciPy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]
Result = NDArray[np.float64] | np.float64  # an array, or a float64 scalar for 0-d results


def log_softmax(x: Array, axis: int) -> Array:
    """log softmax(x) = x - logsumexp(x); exact for |x| far beyond 1e4 (no exp of a large number)."""
    with np.errstate(invalid="ignore"):  # rows holding +inf give NaN, as in torch
        return np.asarray(special.log_softmax(x, axis=axis), dtype=np.float64)


def softmax(x: Array, axis: int) -> Array:
    with np.errstate(invalid="ignore"):
        return np.asarray(special.softmax(x, axis=axis), dtype=np.float64)


def log_sigmoid(x: Array) -> Array:
    """log(sigmoid(x)) without overflow or cancellation for large |x|."""
    return np.asarray(special.log_expit(x), dtype=np.float64)


def sigmoid(x: Array) -> Array:
    return np.asarray(special.expit(x), dtype=np.float64)


def xlogy(x: Array, y: Array) -> Array:
    """x * log(y) with 0 * log(0) := 0."""
    with np.errstate(divide="ignore"):
        return np.asarray(special.xlogy(x, y), dtype=np.float64)


def log1mexp(log_p: Array) -> Array:
    """log(1 - p) from log p <= 0, accurate at both ends (Maechler 2012): log(-expm1(u)) near 0, log1p(-exp(u)) else."""
    u = np.asarray(log_p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(u > -np.log(2.0), np.log(-np.expm1(u)), np.log1p(-np.exp(u)))


def reduce(loss: Array, reduction: str) -> Result:
    """Apply ``reduction`` to elementwise losses: ``"none"`` keeps the shape, the others give a 0-d array."""
    if reduction == "none":
        return loss
    with np.errstate(invalid="ignore"):  # mean of an empty batch is NaN, as in torch
        return np.float64(loss.sum() if reduction == "sum" else np.mean(loss) if loss.size else np.nan)
