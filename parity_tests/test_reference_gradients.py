"""The reference's closed-form gradients against central finite differences of the reference losses.

Central differences have truncation error O(h^2 f''') and rounding error O(eps f / h); with h = 1e-6
and losses of order 1-100 both stay below ~1e-7 absolute, so the check is |closed - fd| <= 1e-6 + 1e-6|fd|.
Logits stay within |x| <= 20 here (finite differences need a smooth neighbourhood); extreme logits are
checked for finiteness and against the analytic limit below.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference as ref
from reference import gradients as G

from . import strategies as S

H = 1e-6
FD_RTOL = FD_ATOL = 1e-6


def central_difference(loss, x: np.ndarray) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += H
        down[i] -= H
        grad[i] = (np.sum(loss(up)) - np.sum(loss(down))) / (2 * H)
    return grad


@st.composite
def softmax_case(draw: st.DrawFn):
    shape = draw(S.batch_shape(max_spatial=1, max_side=3, min_n=1))
    k = draw(st.integers(2, 5))
    logits = draw(S.logits_array((shape[0], k, *shape[1:]), bound=20.0))
    kwargs = {
        "reduction": draw(st.sampled_from(S.REDUCTIONS)),
        "label_smoothing": draw(st.sampled_from([0.0, 0.1]) | st.floats(0.0, 1.0)),
        "smoothing_mode": draw(st.sampled_from(["uniform", "off_target"])),
    }
    if draw(st.booleans()):
        kwargs["weight"] = draw(S.unit_interval((k,))) * 2.0 + 0.1
    if draw(st.booleans()):
        kwargs["ignore_index"] = -100
        target = draw(S.class_indices(shape, k, -100))
    else:
        target = draw(S.simplex((shape[0], k, *shape[1:]), axis=1))
    return logits, target, kwargs


def _check(closed, loss, x):
    expected = central_difference(loss, x)
    assert closed.shape == x.shape and closed.dtype == np.float64
    if np.all(np.isnan(np.asarray(loss(x)))):  # every position ignored under "mean": NaN loss, NaN gradient
        assert np.all(np.isnan(closed))
        return
    np.testing.assert_allclose(closed, expected, rtol=FD_RTOL, atol=FD_ATOL)


@given(case=softmax_case())
def test_softmax_cross_entropy_grad_matches_finite_differences(case):
    x, t, kw = case
    _check(G.softmax_cross_entropy_grad(x, t, **kw), lambda z: ref.softmax_cross_entropy(z, t, **kw), x)


@given(case=softmax_case(), gamma=st.sampled_from([0.0, 0.25, 1.0, 2.0]) | st.floats(0.0, 4.0))
def test_focal_loss_grad_matches_finite_differences(case, gamma):
    x, t, kw = case
    _check(G.focal_loss_grad(x, t, gamma=gamma, **kw), lambda z: ref.focal_loss(z, t, gamma=gamma, **kw), x)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), data=st.data(),
       gamma=st.sampled_from([0.0, 0.5, 2.0]) | st.floats(0.0, 4.0), alpha=st.none() | st.floats(0.0, 1.0),
       reduction=st.sampled_from(S.REDUCTIONS))
def test_sigmoid_focal_loss_grad_matches_finite_differences(shape, data, gamma, alpha, reduction):
    x = data.draw(S.logits_array(shape, bound=20.0))
    y = data.draw(S.unit_interval(shape))
    kw = dict(gamma=gamma, alpha=alpha, reduction=reduction)
    _check(G.sigmoid_focal_loss_grad(x, y, **kw), lambda z: ref.sigmoid_focal_loss(z, y, **kw), x)


@given(case=softmax_case(), beta=st.sampled_from([0.5, 1.0, 2.0]), average=st.sampled_from(["macro", "micro"]),
       multilabel=st.booleans(), data=st.data())
def test_soft_f1_loss_grad_matches_finite_differences(case, beta, average, multilabel, data):
    x, t, _ = case
    if multilabel:
        t = data.draw(S.unit_interval(x.shape))
    kw = dict(beta=beta, average=average, multilabel=multilabel)
    _check(G.soft_f1_loss_grad(x, t, **kw), lambda z: ref.soft_f1_loss(z, t, **kw), x)


# ----------------------------------------------------------------- extreme inputs: finite, with known limits
@pytest.mark.parametrize("gamma", [0.0, 0.01, 0.5, 0.99, 2.0])
def test_focal_grad_finite_and_vanishing_as_p_t_goes_to_one(gamma):
    """p_t = 1 in float64 (margin 1e4): the loss and, for gamma > 0, the gradient are exactly 0.

    For gamma = 0 the gradient is p - onehot, which is 0 up to exp(-1e4) = 0 as well.
    """
    x = np.array([[1e4, -1e4, 0.0], [40.0, 0.0, 0.0]])
    t = np.array([0, 0])
    grad = G.focal_loss_grad(x, t, gamma=gamma, reduction="sum")
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad[0], 0.0)
    # second row: 1 - p_t = 2e^-40/(1 + 2e^-40); |grad| <= |f'(u)| * 2(1 - p_t) <= 2(1 - p_t) (gamma >= 0)
    assert np.all(np.abs(grad[1]) <= 2 * 2 * np.exp(-40.0))


@pytest.mark.parametrize("name", ["softmax_cross_entropy", "focal_loss", "soft_f1_loss"])
@pytest.mark.parametrize("scale", [1e2, 1e4])
def test_softmax_family_grads_finite_at_extreme_logits(name, scale):
    x = scale * np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, -0.5], [0.0, 0.0, 0.0]])
    t = np.array([1, 1, 2])
    assert np.isfinite(getattr(ref, name)(x, t))
    assert np.all(np.isfinite(getattr(G, f"{name}_grad")(x, t)))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 2.0])
def test_sigmoid_focal_grad_finite_at_extreme_logits(gamma):
    x = np.array([1e4, -1e4, 1e4, -1e4, 50.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    grad = G.sigmoid_focal_loss_grad(x, y, gamma=gamma, alpha=None, reduction="sum")
    assert np.all(np.isfinite(grad))
    # y = 1, x = -1e4: p_t = 0, q = 1, ce = 1e4: dFL/dx = gamma * 1 * 0 * ... + (s - y) = -1 exactly
    assert grad[1] == -1.0 and grad[2] == 1.0
    assert grad[0] == 0.0 and grad[3] == 0.0
