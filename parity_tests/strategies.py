"""The only place test inputs are made.

Everything is drawn in float64; tests quantize once (``tolerances.quantize``) and give the reference
the rounded values.  Exact zeros, ties, extreme logits and ignored positions are injected on purpose.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st

TORCH_FLOAT_DTYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)
DEVICES = ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
REDUCTIONS = ("mean", "sum", "none")

# |logit| <= 60 keeps float16 finite after quantization (max 65504) and exercises p -> 0 and p -> 1.
LOGIT_BOUND = 60.0


def finite_floats(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def batch_shape(draw: st.DrawFn, *, max_spatial: int = 2, max_side: int = 5, min_n: int = 1) -> tuple[int, ...]:
    """``(N, d1, ..., dk)`` with k in [0, max_spatial]."""
    n = draw(st.integers(min_n, 6))
    k = draw(st.integers(0, max_spatial))
    spatial = draw(st.lists(st.integers(1, max_side), min_size=k, max_size=k))
    return (n, *spatial)


@st.composite
def logits_array(draw: st.DrawFn, shape: tuple[int, ...], *, bound: float = LOGIT_BOUND) -> np.ndarray:
    """Logits with ties and exact zeros, sometimes scaled to ``bound``."""
    elements = st.one_of(finite_floats(bound), st.sampled_from([0.0, 1.0, -1.0, bound, -bound]))
    return draw(hnp.arrays(np.float64, shape, elements=elements))


@st.composite
def class_indices(draw: st.DrawFn, shape: tuple[int, ...], num_classes: int,
                  ignore_index: int | None = None) -> np.ndarray:
    """int64 class indices; with ``ignore_index`` some positions (possibly all) are ignored."""
    choices = st.integers(0, num_classes - 1)
    if ignore_index is not None:
        choices = st.one_of(choices, st.just(ignore_index))
    return draw(hnp.arrays(np.int64, shape, elements=choices))


@st.composite
def simplex(draw: st.DrawFn, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Probability vectors along ``axis``, with exact zeros and one-hot rows injected."""
    raw = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.floats(0.0, 1.0, width=64), st.just(0.0), st.just(1.0))))
    moved = np.moveaxis(raw, axis, -1).copy()
    dead = moved.sum(axis=-1) == 0
    moved[dead, 0] = 1.0  # a row of zeros becomes one-hot
    moved /= moved.sum(axis=-1, keepdims=True)
    return np.moveaxis(moved, -1, axis)


@st.composite
def unit_interval(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """Values in [0, 1], with exact 0 and 1 injected (binary or soft targets)."""
    return draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.floats(0.0, 1.0, width=64), st.sampled_from([0.0, 1.0]))))


def draw_kwargs(draw: st.DrawFn, options: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    return {name: draw(strategy) for name, strategy in options.items()}
