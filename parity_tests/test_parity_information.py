"""torch_impl information functions and label smoothing == reference, in every dtype on every device.

Oracle: the float64 reference on the same quantized inputs (``validate_args=False`` there: rounding a
probability vector to 16 bits moves its sum off 1 by more than the float64 simplex tolerance), within
the tolerance table.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import reference as ref
import torch_impl as tim

from . import strategies as S
from .tolerances import assert_parity, quantize

DTYPES = pytest.mark.parametrize("dtype", S.TORCH_FLOAT_DTYPES, ids=lambda d: str(d).removeprefix("torch."))
DEVICES = pytest.mark.parametrize("device", S.DEVICES)
BASES = st.none() | st.sampled_from([2, 10, 0.5, np.e])


def _check(actual, expected, dtype, device, name):
    assert actual.dtype == dtype and actual.device.type == device
    assert tuple(actual.shape) == np.shape(expected)
    assert_parity(actual, expected, dtype=dtype, func=name)


@DTYPES
@DEVICES
@given(case=S.distribution_pair(), base=BASES)
def test_entropy(case, base, dtype, device):
    p, _, axis = case
    t, p64 = quantize(p, dtype, device)
    expected = ref.entropy(p64, axis=axis, base=base, validate_args=False)
    _check(tim.entropy(t, axis=axis, base=base), expected, dtype, device, "entropy")


@pytest.mark.parametrize("name", ["cross_entropy", "kl_divergence"])
@DTYPES
@DEVICES
@given(case=S.distribution_pair(), base=BASES)
def test_pair_functions(case, base, name, dtype, device):
    p, q, axis = case
    (tp, p64), (tq, q64) = quantize(p, dtype, device), quantize(q, dtype, device)
    expected = getattr(ref, name)(p64, q64, axis=axis, base=base, validate_args=False)
    _check(getattr(tim, name)(tp, tq, axis=axis, base=base), expected, dtype, device, name)


@pytest.mark.parametrize("name", ["entropy", "cross_entropy", "kl_divergence"])
@DTYPES
@DEVICES
@given(case=S.distribution_pair(logits=True), base=BASES)
def test_from_logits(case, base, name, dtype, device):
    p, q, axis = case
    (tp, p64), (tq, q64) = quantize(p, dtype, device), quantize(q, dtype, device)
    args_t, args_r = ((tp,), (p64,)) if name == "entropy" else ((tp, tq), (p64, q64))
    expected = getattr(ref, name)(*args_r, axis=axis, base=base, from_logits=True)
    _check(getattr(tim, name)(*args_t, axis=axis, base=base, from_logits=True), expected, dtype, device, name)


@st.composite
def smoothing_case(draw: st.DrawFn):
    k = draw(st.integers(2, 9))
    shape = draw(S.batch_shape(max_spatial=2, max_side=3, min_n=0))
    if draw(st.booleans()):
        target = draw(S.class_indices(shape, k))
    else:
        target = draw(S.simplex((shape[0], k, *shape[1:]), axis=1))
    return target, k, draw(S.SMOOTHINGS), draw(st.sampled_from(["uniform", "off_target"]))


@DTYPES
@DEVICES
@given(case=smoothing_case())
def test_smooth_labels(case, dtype, device):
    """Probability targets keep their dtype; class indices give the default dtype (checked as float32)."""
    target, k, alpha, mode = case
    if target.dtype.kind == "f":
        t, t64 = quantize(target, dtype, device)
        out_dtype = dtype
    else:
        t, t64, out_dtype = torch.from_numpy(target).to(device), target, torch.get_default_dtype()
    expected = ref.smooth_labels(t64, k, alpha, mode=mode, validate_args=False)
    _check(tim.smooth_labels(t, k, alpha, mode=mode), expected, out_dtype, device, "smooth_labels")
