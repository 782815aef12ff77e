"""torch_impl losses == reference losses, in every dtype on every device (values; gradients are in
test_torch_gradients.py).

Oracle: the float64 reference on the same quantized inputs, within the tolerance table
(``tolerances.assert_parity``).  Plus two oracles for the torch code paths themselves:
``torch.nn.functional.cross_entropy`` and exact equalities between the paths (focal with gamma = 0,
off_target == uniform with the rescaled alpha).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, example, given
from hypothesis import strategies as st

import reference as ref
import torch_impl as tim

from . import strategies as S
from .tolerances import assert_parity, quantize
from .torch_cases import f1_well_conditioned, fits, torch_case

DTYPES = pytest.mark.parametrize("dtype", S.TORCH_FLOAT_DTYPES, ids=lambda d: str(d).removeprefix("torch."))
DEVICES = pytest.mark.parametrize("device", S.DEVICES)
GAMMAS = st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0]) | st.floats(0.0, 5.0)


def _parity(name, case, dtype, device, torch_kw=None, **extra):
    (x, t, kw_t), (x64, t64, kw_r) = torch_case(*case, dtype, device)
    expected = getattr(ref, name)(x64, t64, **kw_r, **extra)
    assume(fits(expected, dtype))
    actual = getattr(tim, name)(x, t, **kw_t, **(torch_kw or {}), **extra)
    assert actual.dtype == dtype and actual.device.type == device
    assert tuple(actual.shape) == np.shape(expected)
    assert_parity(actual, expected, dtype=dtype, func=name)


@DTYPES
@DEVICES
@given(case=S.softmax_loss_case())
def test_softmax_cross_entropy(case, dtype, device):
    _parity("softmax_cross_entropy", case, dtype, device)


@DTYPES
@DEVICES
@given(case=S.softmax_loss_case(), gamma=GAMMAS)
def test_focal_loss(case, gamma, dtype, device):
    _parity("focal_loss", case, dtype, device, gamma=gamma)


@pytest.mark.parametrize("validate", [True, False], ids=["validated", "unvalidated"])
@DTYPES
@DEVICES
@given(case=S.sigmoid_loss_case())
@example(case=(np.array([-25.0]), np.array([1.0]), {"gamma": 0.0, "alpha": 1e-7, "reduction": "mean"}))
def test_sigmoid_focal_loss(case, dtype, device, validate):
    """Validated 0/1 targets take the one-variable form; validate_args=False always the general one."""
    _parity("sigmoid_focal_loss", case, dtype, device, torch_kw={"validate_args": validate})


@DTYPES
@DEVICES
@given(case=S.soft_f1_case())
def test_soft_f1_loss(case, dtype, device):
    assume(f1_well_conditioned(case, dtype))
    _parity("soft_f1_loss", case, dtype, device)


@DTYPES
@DEVICES
@given(case=S.softmax_loss_case())
def test_focal_gamma_zero_equals_cross_entropy_exactly(case, dtype, device):
    (x, t, kw), _ = torch_case(*case, dtype, device)
    torch.testing.assert_close(tim.focal_loss(x, t, gamma=0.0, **kw), tim.softmax_cross_entropy(x, t, **kw),
                               rtol=0, atol=0, equal_nan=True)


@DTYPES
@DEVICES
@given(case=S.softmax_loss_case(targets=("index",)))
def test_off_target_equals_uniform_with_rescaled_alpha(case, dtype, device):
    """The hand-written off_target path against PyTorch's kernel (uniform, alpha' = alpha*K/(K-1) <= 1)."""
    (x, t, kw), _ = torch_case(*case, dtype, device)
    k = x.shape[1]
    assume(k > 1)
    alpha = kw.pop("label_smoothing") * (k - 1) / k
    kw.pop("smoothing_mode")
    off = tim.softmax_cross_entropy(x, t, label_smoothing=alpha, smoothing_mode="off_target", **kw)
    uniform = tim.softmax_cross_entropy(x, t, label_smoothing=alpha * k / (k - 1), **kw)
    # same math, different summation order: the dtype's own tolerance against a float64 oracle is too
    # loose a claim here, so compare at float32's row (16-bit results are both rounded once from float32)
    tol = {torch.float64: (1e-12, 1e-14), torch.float32: (1e-5, 1e-6)}.get(dtype, (8e-3, 1e-5))
    torch.testing.assert_close(off, uniform, rtol=tol[0], atol=tol[1], equal_nan=True)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@DEVICES
@given(case=S.softmax_loss_case())
def test_softmax_cross_entropy_matches_builtin(case, dtype, device):
    """Against F.cross_entropy itself, for the options it supports (uniform smoothing)."""
    (x, t, kw), _ = torch_case(*case, dtype, device)
    assume(kw["smoothing_mode"] == "uniform")
    builtin_kw = {k: v for k, v in kw.items() if k != "smoothing_mode"}
    if t.is_floating_point():
        t = t / t.sum(dim=1, keepdim=True)  # F.cross_entropy takes the target as given; both see this one
    expected = F.cross_entropy(x, t, **builtin_kw)
    actual = tim.softmax_cross_entropy(x, t, **kw)
    rtol, atol = (1e-12, 1e-14) if dtype == torch.float64 else (1e-5, 1e-6)
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", ["softmax_cross_entropy", "focal_loss"])
@given(case=S.softmax_loss_case(min_n=1))
def test_inside_autocast_equals_outside(case, name):
    """Casting is explicit: CPU autocast (bfloat16) changes neither the compute dtype nor the result."""
    (x, t, kw), _ = torch_case(*case, torch.float32, "cpu")
    outside = getattr(tim, name)(x, t, **kw)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = getattr(tim, name)(x, t, **kw)
    assert inside.dtype == torch.float32
    torch.testing.assert_close(inside, outside, rtol=0, atol=0, equal_nan=True)


@DTYPES
@DEVICES
def test_input_dtype_and_device_are_kept(dtype, device):
    x, _ = quantize(np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]]), dtype, device)
    t = torch.tensor([2, 0], device=device)
    y, _ = quantize(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]]), dtype, device)
    w, _ = quantize(np.array([1.0, 2.0, 0.5]), dtype, device)
    for out in (tim.softmax_cross_entropy(x, t, weight=w), tim.focal_loss(x, t, weight=w, label_smoothing=0.1),
                tim.sigmoid_focal_loss(x, y, reduction="none"), tim.soft_f1_loss(x, t)):
        assert out.dtype == dtype and out.device.type == device
