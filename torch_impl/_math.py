"""Numerically stable primitives and the compute-dtype policy for the torch implementation."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def compute_dtype(x: Tensor) -> torch.dtype:
    """float16/bfloat16 -> float32; float32 and float64 unchanged."""
    return torch.promote_types(x.dtype, torch.float32)


def upcast(x: Tensor) -> Tensor:
    return x.to(compute_dtype(x))


def xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x * log(y) with 0 * log(0) := 0 in value *and* gradient; NaN still propagates."""
    zero = (x == 0) & (y == 0)
    safe_y = torch.where(zero, torch.ones_like(y), y)
    return torch.where(zero, torch.zeros_like(x), x * torch.log(safe_y))


def log1mexp(log_p: Tensor) -> Tensor:
    """log(1 - p) from log p <= 0, accurate at both ends (Maechler 2012)."""
    return torch.where(log_p > -math.log(2.0), torch.log(-torch.expm1(log_p)), torch.log1p(-torch.exp(log_p)))


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply ``reduction`` to elementwise losses: ``"none"`` keeps the shape, the others give a 0-d tensor."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()
