"""The fast paths (torch_impl/_fast.py) against the float64 reference, and the dispatch to them.

Oracles: ``reference.losses`` / ``reference.gradients`` on the same quantized inputs within the table
(values and gradients, every dtype); ``torch.autograd.gradcheck`` finite differences in float64; the
general path of the same public function (dispatch tests); closed-form limits at extreme logits.
The cotangent is a fixed 0.75 (exact in every dtype, and not 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch.autograd import gradcheck, gradgradcheck

import reference as ref
import reference.gradients as G
import torch_impl as tim
from torch_impl import _fast
from torch_impl._math import reduce
from torch_impl.losses import _sigmoid_focal

from . import strategies as S
from .tolerances import assert_parity, quantize
from .torch_cases import fits

DTYPES = pytest.mark.parametrize("dtype", S.TORCH_FLOAT_DTYPES, ids=lambda d: str(d).removeprefix("torch."))
GAMMAS = st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0]) | st.floats(0.0, 5.0)
COTANGENT = 0.75


def _work(dtype: torch.dtype) -> torch.dtype:
    return torch.promote_types(dtype, torch.float32)


@st.composite
def index_case(draw: st.DrawFn, *, bound: float = S.LOGIT_BOUND) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """2-D logits (N, C) with class indices (ignored positions, possibly all) and optional class weights."""
    n = draw(st.integers(1, 8))
    k = draw(st.integers(1, 6))
    logits = draw(S.logits_array((n, k), bound=bound))
    ignore_index = draw(st.sampled_from([-100, 0, k - 1]))
    target = draw(S.class_indices((n,), k, ignore_index))
    weight = draw(st.none() | S.hnp.arrays(np.float64, (k,), elements=S.CLASS_WEIGHTS))
    return logits, target, {"ignore_index": ignore_index, "weight": weight}


def _inputs(logits, target, weight, dtype):
    x, x64 = quantize(logits, dtype)
    w, w64 = (None, None) if weight is None else quantize(weight, dtype)
    return x.requires_grad_(True), x64, torch.from_numpy(target), w, w64


def _fast_softmax(x, t, gamma, e, w, ignore_index, reduction):
    work = _work(x.dtype)
    weight = None if w is None else w.to(work)
    out = _fast.softmax_index_loss(x.to(work), t, gamma, e, weight, ignore_index, reduction, None)
    return out.to(x.dtype)


def _check(out, x, expected_value, expected_grad, dtype, func):
    assume(fits(expected_value, dtype) and fits(expected_grad, dtype))
    assert out.dtype == dtype
    assert_parity(out, expected_value, dtype=dtype, func=func)
    assume(not bool(torch.isnan(out).all()) or out.numel() == 0)  # gradient of a NaN mean: unspecified
    out.backward(torch.full_like(out, COTANGENT))
    assert x.grad is not None and x.grad.dtype == dtype
    assert_parity(x.grad, COTANGENT * expected_grad, dtype=dtype, kind="grad", func=func)


# ----------------------------------------------------------------------------- P1: CE (+ smoothing) / focal
@DTYPES
@given(case=index_case(), gamma=GAMMAS, reduction=st.sampled_from(S.REDUCTIONS))
def test_focal_fast_path(case, gamma, reduction, dtype):
    logits, target, kw = case
    x, x64, t, w, w64 = _inputs(logits, target, kw["weight"], dtype)
    out = _fast_softmax(x, t, gamma, 0.0, w, kw["ignore_index"], reduction)
    kw_r = dict(weight=w64, ignore_index=kw["ignore_index"], reduction=reduction, validate_args=False)
    _check(out, x, ref.focal_loss(x64, target, gamma=gamma, **kw_r),
           G.focal_loss_grad(x64, target, gamma=gamma, **kw_r), dtype, "focal_loss")


@DTYPES
@given(case=index_case(), smoothing=S.SMOOTHINGS, reduction=st.sampled_from(S.REDUCTIONS))
def test_smoothed_cross_entropy_fast_path(case, smoothing, reduction, dtype):
    logits, target, kw = case
    x, x64, t, w, w64 = _inputs(logits, target, kw["weight"], dtype)
    out = _fast_softmax(x, t, 0.0, smoothing, w, kw["ignore_index"], reduction)
    kw_r = dict(weight=w64, ignore_index=kw["ignore_index"], label_smoothing=smoothing, reduction=reduction,
                validate_args=False)
    _check(out, x, ref.softmax_cross_entropy(x64, target, **kw_r), G.softmax_cross_entropy_grad(x64, target, **kw_r),
           dtype, "softmax_cross_entropy")


# ----------------------------------------------------------------------------- P2: soft F1
@DTYPES
@given(case=index_case(), beta=st.sampled_from([1.0, 0.5, 2.0]) | st.floats(0.1, 10.0),
       average=st.sampled_from(["macro", "micro"]), eps=st.sampled_from([1e-7, 1.0]))
def test_soft_f1_fast_path(case, beta, average, eps, dtype):
    logits, target, kw = case
    x, x64, t, _, _ = _inputs(logits, target, None, dtype)
    work = _work(dtype)
    out = _fast.soft_f1_index(x.to(work), t, beta, eps, average == "micro", kw["ignore_index"], None).to(dtype)
    kw_r = dict(beta=beta, average=average, ignore_index=kw["ignore_index"], eps=eps, validate_args=False)
    _check(out, x, ref.soft_f1_loss(x64, target, **kw_r), G.soft_f1_loss_grad(x64, target, **kw_r), dtype,
           "soft_f1_loss")


# ----------------------------------------------------------------------------- P3: sigmoid focal, 0/1 targets
@DTYPES
@given(case=S.sigmoid_loss_case())
def test_hard_sigmoid_focal_fast_path(case, dtype):
    logits, target, kw = case
    target = (target > 0.5).astype(np.float64)
    assume(kw["gamma"] == 0 or kw["gamma"] >= torch.finfo(_work(dtype)).tiny)
    x, x64 = quantize(logits, dtype)
    x.requires_grad_(True)
    y, y64 = quantize(target, dtype)
    work = _work(dtype)
    per_element = _fast.hard_sigmoid_focal(x.to(work), y.to(work), kw["gamma"], kw["alpha"], None)
    out = reduce(per_element, kw["reduction"]).to(dtype)
    kw_r = dict(kw, validate_args=False)
    _check(out, x, ref.sigmoid_focal_loss(x64, y64, **kw_r), G.sigmoid_focal_loss_grad(x64, y64, **kw_r), dtype,
           "sigmoid_focal_loss")


# ----------------------------------------------------------------------------- gradcheck (float64)
@settings(max_examples=25)
@given(case=index_case(bound=6.0), gamma=GAMMAS, smoothing=S.SMOOTHINGS, reduction=st.sampled_from(S.REDUCTIONS))
def test_gradcheck_fast_softmax(case, gamma, smoothing, reduction):
    logits, target, kw = case
    x, _, t, w, _ = _inputs(logits, target, kw["weight"], torch.float64)
    assume(not bool(torch.isnan(_fast_softmax(x, t, 0.0, smoothing, w, kw["ignore_index"], reduction)).any()))
    assert gradcheck(lambda z: _fast_softmax(z, t, gamma, 0.0, w, kw["ignore_index"], reduction), (x,))
    assert gradcheck(lambda z: _fast_softmax(z, t, 0.0, smoothing, w, kw["ignore_index"], reduction), (x,))


@settings(max_examples=25)
@given(case=index_case(bound=6.0), beta=st.floats(0.1, 10.0), average=st.sampled_from(["macro", "micro"]))
def test_gradcheck_fast_soft_f1(case, beta, average):
    logits, target, kw = case
    x, _, t, _, _ = _inputs(logits, target, None, torch.float64)
    assert gradcheck(lambda z: _fast.soft_f1_index(z, t, beta, 1e-7, average == "micro", kw["ignore_index"], None),
                     (x,))


@settings(max_examples=25)
@given(case=S.sigmoid_loss_case(bound=6.0))
def test_gradcheck_fast_sigmoid_focal(case):
    logits, target, kw = case
    assume(logits.size > 0)
    x = torch.tensor(logits, requires_grad=True)
    y = torch.tensor((target > 0.5).astype(np.float64))
    assert gradcheck(lambda z: _fast.hard_sigmoid_focal(z, y, kw["gamma"], kw["alpha"], None).sum(), (x,))


# ----------------------------------------------------------------------------- extreme logits, p_t -> 1
EXTREME = [[1e4, -1e4, 0.0], [0.0, 5.0, -1e4], [-1e4, 1e4, 1e4], [3.0, 3.0, 3.0]]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16],
                         ids=lambda d: str(d).removeprefix("torch."))
@pytest.mark.parametrize("gamma, smoothing", [(0.0, 0.1), (0.5, 0.0), (0.25, 0.0), (2.0, 0.0)])
def test_fast_softmax_finite_at_extreme_logits(dtype, gamma, smoothing):
    """Rows 0 and 1 put p_t at exactly 1 or 0 (1e4 apart); the gradient limit at p_t = 1 is 0 for gamma > 0
    (f'(0) = -(1 - p)^gamma (1 + gamma) = 0) and the loss is 0 there."""
    x = torch.tensor(EXTREME, dtype=torch.float64).to(dtype).requires_grad_(True)
    t = torch.tensor([0, 2, 1, 0])
    out = _fast_softmax(x, t, gamma, smoothing, None, -100, "none")
    out.sum().backward()
    out = out.detach()
    assert bool(torch.isfinite(out).all()) and bool(torch.isfinite(x.grad).all())
    if smoothing == 0:
        assert float(out[0]) == 0.0 and float(x.grad[0].abs().max()) == 0.0
        # p_t = 0 (u_t = -1e4 - 5): the focal factor is 1, the loss is -log p_t = 1e4 + 5 (1e4 + 8 in bfloat16)
        assert abs(float(out[1]) - float(x.detach()[1, 1] - x.detach()[1, 2])) <= 1e-3 * float(out[1])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
def test_fast_soft_f1_and_sigmoid_finite_at_extreme_logits(dtype):
    x = torch.tensor(EXTREME, dtype=dtype, requires_grad=True)
    t = torch.tensor([0, 2, 1, -100])
    loss = _fast.soft_f1_index(x, t, 1.0, 1e-7, False, -100, None)
    loss.backward()
    assert bool(torch.isfinite(loss)) and bool(torch.isfinite(x.grad).all())
    y = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]], dtype=dtype)
    for gamma in (0.0, 0.5, 2.0):
        z = x.detach().requires_grad_(True)
        out = _fast.hard_sigmoid_focal(z, y, gamma, 0.25, None)
        out.sum().backward()
        assert bool(torch.isfinite(out).all()) and bool(torch.isfinite(z.grad).all())


def test_hard_sigmoid_focal_infinite_logits():
    """p_t = 1 at x = +inf, y = 1: loss 0, gradient 0; p_t = 0 at x = +inf, y = 0: loss inf, gradient -> the
    limit (1 - 2y) alpha_t q^gamma (gamma (1 - q) ce + q) = (1 - alpha) (0 + 1) with (1 - q) ce -> 0."""
    x = torch.tensor([np.inf, np.inf, -np.inf], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    out = _fast.hard_sigmoid_focal(x, y, 2.0, 0.25, None)
    out.sum().backward()
    assert out.tolist() == [0.0, np.inf, 0.0]
    assert x.grad.tolist() == [0.0, 0.75, 0.0]


# ----------------------------------------------------------------------------- dispatch from the public functions
def _spy(monkeypatch, name):
    calls = []
    original = getattr(_fast, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(_fast, name, spy)
    return calls


def _common_case(dtype=torch.float32):
    gen = torch.Generator().manual_seed(0)
    x = (3 * torch.randn(16, 5, generator=gen, dtype=torch.float64)).to(dtype)
    t = torch.randint(0, 5, (16,), generator=gen)
    y = (torch.rand(16, 5, generator=gen) < 0.3).to(dtype)
    return x, t, y


@pytest.mark.parametrize("call, name", [
    (lambda x, t, y: tim.focal_loss(x, t), "softmax_index_loss"),
    (lambda x, t, y: tim.focal_loss(x, t, gamma=0.5, weight=torch.rand(5), ignore_index=1), "softmax_index_loss"),
    (lambda x, t, y: tim.softmax_cross_entropy(x, t, label_smoothing=0.1), "softmax_index_loss"),
    (lambda x, t, y: tim.soft_f1_loss(x, t), "soft_f1_index"),
    (lambda x, t, y: tim.soft_f1_loss(x, t, average="micro", ignore_index=2), "soft_f1_index"),
    # float64: the compiled CPU kernel (float32 only, test_kernel.py) does not apply
    (lambda x, t, y: tim.sigmoid_focal_loss(x.double(), y.double()), "hard_sigmoid_focal"),
])
def test_common_case_takes_the_fast_path(monkeypatch, call, name):
    calls = _spy(monkeypatch, name)
    x, t, y = _common_case()
    call(x, t, y)
    assert calls == [name]


@pytest.mark.parametrize("call, name", [
    (lambda x, t, y: tim.focal_loss(x[..., None], t[..., None]), "softmax_index_loss"),  # (N, C, d1)
    (lambda x, t, y: tim.focal_loss(x, t, label_smoothing=0.1), "softmax_index_loss"),  # focal + smoothing
    (lambda x, t, y: tim.focal_loss(x, t, gamma=1e-300), "softmax_index_loss"),  # gamma rounds to 0 in float32
    (lambda x, t, y: tim.softmax_cross_entropy(x, t, label_smoothing=0.1, smoothing_mode="off_target"),
     "softmax_index_loss"),
    # F.cross_entropy itself (in float32 on the CPU the compiled kernel takes it: test_kernel.py)
    (lambda x, t, y: tim.softmax_cross_entropy(x.double(), t), "softmax_index_loss"),
    (lambda x, t, y: tim.focal_loss(x, torch.softmax(x, 1)), "softmax_index_loss"),  # probability targets
    (lambda x, t, y: tim.soft_f1_loss(x, y, multilabel=True), "soft_f1_index"),
    (lambda x, t, y: tim.soft_f1_loss(x[..., None], t[..., None]), "soft_f1_index"),
    (lambda x, t, y: tim.sigmoid_focal_loss(x.double(), y.double(), validate_args=False), "hard_sigmoid_focal"),
    (lambda x, t, y: tim.sigmoid_focal_loss(x, y * 0.5), "hard_sigmoid_focal"),  # soft targets
])
def test_other_cases_take_the_general_path(monkeypatch, call, name):
    calls = _spy(monkeypatch, name)
    x, t, y = _common_case()
    call(x, t, y)
    assert calls == []


def _value_and_grad(fn, x):
    z = x.detach().clone().requires_grad_(True)
    out = fn(z)
    out.backward(torch.full_like(out, COTANGENT))
    return out.detach(), z.grad


def _same(fast, general, dtype):
    """The fast and the general path on the same inputs: values and gradients within the table's rows."""
    (v1, g1), (v2, g2) = fast, general
    for a, b, kind in ((v1, v2, "value"), (g1, g2, "grad")):
        assert_parity(a, b.double().numpy(), dtype=dtype, kind=kind)


@DTYPES
@given(case=index_case(), gamma=GAMMAS, smoothing=S.SMOOTHINGS, reduction=st.sampled_from(S.REDUCTIONS))
def test_fast_path_equals_general_path(case, gamma, smoothing, reduction, dtype):
    """The same call on (N, C) logits (fast) and on (N, C, 1) logits (the general path, same math)."""
    logits, target, kw = case
    x, _ = quantize(logits, dtype)
    t = torch.from_numpy(target)
    w = None if kw["weight"] is None else quantize(kw["weight"], dtype)[0]
    opts = dict(weight=w, ignore_index=kw["ignore_index"], reduction=reduction)
    cases = [(tim.focal_loss, dict(gamma=gamma)), (tim.softmax_cross_entropy, dict(label_smoothing=smoothing))]
    for fn, extra in cases:
        fast = _value_and_grad(lambda z: fn(z, t, **opts, **extra), x)
        general = _value_and_grad(lambda z: fn(z[..., None], t[..., None], **opts, **extra).squeeze(-1), x)
        assume(not bool(torch.isnan(fast[0]).all()))
        _same(fast, (general[0], general[1]), dtype)
    f1 = dict(ignore_index=kw["ignore_index"], average="micro" if gamma > 1 else "macro")
    _same(_value_and_grad(lambda z: tim.soft_f1_loss(z, t, **f1), x),
          _value_and_grad(lambda z: tim.soft_f1_loss(z[..., None], t[..., None], **f1), x), dtype)


@DTYPES
@given(case=S.sigmoid_loss_case())
def test_hard_sigmoid_fast_path_equals_general_path(case, dtype):
    """0/1 targets through the public function (the compiled kernel for float32 and 16-bit inputs on the CPU,
    else the one-variable fast path) against the general two-variable form of soft targets."""
    logits, target, kw = case
    x, _ = quantize(logits, dtype)
    y = torch.from_numpy((target > 0.5).astype(np.float64)).to(dtype)
    gamma, alpha, reduction = kw["gamma"], kw["alpha"], kw["reduction"]
    fast = _value_and_grad(lambda z: tim.sigmoid_focal_loss(z, y, **kw), x)
    work = _work(dtype)
    general = _value_and_grad(
        lambda z: reduce(_sigmoid_focal(z.to(work), y.to(work), gamma, alpha, hard=False), reduction).to(dtype), x)
    assume(not bool(torch.isnan(general[0]).all()))
    _same(fast, general, dtype)


@pytest.mark.parametrize("call", [
    lambda z, t: tim.softmax_cross_entropy(z, t, label_smoothing=0.2, weight=torch.tensor([0.5, 1.0, 2.0, 1.0],
                                                                                         dtype=torch.float64)),
    lambda z, t: tim.focal_loss(z, t, gamma=0.5, ignore_index=1),
    lambda z, t: tim.soft_f1_loss(z, t),
    lambda z, t: tim.soft_f1_loss(z, t, average="micro", beta=2.0),
])
def test_fast_paths_are_twice_differentiable(call):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(3, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    t = torch.tensor([0, 3, 1])
    assert gradgradcheck(lambda z: call(z, t), (x,))


def test_ignored_rows_do_not_count_even_if_nan():
    """An ignored row leaves every count unchanged, whatever its logits (the general path's convention): the
    loss and the other rows' gradients equal those of the batch without that row."""
    x = torch.tensor([[1.0, 2.0, 0.5], [np.nan, np.inf, 0.0], [0.3, -1.0, 2.0]], dtype=torch.float64)
    t = torch.tensor([1, -100, 2])
    fast = _value_and_grad(lambda z: tim.soft_f1_loss(z, t), x)
    kept = _value_and_grad(lambda z: tim.soft_f1_loss(z, t[[0, 2]]), x[[0, 2]])
    assert float(fast[0]) == pytest.approx(float(kept[0]), rel=1e-15)
    torch.testing.assert_close(fast[1][[0, 2]], kept[1], rtol=1e-13, atol=1e-15)
    assert fast[1][1].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("call", [
    lambda x, t, y: tim.softmax_cross_entropy(x, t, label_smoothing=0.1,
                                              weight=torch.tensor([0.5, 1.0, 2.0, 1.0, 1.0])),
    lambda x, t, y: tim.focal_loss(x, t, gamma=0.5, weight=torch.tensor([0.5, 1.0, 2.0, 1.0, 1.0])),
    lambda x, t, y: tim.soft_f1_loss(x, t),
    lambda x, t, y: tim.soft_f1_loss(x, t, average="micro"),
    lambda x, t, y: tim.sigmoid_focal_loss(x, y),
])
def test_fast_paths_ignore_autocast(call):
    """The fast paths compute in float32 inside a CPU autocast (bfloat16) region too: values and gradients
    are bit-identical to those outside it."""
    x, t, y = _common_case()
    outside = _value_and_grad(lambda z: call(z, t, y), x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = _value_and_grad(lambda z: call(z, t, y), x)
    for a, b in zip(inside, outside):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b, rtol=0, atol=0)
