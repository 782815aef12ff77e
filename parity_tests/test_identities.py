"""Mathematical identities of the float64 reference, and agreement with SciPy / torch built-ins.

Oracles: closed-form math (log K, base change, off_target == rescaled uniform), SciPy's
``entropy``/``rel_entr``/``softmax``, torch's float64 ``binary_cross_entropy_with_logits`` and
scikit-learn's ``fbeta_score`` on hard counts.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import fbeta_score

import reference as ref

from . import strategies as S

RTOL = 1e-12
ATOL = 1e-13


@st.composite
def distributions(draw: st.DrawFn, pairs: bool = False):
    k = draw(st.integers(1, 8))
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    p = draw(S.simplex((*lead, k), axis=-1))
    if not pairs:
        return p
    q = draw(S.simplex((*lead, k), axis=-1))
    return p, q


def _close(actual, desired):
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------------- information
@given(pq=distributions(pairs=True))
def test_kl_equals_cross_entropy_minus_entropy(pq):
    p, q = pq
    kl = ref.kl_divergence(p, q)
    ce_minus_h = ref.cross_entropy(p, q) - ref.entropy(p)
    finite = np.isfinite(kl)
    np.testing.assert_array_equal(np.isfinite(ce_minus_h), finite)
    np.testing.assert_allclose(np.asarray(kl)[finite], np.asarray(ce_minus_h)[finite], rtol=1e-9, atol=1e-12)
    # Gibbs' inequality; p and q equal up to rounding can give -(a few ulp), never less
    assert np.all(np.asarray(kl) >= -8 * np.finfo(np.float64).eps)


@given(pq=distributions(pairs=True))
def test_information_functions_match_scipy(pq):
    p, q = pq
    _close(ref.entropy(p), scipy.stats.entropy(p, axis=-1))
    _close(ref.kl_divergence(p, q), scipy.special.rel_entr(p, q).sum(axis=-1))


@given(p=distributions())
def test_entropy_bounds(p):
    k = p.shape[-1]
    h = np.asarray(ref.entropy(p))
    assert np.all(h >= 0)
    assert np.all(h <= np.log(k) * (1 + 1e-12))


@pytest.mark.parametrize("k", [1, 2, 3, 18, 1000])
def test_entropy_extremes(k):
    one_hot = np.eye(k)
    np.testing.assert_array_equal(ref.entropy(one_hot), np.zeros(k))
    _close(ref.entropy(np.full(k, 1.0 / k)), np.log(k))


@given(p=distributions())
def test_cross_entropy_with_itself_is_entropy_and_kl_zero(p):
    _close(ref.cross_entropy(p, p), ref.entropy(p))
    np.testing.assert_array_equal(ref.kl_divergence(p, p), np.zeros(p.shape[:-1]))


@given(pq=distributions(pairs=True), base=st.sampled_from([2, 10, np.e, 0.5, 3.7]))
def test_base_change(pq, base):
    p, q = pq
    for func, args in ((ref.entropy, (p,)), (ref.cross_entropy, (p, q)), (ref.kl_divergence, (p, q))):
        _close(func(*args, base=base), func(*args) / np.log(base))


@given(case=st.integers(1, 6).flatmap(lambda k: S.logits_array((3, k), bound=1e4)))
def test_from_logits_equals_softmax_of_logits(case):
    logits = case
    other = logits[::-1].copy()
    p, q = scipy.special.softmax(logits, axis=-1), scipy.special.softmax(other, axis=-1)
    _close(ref.entropy(logits, from_logits=True), ref.entropy(p))
    ce, kl = ref.cross_entropy(logits, other, from_logits=True), ref.kl_divergence(logits, other, from_logits=True)
    # with from_logits the log-probabilities are exact even where softmax underflows to 0, so compare
    # with the log(softmax) path only where it is finite, and at 1e-9: log of a softmax entry near e^-700
    # carries a relative error of ~1e-13 * 700 / |log q|
    finite = np.isfinite(ref.cross_entropy(p, q))
    np.testing.assert_allclose(np.asarray(ce)[finite], np.asarray(ref.cross_entropy(p, q))[finite], rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(np.asarray(kl)[finite], np.asarray(ref.kl_divergence(p, q))[finite], rtol=1e-9,
                               atol=1e-12)
    assert np.all(np.isfinite(ce)) and np.all(np.isfinite(kl))


def test_zero_q_under_positive_p_is_infinite():
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    assert ref.cross_entropy(p, q) == np.inf
    assert ref.kl_divergence(p, q) == np.inf
    assert ref.kl_divergence(q, p) == np.log(2.0)  # 1 * log(1 / 0.5); the 0 * log(0 / 0.5) term is 0


def test_axis_selects_the_distribution_axis():
    p = np.array([[0.25, 1.0], [0.75, 0.0]])
    _close(ref.entropy(p, axis=0), ref.entropy(p.T))


# ------------------------------------------------------------------------- smoothing
@st.composite
def smoothing_case(draw: st.DrawFn):
    k = draw(st.integers(2, 9))
    shape = draw(S.batch_shape(max_spatial=1, max_side=3))
    if draw(st.booleans()):
        target = draw(S.class_indices(shape, k))
    else:
        target = draw(S.simplex((shape[0], k, *shape[1:]), axis=1))
    return target, k, draw(st.floats(0.0, 1.0))


@given(case=smoothing_case(), mode=st.sampled_from(["uniform", "off_target"]))
def test_smoothed_labels_sum_to_one_and_are_probabilities(case, mode):
    target, k, alpha = case
    y = ref.smooth_labels(target, k, alpha, mode=mode)
    assert y.shape[1] == k
    _close(y.sum(axis=1), np.ones(y.shape[:1] + y.shape[2:]))
    assert np.all(y >= -1e-15)


@given(case=smoothing_case())
def test_off_target_equals_uniform_with_rescaled_alpha(case):
    target, k, alpha = case
    alpha = alpha * (k - 1) / k  # keep the rescaled alpha in [0, 1]
    _close(ref.smooth_labels(target, k, alpha, mode="off_target"),
           ref.smooth_labels(target, k, alpha * k / (k - 1), mode="uniform"))


@given(k=st.integers(2, 20), alpha=st.floats(0.0, 1.0))
def test_smoothing_closed_form(k, alpha):
    """Index 0 with K classes: uniform gives (1 - a + a/K, a/K, ...); off_target gives (1 - a, a/(K-1), ...)."""
    uniform = ref.smooth_labels(np.array([0]), k, alpha)[0]
    off = ref.smooth_labels(np.array([0]), k, alpha, mode="off_target")[0]
    _close(uniform, np.r_[1 - alpha + alpha / k, np.full(k - 1, alpha / k)])
    _close(off, np.r_[1 - alpha, np.full(k - 1, alpha / (k - 1))])


# ------------------------------------------------------------------------- losses
@st.composite
def softmax_loss_case(draw: st.DrawFn):
    shape = draw(S.batch_shape(max_spatial=2, max_side=3))
    k = draw(st.integers(2, 6))
    logits = draw(S.logits_array((shape[0], k, *shape[1:]), bound=50.0))
    kwargs = {
        "reduction": draw(st.sampled_from(S.REDUCTIONS)),
        "label_smoothing": draw(st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0.0, 1.0)),
        "smoothing_mode": draw(st.sampled_from(["uniform", "off_target"])),
    }
    if draw(st.booleans()):
        kwargs["weight"] = draw(S.unit_interval((k,))) * 2.0
    if draw(st.booleans()):
        kwargs["ignore_index"] = draw(st.sampled_from([-100, 0]))
        target = draw(S.class_indices(shape, k, kwargs["ignore_index"]))
    else:
        target = draw(S.simplex((shape[0], k, *shape[1:]), axis=1))
    return logits, target, kwargs


@given(case=softmax_loss_case())
def test_focal_gamma_zero_equals_cross_entropy(case):
    logits, target, kwargs = case
    np.testing.assert_array_equal(ref.focal_loss(logits, target, gamma=0.0, **kwargs),
                                  ref.softmax_cross_entropy(logits, target, **kwargs))


@given(case=softmax_loss_case(), gamma=st.floats(0.0, 5.0))
def test_focal_at_most_cross_entropy(case, gamma):
    logits, target, kwargs = case
    kwargs["reduction"] = "none" if "ignore_index" in kwargs or "weight" in kwargs else kwargs["reduction"]
    focal = np.asarray(ref.focal_loss(logits, target, gamma=gamma, **kwargs))
    ce = np.asarray(ref.softmax_cross_entropy(logits, target, **kwargs))
    assert np.all(focal <= ce * (1 + 1e-12) + 1e-300)


@given(case=softmax_loss_case())
def test_index_targets_equal_their_one_hot_probabilities(case):
    """Without ignore_index or weights, CE(indices) == CE(one_hot(indices)) for every smoothing and reduction."""
    logits, _, kwargs = case
    kwargs.pop("weight", None)
    kwargs.pop("ignore_index", None)
    k = logits.shape[1]
    target = np.argmax(logits, axis=1)
    one_hot = ref.smooth_labels(target, k, 0.0)
    _close(ref.softmax_cross_entropy(logits, target, **kwargs), ref.softmax_cross_entropy(logits, one_hot, **kwargs))
    _close(ref.focal_loss(logits, target, gamma=1.5, **kwargs), ref.focal_loss(logits, one_hot, gamma=1.5, **kwargs))


@given(case=softmax_loss_case())
def test_smoothed_loss_equals_loss_on_smoothed_labels(case):
    """label_smoothing=a on index targets == no smoothing on smooth_labels(target, K, a) (no weight/ignore)."""
    logits, _, kwargs = case
    kwargs.pop("weight", None)
    kwargs.pop("ignore_index", None)
    alpha, mode = kwargs.pop("label_smoothing"), kwargs.pop("smoothing_mode")
    target = np.argmax(logits, axis=1)
    smoothed = ref.smooth_labels(target, logits.shape[1], alpha, mode=mode)
    for loss in (ref.softmax_cross_entropy, lambda *a, **kw: ref.focal_loss(*a, gamma=0.5, **kw)):
        _close(loss(logits, target, label_smoothing=alpha, smoothing_mode=mode, **kwargs),
               loss(logits, smoothed, **kwargs))


@given(x=st.integers(1, 3).flatmap(lambda d: hnp.arrays(np.float64, hnp.array_shapes(min_dims=d, max_dims=d),
                                                        elements=S.finite_floats(80.0))),
       data=st.data(), reduction=st.sampled_from(S.REDUCTIONS))
def test_sigmoid_focal_gamma_zero_no_alpha_is_bce_with_logits(x, data, reduction):
    y = data.draw(S.unit_interval(x.shape))
    expected = F.binary_cross_entropy_with_logits(torch.from_numpy(x), torch.from_numpy(y), reduction=reduction)
    actual = ref.sigmoid_focal_loss(x, y, gamma=0.0, alpha=None, reduction=reduction)
    # torch's formula (1-y)x + softplus(-x) cancels for soft targets: absolute error ~ eps * |x|
    np.testing.assert_allclose(actual, expected.numpy(), rtol=1e-12, atol=1e-13 * 80)


@given(x=hnp.arrays(np.float64, st.integers(1, 20), elements=S.finite_floats(30.0)), data=st.data(),
       gamma=st.floats(0.0, 4.0), alpha=st.none() | st.floats(0.0, 1.0))
def test_sigmoid_focal_matches_paper_formula(x, data, gamma, alpha):
    """FL = alpha_t (1 - p_t)^gamma BCE with p = sigmoid(x), written out directly (moderate |x|, hard targets)."""
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.sampled_from([0.0, 1.0])))
    p = scipy.special.expit(x)
    p_t = p * y + (1 - p) * (1 - y)
    alpha_t = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    # hard targets: BCE = -log sigmoid(x) for y = 1, -log sigmoid(-x) for y = 0 (SciPy's log_expit; torch's
    # softplus form loses ~1e-8 relative for large negative margins, too coarse for this check)
    bce = -scipy.special.log_expit(np.where(y == 1, x, -x))
    expected = alpha_t * (1 - p_t) ** gamma * bce
    np.testing.assert_allclose(ref.sigmoid_focal_loss(x, y, gamma=gamma, alpha=alpha, reduction="none"), expected,
                               rtol=1e-9, atol=1e-15)
    assert np.all(ref.sigmoid_focal_loss(x, y, gamma=gamma, alpha=None, reduction="none") <= bce * (1 + 1e-12))


@given(case=softmax_loss_case())
def test_none_reduction_permutes_with_the_batch(case):
    logits, target, kwargs = case
    kwargs["reduction"] = "none"
    perm = np.arange(logits.shape[0])[::-1]
    np.testing.assert_array_equal(ref.focal_loss(logits[perm], target[perm], **kwargs),
                                  ref.focal_loss(logits, target, **kwargs)[perm])


@pytest.mark.parametrize("offset", [0.0, 1e6, 1e12])
@pytest.mark.parametrize("k", [2, 18, 1000])
def test_uniform_logits_give_log_k_at_any_offset(offset, k):
    logits = np.full((1, k), offset)
    _close(ref.softmax_cross_entropy(logits, np.array([0])), np.log(k))


@st.composite
def hard_f1_case(draw: st.DrawFn):
    k = draw(st.integers(2, 6))
    n = draw(st.integers(1, 30))
    preds = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    target = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return k, preds, target


@given(case=hard_f1_case(), beta=st.sampled_from([0.5, 1.0, 2.0]), average=st.sampled_from(["macro", "micro"]))
def test_soft_f1_of_one_hot_probabilities_is_hard_fbeta(case, beta, average):
    """Logits 1e4 * onehot(pred) give an exactly one-hot softmax in float64, so soft counts are hard counts."""
    k, preds, target = case
    logits = 1e4 * np.eye(k)[preds]
    expected = fbeta_score(target, preds, beta=beta, average=average, labels=np.arange(k), zero_division=0.0)
    actual = ref.soft_f1_loss(logits, target, beta=beta, average=average)
    np.testing.assert_allclose(1.0 - actual, expected, rtol=1e-6, atol=1e-6)  # eps = 1e-7 in each denominator


@given(case=hard_f1_case(), beta=st.sampled_from([0.5, 1.0, 2.0]), average=st.sampled_from(["macro", "micro"]))
def test_multilabel_soft_f1_of_hard_probabilities_is_hard_fbeta(case, beta, average):
    k, preds, target = case
    pred_ind = np.eye(k)[preds] + np.eye(k)[target[::-1]] > 0  # up to two labels per sample
    true_ind = np.eye(k)[target].astype(bool)
    logits = np.where(pred_ind, 1e4, -1e4)
    expected = fbeta_score(true_ind, pred_ind, beta=beta, average=average, zero_division=0.0)
    actual = ref.soft_f1_loss(logits, true_ind.astype(np.float64), beta=beta, average=average, multilabel=True)
    np.testing.assert_allclose(1.0 - actual, expected, rtol=1e-6, atol=1e-6)


def test_soft_f1_ignored_positions_are_left_out():
    logits = np.array([[2.0, -1.0], [0.3, 0.1], [5.0, 5.0]])
    full = ref.soft_f1_loss(logits[:2], np.array([0, 1]))
    _close(ref.soft_f1_loss(logits, np.array([0, 1, -100])), full)
    _close(ref.soft_f1_loss(logits, np.array([0, 1, 7]), ignore_index=7), full)
