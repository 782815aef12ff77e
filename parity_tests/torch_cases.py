"""Turning drawn float64 cases into (torch inputs, reference inputs) with the same rounded values.

Logits, floating targets and class weights are quantized to the dtype under test (``tolerances.quantize``);
class indices pass through unchanged.  The reference is always called with ``validate_args=False`` by the
parity tests: it must see exactly the rounded values the torch side sees, and rounding a probability
vector to 16 bits moves its sum off 1 by more than the float64 simplex tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import reference as ref

from .tolerances import quantize


def torch_case(logits: np.ndarray, target: np.ndarray, kwargs: dict[str, Any], dtype: torch.dtype, device: str,
               *, requires_grad: bool = False) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """``((x, t, kwargs_torch), (x64, t64, kwargs_reference))``."""
    x, x64 = quantize(logits, dtype, device)
    if np.asarray(target).dtype.kind == "f":
        t, t64 = quantize(target, dtype, device)
    else:
        t, t64 = torch.from_numpy(np.asarray(target)).to(device), np.asarray(target)
    kw_t, kw_r = dict(kwargs), dict(kwargs, validate_args=False)
    if kwargs.get("weight") is not None:
        kw_t["weight"], kw_r["weight"] = quantize(kwargs["weight"], dtype, device)
    if requires_grad:
        x.requires_grad_(True)
    return (x, t, kw_t), (x64, t64, kw_r)


def fits(expected: Any, dtype: torch.dtype) -> bool:
    """Whether every finite reference value is representable in ``dtype`` (float16 overflows at 65504)."""
    values = np.abs(np.asarray(expected, dtype=np.float64))
    finite = values[np.isfinite(values)]
    return bool(np.all(finite < torch.finfo(dtype).max / 2))


def f1_well_conditioned(case: tuple[np.ndarray, np.ndarray, dict[str, Any]], dtype: torch.dtype) -> bool:
    """False for soft-F1 inputs that no 16/32-bit computation can resolve: with ``eps = 0``, an F denominator
    (1 + b^2) TP + b^2 FN + FP that is not 0 but below 1e-15 (soft counts like e^-100 of a confident wrong
    class) is 0/0 = NaN after underflow, or has a derivative ~ 1/denominator^2 that overflows, while the
    float64 reference still divides.  Always True for float64 and for ``eps > 0``."""
    logits, target, kwargs = case
    if kwargs["eps"] > 0 or dtype == torch.float64:
        return True
    _, (x64, t64, kw) = torch_case(logits, target, kwargs, dtype, "cpu")
    counts = ref.losses.soft_counts("soft_f1_loss", x64, t64, kw.get("multilabel", False),
                                    kw.get("ignore_index", -100), False)
    tp, fp, fn = ref.losses.pooled(counts, kw["average"])
    b2 = kw["beta"] ** 2
    den = (1 + b2) * tp + b2 * fn + fp
    return bool(np.all((den == 0) | (den > 1e-15)))
