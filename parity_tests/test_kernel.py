"""The compiled CPU kernels (torch_impl/csrc/*.c, loaded by torch_impl/_kernel.py): the sigmoid focal loss
for 0/1 targets, and the row-wise softmax pieces of the index-target softmax losses (focal, CE + smoothing).

Oracles: ``reference.losses`` / ``reference.gradients`` in float64 on the same float32 inputs, within the
float32 rows of the table (values, gradients, every reduction, one thread and several); ``torch.log_softmax``
in float64 and its closed-form gradient; the PyTorch code paths of the same functions with the kernels
switched off (what a build without a C compiler runs); closed-form limits at infinite logits; bit-identical
results across thread counts.
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


def _switch_off(monkeypatch):
    """What a build without a C compiler runs: no library, no kernel."""
    for name in ("_LIB", "_SIGMOID_FOCAL", "_SOFTMAX_ROWS", "_SOFTMAX_GRAD"):
        monkeypatch.setattr(_kernel, name, None)
    assert not _kernel.available()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_without_the_kernel_the_torch_path_gives_the_same(monkeypatch, reduction):
    """A build without a C compiler: the PyTorch fast path computes the same values and gradients."""
    x, y = _problem(2000, seed=9)
    with_kernel = _value_and_grad(lambda z: tim.sigmoid_focal_loss(z, y, reduction=reduction), x)
    _switch_off(monkeypatch)
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


# ----------------------------------------------------------------------------- softmax rows (focal, CE + smoothing)
CLASS_COUNTS = [1, 2, 16, 17, 18, 255, 256, 257, 1000]  # side-by-side rows up to 256 classes, one row above


def _logits(n: int, c: int, seed: int) -> torch.Tensor:
    """Rows with a NaN, a +inf, all -inf, +-1e4 and 1e4 + small offsets (lost by max + log-sum rounding)."""
    gen = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, c, generator=gen, dtype=torch.float64) * 5).float()
    special = [float("nan"), float("inf")]
    for i, v in enumerate(special):
        x[i, c // 2] = v
    x[2] = -float("inf")
    x[3, 0], x[3, -1] = 1e4, -1e4
    x[4] = 1e4 + torch.arange(c, dtype=torch.float32) * 0.125
    return x


@needs_kernel
@pytest.mark.parametrize("c", CLASS_COUNTS)
def test_softmax_rows_match_log_softmax(c):
    """(x - max) - log_sum is torch.log_softmax in float64 within float32 rounding, row by row; NaN where
    torch.log_softmax is NaN (a NaN, a +inf, a row of -inf); the weighted row sum likewise."""
    n = 37  # not a multiple of the 16 rows processed side by side
    x = _logits(n, c, seed=c)
    w = torch.rand(c, generator=torch.Generator().manual_seed(1))
    t = torch.randint(0, c, (n,), generator=torch.Generator().manual_seed(c))
    rows = _kernel.softmax_rows(x, t, w, smooth=True)
    assert rows is not None and rows.smooth is not None
    lsm = (x - rows.max[:, None]) - rows.log_sum[:, None]
    expected = torch.log_softmax(x.double(), 1)
    assert_parity(rows.log_p_target[3:], expected[torch.arange(n), t][3:].numpy(), dtype=torch.float32)
    finite = ~torch.isnan(expected).any(1)
    assert finite.tolist() == [False, False, False] + [True] * (n - 3)
    assert torch.isnan(lsm[~finite]).all() and torch.isnan(rows.smooth[~finite]).all()
    assert_parity(lsm[finite], expected[finite].numpy(), dtype=torch.float32)
    assert_parity(rows.smooth[finite], (expected[finite] @ w.double()).numpy(), dtype=torch.float32)


@needs_kernel
@pytest.mark.parametrize("c", CLASS_COUNTS)
@pytest.mark.parametrize("smoothing", [False, True])
def test_softmax_grad_matches_closed_form(c, smoothing):
    """dx_ij = softmax_ij k_i - b_i w_j + a_i [j = t_i], against float64 torch on the same rows."""
    n = 37
    x = _logits(n, c, seed=c + 1)[5:]  # finite rows only
    gen = torch.Generator().manual_seed(c)
    w = torch.rand(c, generator=gen)
    k, a, b = (torch.randn(n - 5, generator=gen) for _ in range(3))
    t = torch.randint(0, c, (n - 5,), generator=gen)
    rows = _kernel.softmax_rows(x, t, w, smooth=False)
    assert rows is not None
    dx = _kernel.softmax_grad(x, w, (rows.max, rows.log_sum), k, a, b if smoothing else None, t)
    p = torch.softmax(x.double(), 1)
    expected = p * k.double()[:, None] - (b.double()[:, None] * w.double()[None] if smoothing else 0.0)
    expected[torch.arange(n - 5), t] += a.double()
    assert_parity(dx, expected.numpy(), dtype=torch.float32, kind="grad")


@needs_kernel
@pytest.mark.parametrize("c", [18, 1000])
@pytest.mark.parametrize("threads", [2, 3])
def test_softmax_kernels_are_the_same_on_any_thread_count(c, threads):
    n = 4 * _kernel.MIN_PER_THREAD // c + 21
    x = _logits(n, c, seed=5)
    t = torch.randint(0, c, (n,), generator=torch.Generator().manual_seed(5))
    k = torch.linspace(-1.0, 1.0, n)
    before = torch.get_num_threads()
    results = []
    try:
        for count in (1, threads):
            torch.set_num_threads(count)
            rows = _kernel.softmax_rows(x, t, None, smooth=True)
            assert rows is not None
            results.append((*rows, _kernel.softmax_grad(x, None, (rows.max, rows.log_sum), k, k, k, t)))
    finally:
        torch.set_num_threads(before)
    for one, many in zip(*results):
        assert torch.equal(one.nan_to_num(0.5), many.nan_to_num(0.5))


_SOFTMAX_CALLS = [
    lambda z, t, w: tim.softmax_cross_entropy(z, t),
    lambda z, t, w: tim.softmax_cross_entropy(z, t, weight=w, ignore_index=2),
    lambda z, t, w: tim.focal_loss(z, t),
    lambda z, t, w: tim.focal_loss(z, t, gamma=0.5, weight=w, ignore_index=1, reduction="sum"),
    lambda z, t, w: tim.softmax_cross_entropy(z, t, label_smoothing=0.1),
    lambda z, t, w: tim.softmax_cross_entropy(z, t, label_smoothing=0.2, weight=w, ignore_index=0, reduction="none"),
]


@pytest.mark.parametrize("call", _SOFTMAX_CALLS)
@pytest.mark.parametrize("c", [18, 300])
def test_softmax_losses_without_the_kernel_give_the_same(monkeypatch, call, c):
    gen = torch.Generator().manual_seed(c)
    x = (torch.randn(200, c, generator=gen) * 4)
    t = torch.randint(0, c, (200,), generator=gen)
    w = torch.rand(c, generator=gen) + 0.1
    with_kernel = _value_and_grad(lambda z: call(z, t, w), x)
    _switch_off(monkeypatch)
    without = _value_and_grad(lambda z: call(z, t, w), x)
    for a, b, kind in zip(with_kernel, without, ("value", "grad")):
        assert_parity(a, b.double().numpy(), dtype=torch.float32, kind=kind)


def _saved_matrices(out: torch.Tensor, node_name: str) -> list[int]:
    """Data pointers of the 2-D tensors that the graph node ``node_name`` behind ``out`` saved for backward."""
    todo, node = [out.grad_fn], None
    while todo and node is None:  # breadth-first through the graph to the Function's node
        current = todo.pop(0)
        if type(current).__name__ == node_name:
            node = current
        todo += [nxt for nxt, _ in current.next_functions if nxt is not None]
    assert node is not None
    return [v.data_ptr() for v in node.saved_tensors if v is not None and v.dim() == 2]


@needs_kernel
@pytest.mark.parametrize("call", _SOFTMAX_CALLS)
def test_softmax_losses_take_the_kernel_and_keep_no_n_by_c_buffer(monkeypatch, call):
    """float32 CPU (N, C) logits with class indices: the forward asks the kernel for the rows and keeps only
    per-row tensors for the backward (the logits themselves are an input)."""
    calls = []
    original = _kernel.softmax_rows

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(_kernel, "softmax_rows", spy)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 18, generator=gen, requires_grad=True)
    t = torch.randint(0, 18, (64,), generator=gen)
    out = call(x, t, torch.rand(18, generator=gen) + 0.1)
    assert calls == [True]
    assert _saved_matrices(out, "SoftmaxIndexLossBackward") == [x.data_ptr()]


@needs_kernel
def test_softmax_kernel_keeps_the_digits_of_large_logits():
    """Logits near 1e4 that differ by 1/8: log p_t is (x_t - max) - log_sum, as log_softmax rounds it, not
    x_t - (max + log_sum), which would lose everything below ulp(1e4) ~ 1e-3."""
    x = (1e4 + torch.arange(18, dtype=torch.float32) * 0.125).repeat(4, 1)
    t = torch.tensor([17, 0, 5, 9])
    got = tim.focal_loss(x, t, gamma=0.0, reduction="none")
    expected = -torch.log_softmax(x.double(), 1)[torch.arange(4), t]
    assert_parity(got, expected.numpy(), dtype=torch.float32)


@needs_kernel
def test_kernels_run_on_torchs_openmp_pool():
    """With torch's OpenMP backend (the Linux wheels) the kernels share its thread pool."""
    if "OpenMP" not in torch.__config__.parallel_info():
        pytest.skip("torch was built without OpenMP")
    assert _kernel.SHARES_TORCH_THREADS


@needs_kernel
def test_own_threads_give_the_same_as_torchs_pool():
    """The POSIX-thread fallback (no OpenMP runtime found) computes bit-identical results."""
    x, y = _problem(3 * _kernel.MIN_PER_THREAD + 7, seed=14)
    logits = _logits(3 * _kernel.MIN_PER_THREAD // 18 + 5, 18, seed=14)
    before = torch.get_num_threads()

    def run():
        rows = _kernel.softmax_rows(logits, torch.zeros(len(logits), dtype=torch.int64), None, smooth=True)
        assert rows is not None
        return [_kernel.sigmoid_focal(x, y, 2.0, 0.25, "none"), *rows]

    try:
        torch.set_num_threads(3)
        pooled = run()
        _kernel._LIB.lossref_use_openmp(None, None, None)
        own = run()
    finally:
        _kernel._share_torch_openmp(_kernel._LIB)
        torch.set_num_threads(before)
    for a, b in zip(pooled, own):
        assert torch.equal(a.nan_to_num(0.5), b.nan_to_num(0.5))


# ----------------------------------------------------------------------------- softmax column sums (soft-F1)
@needs_kernel
@pytest.mark.parametrize("c", CLASS_COUNTS)
@pytest.mark.parametrize("threads", [1, 3])
def test_softmax_colsum_matches_float64(c, threads):
    """Column sums of the softmax over the kept rows against float64 torch; ignored rows (here the ones with
    NaN, +inf and all -inf) count for nothing, whatever they hold."""
    n = 3 * _kernel.MIN_PER_THREAD // c + 37
    x = _logits(n, c, seed=c + 2)
    keep = torch.ones(n)
    keep[:3] = 0
    keep[10::7] = 0
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(threads)
        out = _kernel.softmax_colsum(x, keep)
    finally:
        torch.set_num_threads(before)
    assert out is not None
    m, log_sum, colsum = out
    assert colsum.dtype == torch.float64
    p = torch.softmax(x.double(), 1)
    expected = torch.where(keep.bool()[:, None], p, 0.0).sum(0)
    assert_parity(colsum, expected.numpy(), dtype=torch.float32)
    kept = keep.bool()
    assert_parity((x - m[:, None] - log_sum[:, None])[kept], torch.log_softmax(x.double(), 1)[kept].numpy(),
                  dtype=torch.float32)


@needs_kernel
@pytest.mark.parametrize("c", CLASS_COUNTS)
def test_softmax_linear_grad_matches_closed_form(c):
    n = 53
    x = _logits(n, c, seed=c + 3)
    keep = torch.ones(n)
    keep[:3] = 0  # the non-finite rows
    gen = torch.Generator().manual_seed(c)
    a, b = torch.randn(c, generator=gen), torch.randn(c, generator=gen)
    t = torch.randint(0, c, (n,), generator=gen)
    out = _kernel.softmax_colsum(x, keep)
    assert out is not None
    dx = _kernel.softmax_linear_grad(x, keep, (out[0], out[1]), a, b, t)
    p = torch.where(keep.bool()[:, None], torch.softmax(x.double(), 1), 0.0)
    g = a.double().expand(n, c).clone()
    g[torch.arange(n), t] += b.double()[t]
    expected = p * (g - (p * g).sum(1, keepdim=True))
    assert dx[:3].tolist() == [[0.0] * c] * 3
    assert_parity(dx, expected.numpy(), dtype=torch.float32, kind="grad")


_SOFT_F1_CALLS = [
    lambda z, t: tim.soft_f1_loss(z, t),
    lambda z, t: tim.soft_f1_loss(z, t, average="micro", beta=2.0),
    lambda z, t: tim.soft_f1_loss(z, t, ignore_index=1, beta=0.5),
]


@pytest.mark.parametrize("call", _SOFT_F1_CALLS)
@pytest.mark.parametrize("c", [18, 300])
def test_soft_f1_without_the_kernel_gives_the_same(monkeypatch, call, c):
    gen = torch.Generator().manual_seed(c)
    x = torch.randn(500, c, generator=gen) * 3
    t = torch.randint(0, c, (500,), generator=gen)
    with_kernel = _value_and_grad(lambda z: call(z, t), x)
    _switch_off(monkeypatch)
    without = _value_and_grad(lambda z: call(z, t), x)
    for a, b, kind in zip(with_kernel, without, ("value", "grad")):
        assert_parity(a, b.double().numpy(), dtype=torch.float32, kind=kind)


@needs_kernel
@pytest.mark.parametrize("call", _SOFT_F1_CALLS)
def test_soft_f1_takes_the_kernel_and_keeps_no_n_by_c_buffer(call):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 18, generator=gen, requires_grad=True)
    t = torch.randint(0, 18, (64,), generator=gen)
    assert _saved_matrices(call(x, t), "SoftF1IndexBackward") == [x.data_ptr()]
