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
