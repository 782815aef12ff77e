"""torch_impl.verify: every lossref loss passes against itself; flawed user code fails, for the right reason.

Oracles: the float64 reference (inside ``verify_loss``); the flaws are constructed by hand (each
candidate below or in ``examples/`` says what it gets wrong), so a pass for any of them is a bug
in ``verify_loss``. The searches are seeded, so the outcomes are reproducible.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torch_impl
from torch_impl.cli import load_function
from torch_impl.registry import make_loss
from torch_impl.verify import VerifyReport, assert_matches_reference, verify_loss

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
N_EXAMPLES = 100  # per search; the flaws below are found within a handful


def _library(name: str, **params: Any) -> Any:
    return functools.partial(getattr(torch_impl, name), **params)


# ----------------------------------------------------------------------------- the library against itself
SELF_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("softmax_cross_entropy", {}, {}),
    ("softmax_cross_entropy", {"weight": [1.0, 2.0, 0.5], "ignore_index": -100, "label_smoothing": 0.1}, {}),
    ("softmax_cross_entropy", {"reduction": "none", "smoothing_mode": "off_target", "label_smoothing": 0.2},
     {"spatial_dims": 2}),
    ("softmax_cross_entropy", {"reduction": "sum"}, {"targets": "probs", "spatial_dims": 1}),
    ("focal_loss", {}, {}),
    ("focal_loss", {"gamma": 0.5, "weight": [0.25, 0.75], "ignore_index": 1}, {}),
    ("focal_loss", {"gamma": 3.0, "label_smoothing": 0.1, "reduction": "none"}, {"spatial_dims": 1}),
    ("focal_loss", {"gamma": 1.5}, {"targets": "probs"}),
    ("sigmoid_focal_loss", {}, {}),
    ("sigmoid_focal_loss", {"gamma": 0.5, "alpha": None, "reduction": "none"}, {"targets": "probs", "spatial_dims": 1}),
    ("soft_f1_loss", {}, {}),
    ("soft_f1_loss", {"beta": 2.0, "average": "micro", "ignore_index": 0}, {"spatial_dims": 1}),
    ("soft_f1_loss", {"multilabel": True}, {"targets": "probs"}),
    ("soft_f1_loss", {"multilabel": True, "average": "micro"}, {}),
]


@pytest.mark.parametrize("name, params, kw", SELF_CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SELF_CASES)])
def test_every_library_loss_passes_against_the_reference(name: str, params: dict[str, Any], kw: dict[str, Any]) -> None:
    torch_params = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in params.items()}
    report = verify_loss(_library(name, **torch_params), name, params=params, max_examples=N_EXAMPLES, seed=1, **kw)
    assert report.passed, str(report)
    assert report.examples == N_EXAMPLES and report.shrink_steps == 0
    assert report.failed_check is None and report.counterexample is None
    assert report.grad_max_abs_err is not None and report.grad_max_abs_err < 1e-9


@pytest.mark.parametrize("spec, against, params", [
    ("focal:gamma=2,weight=[1,2,3]", "focal", {"gamma": 2, "weight": [1, 2, 3]}),
    ("cross_entropy:label_smoothing=0.1,reduction=sum", "softmax_cross_entropy", {"label_smoothing": 0.1, "reduction": "sum"}),
])
def test_registry_modules_pass(spec: str, against: str, params: dict[str, Any]) -> None:
    report = verify_loss(make_loss(spec), against, params=params, max_examples=N_EXAMPLES, seed=2)
    assert report.passed, str(report)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_library_passes_in_low_precision(dtype: torch.dtype) -> None:
    report = verify_loss(torch_impl.focal_loss, "focal", dtype=dtype, max_examples=N_EXAMPLES, seed=3)
    assert report.passed, str(report)


# ----------------------------------------------------------------------------- examples/
# (file:function, against, params, verify options, the checks that may fail; None = must pass)
EXAMPLE_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], set[str] | None]] = [
    ("smoothing_wrong_sum.py:label_smoothing_cross_entropy", "cross_entropy", {"label_smoothing": 0.1}, {}, {"value"}),
    ("kl_smoothing_swapped.py:label_smoothing_kl", "cross_entropy", {"label_smoothing": 0.1}, {}, {"value"}),
    ("ce_weighted_mean.py:weighted_cross_entropy", "cross_entropy", {"weight": [1, 2, 3]}, {}, {"value"}),
    ("ce_flatten_nchw.py:segmentation_cross_entropy", "cross_entropy", {}, {"spatial_dims": 1}, {"value", "gradient"}),
    ("ce_flatten_nchw.py:segmentation_cross_entropy", "cross_entropy", {}, {}, None),  # right for (N, C)
    ("focal_detached.py:focal_loss", "focal", {"gamma": 2}, {}, {"gradient"}),
    ("focal_detached.py:focal_loss", "focal", {"gamma": 2}, {"check_grad": False}, None),  # value is right
    ("focal_log_softmax.py:focal_loss", "focal", {"gamma": 2}, {}, {"value non-finite", "gradient non-finite"}),
    ("focal_gamma_half.py:focal_loss", "focal", {"gamma": 0.5}, {}, {"gradient non-finite"}),
    ("focal_alpha_inside.py:focal_loss", "focal", {"gamma": 2, "weight": [0.25, 0.75]}, {}, {"value"}),
    ("focal_mean_over_classes.py:focal_loss", "focal", {"gamma": 2}, {}, {"value"}),
    ("sigmoid_focal_naive.py:sigmoid_focal_loss", "sigmoid_focal", {}, {}, {"value non-finite", "gradient non-finite"}),
    ("soft_f1_per_sample.py:soft_f1_loss", "soft_f1", {}, {}, {"value"}),
    ("correct_cross_entropy.py:label_smoothing_cross_entropy", "cross_entropy", {"label_smoothing": 0.1},
     {"spatial_dims": 2}, None),
    ("correct_focal.py:focal_loss", "focal", {"gamma": 2, "weight": [0.25, 0.75]}, {}, None),
    ("correct_sigmoid_focal.py:sigmoid_focal_loss", "sigmoid_focal", {}, {"targets": "probs"}, None),
    ("correct_soft_f1.py:soft_f1_loss", "soft_f1", {}, {}, None),
    ("correct_numpy_cross_entropy.py:cross_entropy", "cross_entropy", {}, {}, None),
]


def test_every_example_file_is_in_the_table() -> None:
    in_table = {spec.split(":")[0] for spec, *_ in EXAMPLE_CASES}
    assert in_table == {p.name for p in EXAMPLES.glob("*.py")}


@pytest.mark.parametrize("spec, against, params, kw, failing", EXAMPLE_CASES,
                         ids=[f"{s.split(':')[0]}{'-' + str(k) if k else ''}" for s, _, _, k, _ in EXAMPLE_CASES])
def test_examples(spec: str, against: str, params: dict[str, Any], kw: dict[str, Any], failing: set[str] | None) -> None:
    report = verify_loss(load_function(str(EXAMPLES / spec)), against, params=params, max_examples=N_EXAMPLES,
                         seed=0, **kw)
    if failing is None:
        assert report.passed, str(report)
        return
    assert not report.passed and report.failed_check in failing, str(report)
    assert report.counterexample is not None and report.reason
    assert f"FAIL ({report.failed_check})" in str(report) and "smallest failing input found:" in str(report)


def test_numpy_candidates_are_checked_for_values_only() -> None:
    good = load_function(str(EXAMPLES / "correct_numpy_cross_entropy.py:cross_entropy"))
    report = verify_loss(good, "cross_entropy", max_examples=50, seed=0)
    assert report.passed and report.grad_max_abs_err is None and report.grad_tolerance is None
    assert "NumPy candidate: values only, gradients not checked." in str(report)

    def naive(logits: np.ndarray, target: np.ndarray) -> float:  # log(softmax): -inf at extreme logits
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return float(-np.log(p[np.arange(len(target)), target]).mean())

    with np.errstate(all="ignore"):
        report = verify_loss(naive, "cross_entropy", max_examples=N_EXAMPLES, seed=0)
    assert not report.passed and report.failed_check == "value non-finite", str(report)


# ----------------------------------------------------------------------------- flaws not in examples/
def _ce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, target)


FLAWS: list[tuple[str, Any, str, dict[str, Any], set[str]]] = [
    # "stabilising" by clamping logits: wrong only where |logit| > 100
    ("clamped logits", lambda x, t: F.cross_entropy(x.clamp(-100, 100), t), "cross_entropy", {}, {"value", "gradient"}),
    # clamping probabilities away from 0 and 1: wrong only for near-certain predictions
    ("clamped probability", lambda x, t: -torch.log(torch.softmax(x, 1).clamp(1e-7, 1 - 1e-7)).gather(
        1, t[:, None]).mean(), "cross_entropy", {}, {"value", "gradient"}),
    # ignore_index not honoured (positions of class ignore_index=0 are treated as class 0)
    ("ignores nothing", lambda x, t: F.cross_entropy(x, t.clamp(min=0)), "cross_entropy", {"ignore_index": -1},
     {"value", "gradient"}),
    # probability targets replaced by their argmax
    ("argmax of soft targets", lambda x, t: F.cross_entropy(x, t.argmax(1)), "cross_entropy", {},
     {"value", "gradient"}),
    # smoothing the wrong way round: eps/(K-1) off target, as in smooth_labels(mode="off_target")
    ("off-target smoothing", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1 * x.shape[1] / (x.shape[1] - 1)),
     "cross_entropy", {"label_smoothing": 0.1}, {"value", "gradient"}),
    # sigmoid focal with alpha on the wrong class
    ("swapped alpha", lambda x, t: torch_impl.sigmoid_focal_loss(x, t, alpha=0.75), "sigmoid_focal", {}, {"value"}),
    # soft-F1 without eps: 0/0 = NaN for a class absent from targets and predictions
    ("f1 without eps", lambda x, t: torch_impl.soft_f1_loss(x, t, eps=0.0), "soft_f1", {}, {"value non-finite",
                                                                                            "gradient non-finite",
                                                                                            "value", "gradient"}),
]


@pytest.mark.parametrize("label, candidate, against, params, failing", FLAWS, ids=[f[0] for f in FLAWS])
def test_flaws_outside_the_examples_are_found(label: str, candidate: Any, against: str, params: dict[str, Any],
                                              failing: set[str]) -> None:
    kw = {"targets": "probs"} if label == "argmax of soft targets" else {}
    report = verify_loss(candidate, against, params=params, max_examples=200, seed=0, **kw)
    assert not report.passed and report.failed_check in failing, str(report)


def test_argmax_of_soft_targets_is_invisible_with_index_targets() -> None:
    # the same candidate is correct for class indices: only targets="probs" can catch it
    def candidate(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(x, t.argmax(1) if t.is_floating_point() else t)
    assert verify_loss(candidate, "cross_entropy", max_examples=50, seed=0).passed


# ----------------------------------------------------------------------------- never a pass for broken output
@pytest.mark.parametrize("candidate, check, reason", [
    (lambda x, t: (_ for _ in ()).throw(IndexError("boom")), "exception", "candidate raised IndexError: boom"),
    (lambda x, t: _ce(x, t) * float("nan"), "value non-finite", "non-finite nan where the reference is finite"),
    (lambda x, t: torch.full((), float("inf"), dtype=x.dtype), "value non-finite", "non-finite inf"),
    (lambda x, t: float(_ce(x, t).detach()), "type", "candidate returned float, expected a torch.Tensor"),
    (lambda x, t: F.cross_entropy(x, t, reduction="none"), "shape", "output shape"),
    (lambda x, t: _ce(x.detach(), t), "gradient", "does not depend on `logits` through autograd"),
    # sqrt(0 * x): value 0, derivative inf * 0 = nan
    (lambda x, t: _ce(x, t) + torch.sqrt(0 * x).sum(), "gradient non-finite", "non-finite nan"),
])
def test_broken_candidates_fail(candidate: Any, check: str, reason: str) -> None:
    report = verify_loss(candidate, "cross_entropy", max_examples=20, seed=0)
    assert not report.passed and report.failed_check == check, str(report)
    assert reason in (report.reason or "")


def test_a_backward_that_raises_fails() -> None:
    class Boom(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
            return x.clone()

        @staticmethod
        def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
            raise ArithmeticError("no backward")

    report = verify_loss(lambda x, t: _ce(Boom.apply(x), t), "cross_entropy", max_examples=10, seed=0)
    assert report.failed_check == "exception" and "backward raised ArithmeticError: no backward" in (report.reason or "")


def test_wrong_only_in_the_gradient_passes_without_check_grad() -> None:
    detached = lambda x, t: _ce(x.detach(), t)  # noqa: E731
    assert verify_loss(detached, "cross_entropy", check_grad=False, max_examples=30, seed=0).passed


def test_flaky_candidate_never_passes() -> None:
    gen = torch.Generator().manual_seed(0)

    def flaky(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return _ce(x, t) * (1 + (torch.rand((), generator=gen, dtype=x.dtype) < 0.3))

    report = verify_loss(flaky, "cross_entropy", max_examples=100, seed=0)
    assert not report.passed and report.failed_check in {"value", "flaky"}


# ----------------------------------------------------------------------------- shrinking and the report
def test_counterexample_is_shrunk_to_the_smallest_input() -> None:
    scaled = lambda x, t: 1.5 * _ce(x, t)  # noqa: E731  wrong everywhere, so the minimal input is the simplest
    report = verify_loss(scaled, "cross_entropy", seed=0)
    c = report.counterexample
    assert c is not None and c.logits.shape == (1, 2) and c.target.shape == (1,)
    assert np.array_equal(c.logits, [[0.0, 0.0]]) and np.array_equal(c.target, [0])
    assert float(c.expected_value) == pytest.approx(np.log(2.0), rel=1e-15)  # CE of uniform logits = log 2
    assert float(c.got_value) == pytest.approx(1.5 * np.log(2.0), rel=1e-15)
    text = str(report)
    assert "FAIL (value)" in text and "expected 0.6931471805599453, got 1.0397207708399179" in text
    assert "logits         = [[0., 0.]]   # shape (1, 2), float64" in text


def test_gradient_counterexample_shows_both_gradients() -> None:
    report = verify_loss(load_function(str(EXAMPLES / "focal_detached.py:focal_loss")), "focal", seed=0)
    c = report.counterexample
    assert c is not None and c.expected_grad is not None and c.got_grad is not None
    assert c.logits.shape == (1, 2) and np.array_equal(c.logits, [[0.0, 0.0]])
    # d/dx of (1 - p)^2 * ce at p = 1/2 treating (1 - p)^2 = 1/4 as constant: (1/4) * (p - 1) = -1/8
    np.testing.assert_allclose(c.got_grad, [[-0.125, 0.125]], rtol=1e-15)
    # full derivative (chain rule through (1 - p)^2): -(1 - p)^2 (1 - 2 p log p/(1 - p)) ... = -(1/4)(1 + 2 log 2) / 2
    expected = -0.25 * (1 + 2 * np.log(2.0)) / 2
    np.testing.assert_allclose(c.expected_grad, [[expected, -expected]], rtol=1e-12)
    assert "expected grad  = " in str(report) and "got grad       = " in str(report)


def test_same_seed_same_report() -> None:
    f = load_function(str(EXAMPLES / "focal_log_softmax.py:focal_loss"))
    a, b = (verify_loss(f, "focal", max_examples=N_EXAMPLES, seed=5) for _ in range(2))
    assert str(a) == str(b)


def test_assert_matches_reference() -> None:
    report = assert_matches_reference(torch_impl.softmax_cross_entropy, "cross_entropy", max_examples=20, seed=0)
    assert isinstance(report, VerifyReport) and report.passed and bool(report)
    with pytest.raises(AssertionError, match=r"FAIL \(value\)[\s\S]*smallest failing input found"):
        assert_matches_reference(lambda x, t: 2 * _ce(x, t), "cross_entropy", max_examples=20, seed=0)


def test_tolerances_can_be_given() -> None:
    off = lambda x, t: _ce(x, t) * (1 + 1e-4)  # noqa: E731
    assert not verify_loss(off, "cross_entropy", max_examples=30, seed=0).passed
    assert verify_loss(off, "cross_entropy", rtol=1e-3, atol=1e-3, max_examples=30, seed=0).passed


# ----------------------------------------------------------------------------- the inputs reach the hard places
def _record(name: str, params: dict[str, Any], **kw: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    fn = getattr(torch_impl, name)
    torch_params = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in params.items()}

    def recorder(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        seen.append((x.detach().numpy().copy(), t.numpy().copy()))
        return fn(x, t, **torch_params)

    assert verify_loss(recorder, name, params=params, max_examples=200, seed=0, **kw).passed
    return seen[1:]  # the first call is the probe that tells torch from NumPy candidates


def test_index_inputs_reach_the_hard_places() -> None:
    seen = _record("focal_loss", {"ignore_index": -100})
    logits = [x for x, _ in seen]
    assert any((np.abs(x) == 1e4).any() for x in logits), "extreme logits"
    p_t_is_one = p_t_is_zero = 0
    ties = single_class = missing_class = ignored = has_kept = 0
    for x, t in seen:
        c = x.shape[1]
        keep = t != -100
        lp = torch.log_softmax(torch.from_numpy(x), 1).numpy()
        p_t = np.exp(np.take_along_axis(lp, np.where(keep, t, 0)[:, None], axis=1)[:, 0])
        p_t_is_one += bool((p_t[keep] == 1.0).any())
        p_t_is_zero += bool((p_t[keep] == 0.0).any())
        ties += bool((x.max(axis=1) == x.min(axis=1)).any())
        labels = set(t[keep].tolist())
        single_class += len(labels) == 1 and len(t) > 1
        missing_class += len(labels) < c
        ignored += bool((~keep).any())
        has_kept += bool(keep.any())
    assert p_t_is_one and p_t_is_zero and ties and single_class and missing_class and ignored
    assert has_kept == len(seen)  # every input has a position that counts
    assert {x.shape[1] for x in logits} >= {2, 3, 4, 5}


def test_weight_fixes_the_number_of_classes_and_spatial_dims_widen_the_shape() -> None:
    seen = _record("softmax_cross_entropy", {"weight": [1.0, 2.0, 3.0, 4.0]}, spatial_dims=2)
    assert all(x.ndim == 4 and x.shape[1] == 4 and t.shape == (x.shape[0], *x.shape[2:]) for x, t in seen)
    assert any(x.shape[2] > 1 and x.shape[3] > 1 for x, _ in seen)


def test_probability_targets_are_distributions_with_zeros_and_one_hot_rows() -> None:
    seen = _record("softmax_cross_entropy", {}, targets="probs")
    for _, t in seen:
        assert t.dtype == np.float64 and (t >= 0).all()
        np.testing.assert_allclose(t.sum(axis=1), 1.0, rtol=1e-12)
    assert any((t == 0).any() for _, t in seen) and any((t == 1).any() for _, t in seen)
    assert any(((t > 0) & (t < 1)).any() for _, t in seen)


def test_sigmoid_targets_are_binary_or_in_unit_interval() -> None:
    binary = _record("sigmoid_focal_loss", {})
    assert all(set(np.unique(t)) <= {0.0, 1.0} and t.shape == x.shape for x, t in binary)
    soft = _record("sigmoid_focal_loss", {}, targets="probs")
    assert all(((t >= 0) & (t <= 1)).all() for _, t in soft) and any(((t > 0) & (t < 1)).any() for _, t in soft)
    assert any((np.abs(x) >= 40).any() for x, _ in binary)  # saturated sigmoid: p_t rounds to 1 or 0


# ----------------------------------------------------------------------------- usage errors
@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"against": "focla"}, ValueError, "verify_loss: `name` must be one of 'cross_entropy', 'focal', 'sigmoid_focal', "
     "'soft_f1', 'softmax_cross_entropy', 'focal_loss', 'sigmoid_focal_loss', 'soft_f1_loss'; got 'focla'. "
     "Did you mean 'focal'?"),
    ({"params": {"gama": 2}}, ValueError, "verify_loss: `params` keys must be among gamma, weight, ignore_index, "
     "label_smoothing, smoothing_mode, reduction; got 'gama'. Did you mean 'gamma'?"),
    ({"params": {"gamma": -1.0}}, ValueError, "focal_loss: `gamma` must be >= 0; got -1.0."),
    ({"targets": "soft"}, ValueError, "verify_loss: `targets` must be one of 'index', 'probs'; got 'soft'."),
    ({"spatial_dims": 4}, ValueError, "verify_loss: `spatial_dims` must be an int in [0, 3]; got 4."),
    ({"max_examples": 0}, ValueError, "verify_loss: `max_examples` must be an int >= 1; got 0."),
    ({"dtype": torch.int64}, TypeError, "verify_loss: `dtype` must be a floating torch dtype; got torch.int64."),
    ({"device": "nodevice"}, ValueError, "verify_loss: `device` must be an available torch device; got 'nodevice'."),
    ({"params": {"weight": [[1.0, 2.0]]}}, ValueError, "verify_loss: `params['weight']` must be 1-D; got shape (1, 2)."),
])
def test_bad_arguments(kwargs: dict[str, Any], exc: type[Exception], msg: str) -> None:
    kwargs = {"against": "focal", **kwargs}
    with pytest.raises(exc, match=re.escape(msg) + "$"):
        verify_loss(torch_impl.focal_loss, **kwargs)


def test_candidate_must_be_callable() -> None:
    with pytest.raises(TypeError, match=re.escape("verify_loss: `candidate` must be callable; got int.")):
        verify_loss(3, "focal")  # type: ignore[arg-type]


def test_a_candidate_writing_into_its_inputs_does_not_corrupt_the_search() -> None:
    def in_place(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t[t == -1] = 0  # the usual "ignore" bug, written in place
        return F.cross_entropy(x, t)

    report = verify_loss(in_place, "cross_entropy", params={"ignore_index": -1}, max_examples=N_EXAMPLES, seed=0)
    assert not report.passed and report.failed_check in {"value", "gradient"}, str(report)
    c = report.counterexample
    assert c is not None and (c.target == -1).any()  # the report shows the input as it was given
