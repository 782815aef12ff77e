"""The compiled CPU kernel of the sigmoid focal loss (torch_impl/csrc/sigmoid_focal.c, torch_impl/_kernel.py).

Oracles: ``reference.losses.sigmoid_focal_loss`` / ``reference.gradients.sigmoid_focal_loss_grad`` in float64
on the same float32 inputs, within the float32 rows of the table (values, gradients, every reduction, one
thread and several); the PyTorch fast path and the general form of the same function (dispatch and
fallback); closed-form limits at infinite logits; bit-identical elementwise results across thread counts.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from hypothesis import given

import reference as ref
import reference.gradients as G
import torch_impl as tim
from torch_impl import _fast, _kernel
from torch_impl._math import reduce
from torch_impl.losses import _sigmoid_focal

from . import strategies as S
from .tolerances import assert_parity, quantize

needs_kernel = pytest.mark.skipif(not _kernel.available(), reason="the compiled kernel was not built")
REDUCTIONS = ["mean", "sum", "none"]


def test_kernel_is_built_in_ci():
    """CI builds with a C compiler: there the kernel must have been built and loaded."""
    if os.environ.get("CI") != "true":
        pytest.skip("only required in CI")
    assert _kernel.available()


def _problem(n: int, seed: int, scale_decades: tuple[float, float] = (-3.0, 2.0)):
    """float32 logits spread over several decades (|x| from 1e-3 to 100) and 0/1 targets."""
    gen = torch.Generator().manual_seed(seed)
    decades = torch.empty(n, dtype=torch.float64).uniform_(*scale_decades, generator=gen)
    x = (torch.randn(n, generator=gen, dtype=torch.float64) * 10.0 ** decades).float()
    y = (torch.rand(n, generator=gen) < 0.4).float()
    return x, y


def _expected(x: torch.Tensor, y: torch.Tensor, gamma: float, alpha: float | None, reduction: str):
    x64, y64 = x.double().numpy(), y.double().numpy()
    kw = dict(gamma=gamma, alpha=alpha, reduction=reduction)
    return ref.sigmoid_focal_loss(x64, y64, **kw), G.sigmoid_focal_loss_grad(x64, y64, **kw)


def _direct(x, y, gamma, alpha, reduction):
    value = _kernel.sigmoid_focal(x, y, gamma, alpha, reduction)
    assert value is not None
    scale = 1.0 / x.numel() if reduction == "mean" else 1.0
    return value, _kernel.sigmoid_focal_grad(x, y, gamma, alpha, torch.tensor(1.0), scale)


@needs_kernel
@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 3.0, 0.5, 2.5, 1e-3])  # every specialised loop and the general
@pytest.mark.parametrize("alpha", [0.25, None, 1e-4, 1.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_kernel_matches_reference(gamma, alpha, reduction):
    x, y = _problem(5003, seed=int(gamma * 1000) + (7 if alpha is None else int(alpha * 100)))
    value, grad = _direct(x, y, gamma, alpha, reduction)
    want_value, want_grad = _expected(x, y, gamma, alpha, reduction)
    assert value.dtype == torch.float32 and value.shape == ((5003,) if reduction == "none" else ())
    assert_parity(value, want_value, dtype=torch.float32, func="sigmoid_focal_loss")
    assert_parity(grad, want_grad, dtype=torch.float32, kind="grad", func="sigmoid_focal_loss")


@needs_kernel
@given(case=S.sigmoid_loss_case())
def test_kernel_matches_reference_property(case):
    """Hypothesis inputs (ties, zeros, +-60, empty and odd shapes), targets rounded to 0/1."""
    logits, target, kw = case
    x, x64 = quantize(logits, torch.float32)
    y, y64 = quantize((target > 0.5).astype(np.float64), torch.float32)
    value = _kernel.sigmoid_focal(x, y, kw["gamma"], kw["alpha"], kw["reduction"])
    if x.numel() == 0:
        assert value is None  # empty: the PyTorch path owns the NaN-mean convention
        return
    assert value is not None
    grad = _kernel.sigmoid_focal_grad(x, y, kw["gamma"], kw["alpha"], torch.tensor(1.0), 1.0)
    kw_r = dict(kw, validate_args=False)
    assert_parity(value, ref.sigmoid_focal_loss(x64, y64, **kw_r), dtype=torch.float32)
    assert_parity(grad, G.sigmoid_focal_loss_grad(x64, y64, **dict(kw_r, reduction="sum")),
                  dtype=torch.float32, kind="grad")


@needs_kernel
@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_threads_give_the_same_elements_and_sum(threads):
    """Elementwise results do not depend on the thread count (bit for bit); the sum, accumulated in float64
    per thread, agrees with the float64 sum of the float32 elements to float64 rounding."""
    x, y = _problem(7 * _kernel.MIN_PER_THREAD + 13, seed=3)  # chunks of unequal length, a tail per chunk
    cotangent = torch.rand(x.shape, generator=torch.Generator().manual_seed(3))
    before = torch.get_num_threads()
    results = []
    try:
        for count in (1, threads):
            torch.set_num_threads(count)
            results.append((_kernel.sigmoid_focal(x, y, 2.0, 0.25, "none"),
                            _kernel.sigmoid_focal_grad(x, y, 2.0, 0.25, cotangent, 1.0),
                            _kernel.sigmoid_focal(x, y, 2.0, 0.25, "sum")))
    finally:
        torch.set_num_threads(before)
    (v1, g1, s1), (v2, g2, s2) = results
    assert torch.equal(v1, v2) and torch.equal(g1, g2)
    assert float(s2) == pytest.approx(float(v2.double().sum()), rel=1e-7)  # one float32 rounding of the sum


@needs_kernel
@pytest.mark.parametrize("where", [0, 17, 40_000, -1])  # first block, second block, another thread's chunk, tail
def test_a_soft_target_anywhere_hands_over(where):
    x, y = _problem(2 * _kernel.MIN_PER_THREAD + 5, seed=4)
    y[where] = 0.5
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert _kernel.sigmoid_focal(x, y, 2.0, 0.25, "mean") is None
    finally:
        torch.set_num_threads(before)


@needs_kernel
@pytest.mark.parametrize("bad", [np.nan, -0.0 - 1e-7, 1.0 + 1e-7, 2.0])
def test_a_target_outside_zero_one_hands_over_and_validation_reports_it(bad):
    """-0.0 counts as 0 (it is); NaN and values other than 0 and 1 go to the PyTorch path, whose validation
    rejects those outside [0, 1]."""
    x, y = _problem(100, seed=5)
    y[50] = bad
    assert _kernel.sigmoid_focal(x, y, 2.0, 0.25, "mean") is None
    with pytest.raises(ValueError, match="`target` must hold values in"):
        tim.sigmoid_focal_loss(x, y)


@needs_kernel
def test_negative_zero_target_is_zero():
    x, y = _problem(64, seed=6)
    y = torch.where(y == 0, torch.tensor(-0.0), y)
    value = _kernel.sigmoid_focal(x, y, 2.0, 0.25, "none")
    assert value is not None
    torch.testing.assert_close(value, _kernel.sigmoid_focal(x, y.abs(), 2.0, 0.25, "none"), rtol=0, atol=0)


@pytest.mark.parametrize("case", ["float64", "cuda-like: not contiguous", "float64 target", "empty"])
def test_kernel_does_not_apply(case):
    x, y = _problem(40, seed=7)
    if case == "float64":
        x, y = x.double(), y.double()
    elif case == "cuda-like: not contiguous":
        x, y = x.reshape(8, 5).t(), y.reshape(8, 5).t()
    elif case == "float64 target":
        y = y.double()
    else:
        x, y = x[:0], y[:0]
    assert _kernel.sigmoid_focal(x, y, 2.0, 0.25, "mean") is None


@needs_kernel
def test_infinite_and_extreme_logits():
    """Closed-form limits: p_t = 1 (x = +inf with y = 1, -inf with y = 0, or |x| = 1e4 on the right side) gives 0
    with zero gradient; p_t = 0 gives loss inf (or |x| alpha_t for finite x) and dL/dx = -(2y - 1) alpha_t."""
    inf = float("inf")
    x = torch.tensor([inf, -inf, 1e4, -1e4, -inf, inf, -1e4, 1e4, float("nan")])
    y = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    value = _kernel.sigmoid_focal(x, y, 2.0, 0.25, "none")
    grad = _kernel.sigmoid_focal_grad(x, y, 2.0, 0.25, torch.tensor(1.0), 1.0)
    assert value is not None
    assert value[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert grad[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert value[4:8].tolist() == [inf, inf, 2500.0, 7500.0]  # alpha_t |x| = 0.25e4, 0.75e4
    assert grad[4:8].tolist() == [-0.25, 0.75, -0.25, 0.75]
    assert torch.isnan(value[8]) and torch.isnan(grad[8])


def _value_and_grad(fn, x, cotangent=0.75):
    z = x.detach().clone().requires_grad_(True)
    out = fn(z)
    out.backward(torch.full_like(out, cotangent))
    return out.detach(), z.grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16], ids=str)
def test_public_function_takes_the_kernel(monkeypatch, reduction, dtype):
    """float32 and 16-bit logits (computed in float32) on the CPU go through the kernel and not the PyTorch
    fast path; values and gradients match the reference; in-place ops on the result are allowed."""
    calls = []
    original = _fast.hard_sigmoid_focal

    def spy(*args, **kwargs):
        calls.append("torch fast path")
        return original(*args, **kwargs)

    monkeypatch.setattr(_fast, "hard_sigmoid_focal", spy)
    x, y = _problem(300, seed=8, scale_decades=(-1.0, 1.0))
    x, y = x.to(dtype), y.to(dtype)
    value, grad = _value_and_grad(lambda z: tim.sigmoid_focal_loss(z, y, reduction=reduction), x)
    assert calls == ([] if _kernel.available() else ["torch fast path"])
    x64 = x.double().numpy()
    y64 = y.double().numpy()
    assert_parity(value, ref.sigmoid_focal_loss(x64, y64, reduction=reduction), dtype=dtype)
    assert_parity(grad, 0.75 * G.sigmoid_focal_loss_grad(x64, y64, reduction=reduction), dtype=dtype, kind="grad")
    out = tim.sigmoid_focal_loss(x.clone().requires_grad_(True), y, reduction=reduction)
    out /= 2  # a fresh output, not a view of the kernel's buffer


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_without_the_kernel_the_torch_path_gives_the_same(monkeypatch, reduction):
    """A build without a C compiler: the PyTorch fast path computes the same values and gradients."""
    x, y = _problem(2000, seed=9)
    with_kernel = _value_and_grad(lambda z: tim.sigmoid_focal_loss(z, y, reduction=reduction), x)
    monkeypatch.setattr(_kernel, "_SIGMOID_FOCAL", None)
    assert not _kernel.available()
    without = _value_and_grad(lambda z: tim.sigmoid_focal_loss(z, y, reduction=reduction), x)
    for a, b, kind in zip(with_kernel, without, ("value", "grad")):
        assert_parity(a, b.double().numpy(), dtype=torch.float32, kind=kind)


@needs_kernel
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_second_derivative_through_the_kernel(reduction):
    """create_graph=True: the gradient is differentiated through the general formula, so the Hessian-vector
    product equals that of the general two-variable path on the same float32 inputs."""
    x, y = _problem(50, seed=10, scale_decades=(-1.0, 0.5))
    v = torch.linspace(-1.0, 1.0, 50)

    def hvp(fn):
        z = x.clone().requires_grad_(True)
        out = fn(z)
        (g,) = torch.autograd.grad(out.sum(), z, create_graph=True)
        (h,) = torch.autograd.grad((g * v).sum(), z)
        return g.detach(), h

    fused = hvp(lambda z: tim.sigmoid_focal_loss(z, y, reduction=reduction))
    general = hvp(lambda z: reduce(_sigmoid_focal(z, y, 2.0, 0.25, hard=False), reduction))
    for a, b in zip(fused, general):
        assert_parity(a, b.double().numpy(), dtype=torch.float32, kind="grad")


@needs_kernel
def test_no_grad_keeps_no_gradient():
    x, y = _problem(100, seed=11)
    with torch.no_grad():
        out = tim.sigmoid_focal_loss(x.requires_grad_(True), y)
    assert out.grad_fn is None and not out.requires_grad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_gradient_scale_for_mean(seed):
    """The backward of the mean divides the kept gradient of the sum by n: same gradient as "sum" / n."""
    x, y = _problem(257, seed=seed)
    _, g_mean = _value_and_grad(lambda z: tim.sigmoid_focal_loss(z, y, reduction="mean"), x, 1.0)
    _, g_sum = _value_and_grad(lambda z: tim.sigmoid_focal_loss(z, y, reduction="sum"), x, 1.0)
    torch.testing.assert_close(g_mean, g_sum / 257, rtol=3e-7, atol=0)  # two roundings each side


@needs_kernel
@pytest.mark.parametrize("how", ["elementwise", "expanded"])
def test_backward_with_a_cotangent_per_element(how):
    """reduction="none": an elementwise cotangent multiplies the gradient element by element; an expanded one
    (out.sum().backward()) counts as one value."""
    x, y = _problem(1000, seed=12)
    cot = torch.linspace(-2.0, 3.0, 1000) if how == "elementwise" else torch.tensor(0.75).expand(1000)
    z = x.clone().requires_grad_(True)
    tim.sigmoid_focal_loss(z, y, reduction="none").backward(cot)
    expected = cot.double().numpy() * G.sigmoid_focal_loss_grad(x.double().numpy(), y.double().numpy(),
                                                                reduction="sum")
    assert_parity(z.grad, expected, dtype=torch.float32, kind="grad")


@needs_kernel
def test_target_changed_behind_autograd_is_reported():
    """Autograd's version counter catches in-place changes of the target; a change through ``.data`` escapes
    it, and the backward kernel reports the soft target instead of returning a wrong gradient."""
    x, y = _problem(100, seed=13)
    z = x.clone().requires_grad_(True)
    out = tim.sigmoid_focal_loss(z, y)
    y.data[3] = 0.5
    with pytest.raises(RuntimeError, match="a target changed between forward and backward"):
        out.backward()
