"""torch autograd gradients == the reference's closed forms (reference/gradients.py), in every dtype on every
device; ``torch.autograd.gradcheck`` (float64, small shapes) for every loss and information function.

Oracles: ``reference.gradients`` (checked against central finite differences in
test_reference_gradients.py) on the same quantized inputs, within the table's ``grad`` row; and
gradcheck's own finite differences.  The cotangent is a fixed 0.75 everywhere (O(1), exact in every
dtype, and not 1, so a backward that drops the incoming gradient fails).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch.autograd import gradcheck, gradgradcheck

import reference as ref
import reference.gradients as G
import torch_impl as tim

from . import strategies as S
from .tolerances import assert_parity
from .torch_cases import f1_well_conditioned, fits, torch_case

DTYPES = pytest.mark.parametrize("dtype", S.TORCH_FLOAT_DTYPES, ids=lambda d: str(d).removeprefix("torch."))
DEVICES = pytest.mark.parametrize("device", S.DEVICES)
GAMMAS = st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0]) | st.floats(0.0, 5.0)
COTANGENT = 0.75


def _grad_parity(name, case, dtype, device, torch_kw=None, **extra):
    (x, t, kw_t), (x64, t64, kw_r) = torch_case(*case, dtype, device, requires_grad=True)
    kw_t.update(torch_kw or {})
    expected = COTANGENT * getattr(G, f"{name}_grad")(x64, t64, **kw_r, **extra)
    assume(fits(getattr(ref, name)(x64, t64, **kw_r, **extra), dtype) and fits(expected, dtype))
    loss = getattr(tim, name)(x, t, **kw_t, **extra)
    # The gradient of a NaN loss (every position ignored, or zero weight on every target under "mean")
    # is not specified: F.cross_entropy itself gives 0 in one case and NaN in the other.
    assume(not bool(torch.isnan(loss).all()) or loss.numel() == 0)
    loss.backward(torch.full_like(loss, COTANGENT))
    assert x.grad is not None and x.grad.dtype == dtype and x.grad.device.type == device
    assert_parity(x.grad, expected, dtype=dtype, kind="grad", func=name)


@DTYPES
@DEVICES
@given(case=S.softmax_loss_case())
def test_softmax_cross_entropy_grad(case, dtype, device):
    _grad_parity("softmax_cross_entropy", case, dtype, device)


@DTYPES
@DEVICES
@given(case=S.softmax_loss_case(), gamma=GAMMAS)
def test_focal_loss_grad(case, gamma, dtype, device):
    _grad_parity("focal_loss", case, dtype, device, gamma=gamma)


@pytest.mark.parametrize("validate", [True, False], ids=["validated", "unvalidated"])
@DTYPES
@DEVICES
@given(case=S.sigmoid_loss_case())
def test_sigmoid_focal_loss_grad(case, dtype, device, validate):
    """Both closed forms: 0/1 targets (validated) and the general one (validate_args=False)."""
    _grad_parity("sigmoid_focal_loss", case, dtype, device, torch_kw={"validate_args": validate})


@DTYPES
@DEVICES
@given(case=S.soft_f1_case())
def test_soft_f1_loss_grad(case, dtype, device):
    assume(f1_well_conditioned(case, dtype))
    _grad_parity("soft_f1_loss", case, dtype, device)


# ----------------------------------------------------------------------------- gradcheck (float64)
def _small(case):
    """At most 2 positions per axis, logits scaled into [-6, 6]: gradcheck's finite differences need a
    smooth, well-conditioned neighbourhood, and cost two evaluations per input element."""
    logits, target, kwargs = case
    crop = (slice(0, 2),) * 1 + (slice(None),) + (slice(0, 2),) * (logits.ndim - 2)
    target = target[crop] if target.dtype.kind == "f" else target[crop[:1] + crop[2:]]
    return logits[crop] / 10.0, target, kwargs


@settings(max_examples=25)
@given(case=S.softmax_loss_case(min_n=1).map(_small), gamma=GAMMAS)
def test_gradcheck_softmax_losses(case, gamma):
    (x, t, kw), _ = torch_case(*case, torch.float64, "cpu", requires_grad=True)
    assume(not bool(torch.isnan(tim.softmax_cross_entropy(x, t, **kw)).all()))
    assert gradcheck(lambda z: tim.softmax_cross_entropy(z, t, **kw), (x,))
    assert gradcheck(lambda z: tim.focal_loss(z, t, gamma=gamma, **kw), (x,))
    if t.is_floating_point():  # probability targets are differentiable too
        t.requires_grad_(True)
        assert gradcheck(lambda z, y: tim.focal_loss(z, y, gamma=gamma, validate_args=False, **kw), (x, t))


@settings(max_examples=25)
@given(case=S.sigmoid_loss_case(bound=6.0))
def test_gradcheck_sigmoid_focal_loss(case):
    logits, target, kw = case
    crop = (slice(0, 3),) * logits.ndim  # gradcheck costs two evaluations per input element
    logits, target = logits[crop], target[crop]
    assume(logits.size > 0)
    x = torch.tensor(logits, requires_grad=True)
    # targets strictly inside (0, 1) so that the finite differences in y stay in the domain
    y = torch.tensor(np.clip(target, 0.01, 0.99), requires_grad=True)
    assert gradcheck(lambda a, b: tim.sigmoid_focal_loss(a, b, validate_args=False, **kw), (x, y))
    hard = torch.tensor((target > 0.5).astype(np.float64))  # the 0/1 form (validated, target without grad)
    assert gradcheck(lambda a: tim.sigmoid_focal_loss(a, hard, **kw), (x,))


@settings(max_examples=25)
@given(case=S.soft_f1_case())
def test_gradcheck_soft_f1_loss(case):
    (x, t, kw), _ = torch_case(*_small(case), torch.float64, "cpu", requires_grad=True)
    assume(x.numel() > 0 and not bool(torch.isnan(tim.soft_f1_loss(x, t, **kw))))  # 0/0 with eps = 0
    assert gradcheck(lambda z: tim.soft_f1_loss(z, t, **kw), (x,))


@pytest.mark.parametrize("name", ["entropy", "cross_entropy", "kl_divergence"])
@settings(max_examples=25)
@given(case=S.distribution_pair(), base=st.none() | st.just(2))
def test_gradcheck_information_probabilities(case, base, name):
    """Gradients w.r.t. p and q themselves (off the simplex under perturbation, so validate_args=False);
    entries are kept away from 0, where the convention 0 * log 0 = 0 is not differentiable."""
    p, q, axis = (torch.tensor(0.5 * v + 0.1, requires_grad=True) if i < 2 else v for i, v in enumerate(case))
    args = (p,) if name == "entropy" else (p, q)
    assert gradcheck(lambda *a: getattr(tim, name)(*a, axis=axis, base=base, validate_args=False), args)


@pytest.mark.parametrize("name", ["entropy", "cross_entropy", "kl_divergence"])
@settings(max_examples=25)
@given(case=S.distribution_pair(logits=True), base=st.none() | st.just(2))
def test_gradcheck_information_logits(case, base, name):
    p, q, axis = (torch.tensor(v / 10.0, requires_grad=True) if i < 2 else v for i, v in enumerate(case))
    args = (p,) if name == "entropy" else (p, q)
    assert gradcheck(lambda *a: getattr(tim, name)(*a, axis=axis, base=base, from_logits=True), args)


def test_gradcheck_smooth_labels_probabilities():
    y = torch.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]], dtype=torch.float64, requires_grad=True)
    for mode in ("uniform", "off_target"):
        assert gradcheck(lambda v: tim.smooth_labels(v, 3, 0.3, mode=mode, validate_args=False), (y,))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_second_derivatives(gamma):
    """The closed-form backward passes are themselves differentiable (Hessian-vector products work)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    t = torch.tensor([0, 3, 1])
    y = torch.rand(3, 4, dtype=torch.float64, generator=gen)
    for loss in (lambda z: tim.focal_loss(z, t, gamma=gamma), lambda z: tim.focal_loss(z, t, gamma=gamma,
                                                                                         label_smoothing=0.2),
                 lambda z: tim.sigmoid_focal_loss(z, y, gamma=gamma)):
        assert gradgradcheck(loss, (x,))


HESSIAN_CASES = {
    "softmax_cross_entropy": lambda z, t, y: tim.softmax_cross_entropy(z, t, label_smoothing=0.1),
    "focal_loss-gamma1": lambda z, t, y: tim.focal_loss(z, t, gamma=1.0),
    "focal_loss-gamma2-smoothed": lambda z, t, y: tim.focal_loss(z, t, gamma=2.0, label_smoothing=0.1),
    "sigmoid_focal_loss-gamma0.5": lambda z, t, y: tim.sigmoid_focal_loss(z, y, gamma=0.5),
    "sigmoid_focal_loss-gamma2": lambda z, t, y: tim.sigmoid_focal_loss(z, y),
    "sigmoid_focal_loss-hard-gamma2": lambda z, t, y: tim.sigmoid_focal_loss(z, (y > 0.5).to(z.dtype)),
    "sigmoid_focal_loss-hard-gamma0.5": lambda z, t, y: tim.sigmoid_focal_loss(z, (y > 0.5).to(z.dtype), gamma=0.5),
    "soft_f1_loss": lambda z, t, y: tim.soft_f1_loss(z, t),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(HESSIAN_CASES))
def test_hessian_is_finite_at_extreme_logits(name, dtype):
    """Logits of +-1e4 put p_t at exactly 1 (and other p at exactly 0); the Hessian stays finite there
    (for the softmax focal loss when gamma >= 1: with gamma < 1, (1 - p)^gamma has an infinite slope at p = 1)."""
    x = torch.tensor([[1e4, -1e4, 0.0], [0.0, 5.0, -1e4]], dtype=dtype)
    t = torch.tensor([0, 2])
    y = torch.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]], dtype=dtype)
    hessian = torch.autograd.functional.hessian(lambda z: HESSIAN_CASES[name](z, t, y), x)
    assert bool(torch.isfinite(hessian).all())
