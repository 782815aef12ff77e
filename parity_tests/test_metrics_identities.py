"""Identities and conventions of the metrics, in both packages.

Oracles: closed-form relations between the metrics (micro-F1 == accuracy, F1 = 2TP/(2TP+FP+FN) from
the confusion matrix, F-beta(1) == F1, macro == mean of per-class), hand-derived values (derivations in
the comments) and the functional applied to all data (for the streaming F1Score).
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import reference.metrics as ref
import torch_impl.metrics as tim
from torch_impl.metrics import F1Score

from . import strategies as S
from .tolerances import assert_parity

IMPLS = [pytest.param(ref, id="reference"), pytest.param(tim, id="torch")]
NAN = float("nan")


def _args(impl: Any, case: dict[str, Any]) -> tuple[Any, Any]:
    if impl is tim:
        return torch.from_numpy(case["preds"]), torch.from_numpy(case["target"])
    return case["preds"], case["target"]


def _np(x: Any) -> np.ndarray:
    return x.cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _dtype(x: Any) -> torch.dtype:
    """The tolerance row of a result: its own dtype for torch, float64 for the reference."""
    return x.dtype if isinstance(x, torch.Tensor) else torch.float64


def _kept(case: dict[str, Any]) -> np.ndarray:
    ignore_index = case["ignore_index"]
    return np.ones(case["target"].shape, bool) if ignore_index is None else case["target"] != ignore_index


# ----------------------------------------------------------------------------- identities
@pytest.mark.parametrize("impl", IMPLS)
@given(case=S.metric_case(), zero_division=st.sampled_from(S.ZERO_DIVISIONS))
def test_micro_f1_equals_accuracy(impl: Any, case: dict[str, Any], zero_division: float) -> None:
    """Single-label: every FP of one class is an FN of another, so micro P = R = F1 = correct / total."""
    assume(_kept(case).any())
    preds, target = _args(impl, case)
    micro = impl.f1_score(preds, target, case["num_classes"], average="micro", zero_division=zero_division,
                          ignore_index=case["ignore_index"])
    acc = impl.accuracy(preds, target, ignore_index=case["ignore_index"])
    assert_parity(micro, acc, dtype=_dtype(micro))


@pytest.mark.parametrize("impl", IMPLS)
@given(case=S.metric_case(), zero_division=st.sampled_from(S.ZERO_DIVISIONS))
def test_per_class_scores_from_confusion_matrix(impl: Any, case: dict[str, Any], zero_division: float) -> None:
    """P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN) = 2PR/(P+R), with the counts read off C."""
    preds, target = _args(impl, case)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    cm = _np(impl.confusion_matrix(preds, target, k, ignore_index=ignore_index)).astype(np.float64)
    assert cm.sum() == _kept(case).sum()
    tp = np.diag(cm)
    fp, fn = cm.sum(axis=0) - tp, cm.sum(axis=1) - tp
    p, r, f, support = impl.precision_recall_fscore(preds, target, k, labels=list(range(k)),
                                                    zero_division=zero_division, ignore_index=ignore_index)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_expected = np.where(tp + fp > 0, tp / (tp + fp), zero_division)
        r_expected = np.where(tp + fn > 0, tp / (tp + fn), zero_division)
        f_expected = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), zero_division)
        harmonic = np.where(p_expected + r_expected > 0, 2 * p_expected * r_expected / (p_expected + r_expected), 0.0)
    for actual, expected in [(p, p_expected), (r, r_expected), (f, f_expected)]:
        assert_parity(actual, expected, dtype=_dtype(actual))
    both_defined = (tp + fp > 0) & (tp + fn > 0)
    assert_parity(_np(f)[both_defined], harmonic[both_defined], dtype=_dtype(f))
    np.testing.assert_array_equal(_np(support), tp + fn)


@pytest.mark.parametrize("impl", IMPLS)
@given(data=st.data(), case=S.metric_case())
def test_fbeta_one_equals_f1(impl: Any, data: st.DataObject, case: dict[str, Any]) -> None:
    options = data.draw(S.metric_options(case["num_classes"], beta=False))
    preds, target = _args(impl, case)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    f1 = impl.f1_score(preds, target, k, ignore_index=ignore_index, **options)
    fb = impl.fbeta_score(preds, target, k, beta=1.0, ignore_index=ignore_index, **options)
    np.testing.assert_array_equal(_np(fb), _np(f1))  # same counts, same arithmetic: bit for bit


@pytest.mark.parametrize("impl", IMPLS)
@given(data=st.data(), case=S.metric_case())
def test_averages_of_per_class_scores(impl: Any, data: st.DataObject, case: dict[str, Any]) -> None:
    """macro = mean of the per-class scores, weighted = support-weighted mean (nan left out, as in sklearn)."""
    options = data.draw(S.metric_options(case["num_classes"]))
    options.pop("pos_label", None)
    del options["average"]
    average = data.draw(st.sampled_from(["macro", "weighted"]))
    preds, target = _args(impl, case)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    per_class = impl.precision_recall_fscore(preds, target, k, average=None, ignore_index=ignore_index, **options)
    averaged = impl.precision_recall_fscore(preds, target, k, average=average, ignore_index=ignore_index, **options)
    support = _np(per_class[3]).astype(np.float64)
    for scores, actual in zip(per_class[:3], averaged[:3]):
        x = _np(scores).astype(np.float64)
        keep = ~np.isnan(x)
        w = support[keep] if average == "weighted" and support[keep].sum() > 0 else np.ones(keep.sum())
        expected = (x[keep] * w).sum() / w.sum() if keep.any() else NAN
        assert_parity(actual, expected, dtype=_dtype(actual))


@pytest.mark.parametrize("impl", IMPLS)
@given(data=st.data(), case=S.metric_case())
def test_scores_in_unit_interval(impl: Any, data: st.DataObject, case: dict[str, Any]) -> None:
    """Every score is in [0, 1]; nan appears only from zero_division=nan or an empty set of classes."""
    options = data.draw(S.metric_options(case["num_classes"]))
    preds, target = _args(impl, case)
    results = impl.precision_recall_fscore(preds, target, case["num_classes"], ignore_index=case["ignore_index"],
                                           **options)
    acc = impl.accuracy(preds, target, ignore_index=case["ignore_index"])
    for x in [*results[:3], acc]:
        values = _np(x).astype(np.float64).ravel()
        finite = values[~np.isnan(values)]
        assert ((finite >= 0) & (finite <= 1)).all()
    if not math.isnan(options["zero_division"]) and (options.get("labels") or options["average"] == "binary"):
        assert not any(np.isnan(_np(x)).any() for x in results[:3])


@pytest.mark.parametrize("impl", IMPLS)
@given(case=S.multilabel_case(), average=st.sampled_from(S.MULTILABEL_AVERAGES))
def test_multilabel_scores_in_unit_interval(impl: Any, case: dict[str, Any], average: str | None) -> None:
    preds, target = _args(impl, case)
    values = _np(impl.multilabel_f1_score(preds, target, average=average, threshold=case["threshold"])).ravel()
    finite = values[~np.isnan(values)]
    assert ((finite >= 0) & (finite <= 1)).all()


# ----------------------------------------------------------------------------- conventions (hand-derived)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("zero_division", S.ZERO_DIVISIONS)
def test_no_position_counted(impl: Any, zero_division: float) -> None:
    """Empty batch, or every target ignored: no class occurs, so per-class results are empty, macro and
    weighted are the mean of nothing (nan), micro is 0/0 (zero_division), accuracy is 0/0 (nan)."""
    wrap = torch.tensor if impl is tim else np.asarray
    for preds, target in [(wrap(np.zeros(0, np.int64)), wrap(np.zeros(0, np.int64))),
                          (wrap([1, 2]), wrap([-100, -100]))]:
        kw = {"ignore_index": -100, "zero_division": zero_division}
        assert _np(impl.confusion_matrix(preds, target, 3, ignore_index=-100)).tolist() == [[0] * 3] * 3
        p, r, f, s = impl.precision_recall_fscore(preds, target, 3, **kw)
        assert _np(p).shape == _np(r).shape == _np(f).shape == _np(s).shape == (0,)
        for average in ("macro", "weighted"):
            assert math.isnan(float(impl.f1_score(preds, target, 3, average=average, **kw)))
        np.testing.assert_equal(float(impl.f1_score(preds, target, 3, average="micro", **kw)), zero_division)
        assert math.isnan(float(impl.accuracy(preds, target, ignore_index=-100)))


@pytest.mark.parametrize("impl", IMPLS)
def test_all_wrong_and_all_right(impl: Any) -> None:
    wrap = torch.tensor if impl is tim else np.asarray
    target = wrap([0, 1, 2, 2])
    wrong = wrap([1, 2, 0, 0])  # every class occurs, TP = 0 everywhere: every F1 is 0
    assert _np(impl.f1_score(wrong, target, 3, average=None)).tolist() == [0.0, 0.0, 0.0]
    assert float(impl.accuracy(wrong, target)) == 0.0
    assert _np(impl.f1_score(target, target, 3, average=None)).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("impl", IMPLS)
def test_labels_select_absent_classes(impl: Any) -> None:
    """labels=[0, 3] with class 3 absent: class 0 has TP=1, FP=1, FN=0 -> F1 = 2/3; class 3 has
    TP=FP=FN=0 -> zero_division; the macro mean takes both."""
    wrap = torch.tensor if impl is tim else np.asarray
    preds, target = wrap([0, 0, 1]), wrap([0, 1, 1])
    for zero_division, expected in [(0.0, (2 / 3 + 0) / 2), (1.0, (2 / 3 + 1) / 2), (NAN, 2 / 3)]:
        actual = impl.f1_score(preds, target, 4, labels=[0, 3], zero_division=zero_division)
        assert_parity(actual, expected, dtype=_dtype(actual))
    # labels=None leaves the absent classes 2 and 3 out: mean of F1(0) = 2/3 and F1(1) = 2/3
    assert_parity(impl.f1_score(preds, target, 4), 2 / 3, dtype=_dtype(impl.f1_score(preds, target, 4)))


@pytest.mark.parametrize("impl", IMPLS)
def test_ties_and_ignored_positions(impl: Any) -> None:
    """Tied scores predict the first class; ignored positions change nothing else."""
    wrap = torch.tensor if impl is tim else np.asarray
    scores = wrap(np.array([[1.0, 1.0], [0.0, 2.0], [5.0, -5.0], [0.0, np.nan], [np.nan, np.nan]]))
    target = wrap(np.array([1, 1, -1, 1, 1]))
    # predictions [0 (tie), 1, (ignored), 1 (NaN is the maximum), 0 (first NaN)]: 2 of 4 right
    assert float(impl.accuracy(scores, target, ignore_index=-1)) == 0.5
    assert _np(impl.confusion_matrix(scores, target, 2, ignore_index=-1)).tolist() == [[0, 0], [2, 2]]


@pytest.mark.parametrize("impl", IMPLS)
def test_multilabel_threshold_is_strict(impl: Any) -> None:
    """A probability equal to the threshold is not a positive prediction: [[0.5]] vs [[1]] is an FN (F1 = 0);
    one ulp above it is a TP (F1 = 1)."""
    wrap = torch.tensor if impl is tim else np.asarray
    target = wrap(np.array([[1]]))
    at = wrap(np.array([[0.5]]))
    above = wrap(np.array([[np.nextafter(0.5, 1.0)]]))
    assert float(impl.multilabel_f1_score(at, target)) == 0.0
    assert float(impl.multilabel_f1_score(above, target)) == 1.0


@pytest.mark.parametrize("impl", IMPLS)
def test_multilabel_samples_average(impl: Any) -> None:
    """Sample 0: no true, no predicted label -> zero_division; sample 1: TP=1, FP=1 -> F1 = 2/3."""
    wrap = torch.tensor if impl is tim else np.asarray
    preds, target = wrap(np.array([[0, 0], [1, 1]])), wrap(np.array([[0, 0], [1, 0]]))
    for zero_division, expected in [(0.0, 1 / 3), (1.0, 5 / 6), (NAN, 2 / 3)]:
        actual = impl.multilabel_f1_score(preds, target, average="samples", zero_division=zero_division)
        assert_parity(actual, expected, dtype=_dtype(actual))
    # per label: label 0 has TP=1 -> 1; label 1 has FP=1 -> 0
    assert _np(impl.multilabel_f1_score(preds, target, average=None)).tolist() == [1.0, 0.0]


# ----------------------------------------------------------------------------- streaming
@given(data=st.data(), case=S.metric_case())
def test_streaming_equals_one_call(data: st.DataObject, case: dict[str, Any]) -> None:
    """F1Score fed any batching (empty batches included) == fbeta_score on all data, bit for bit."""
    k, ignore_index = case["num_classes"], case["ignore_index"]
    options = data.draw(S.metric_options(k))
    options.pop("pos_label", None)  # F1Score's binary class is fbeta_score's default pos_label=1
    preds, target = torch.from_numpy(case["preds"]), torch.from_numpy(case["target"])
    n = target.shape[0]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    metric = F1Score(k, ignore_index=ignore_index, **options)
    for _ in range(2):  # the second pass checks reset()
        for lo, hi in zip([0, *cuts], [*cuts, n]):
            metric.update(preds[lo:hi], target[lo:hi])
        expected = tim.fbeta_score(preds, target, k, ignore_index=ignore_index, **options)
        torch.testing.assert_close(metric.compute(), expected, rtol=0, atol=0, equal_nan=True)
        metric.reset()


def test_per_batch_average_differs_from_epoch_f1() -> None:
    """Batch 1: targets [0, 0, 0, 0, 1], all predicted right -> macro F1 = 1.
    Batch 2: target [1] predicted 0 -> class 0: TP=0, FP=1; class 1: TP=0, FN=1 -> macro F1 = 0.
    All 6 samples: class 0: TP=4, FP=1, FN=0 -> 8/9; class 1: TP=1, FP=0, FN=1 -> 2/3; macro = 7/9.
    The mean of the batch scores, 1/2, is not the epoch's 7/9; F1Score returns 7/9."""
    batches = [(torch.tensor([0, 0, 0, 0, 1]), torch.tensor([0, 0, 0, 0, 1])), (torch.tensor([0]), torch.tensor([1]))]
    per_batch = [float(tim.f1_score(p, t, 2)) for p, t in batches]
    assert per_batch == [1.0, 0.0]
    metric = F1Score(2)
    for p, t in batches:
        metric.update(p, t)
    assert_parity(metric.compute(), 7 / 9, dtype=torch.float32)
    assert abs(sum(per_batch) / 2 - 7 / 9) > 0.25
    all_preds, all_target = (np.concatenate([b[i].numpy() for b in batches]) for i in (0, 1))
    assert_parity(ref.f1_score(all_preds, all_target, 2), 7 / 9, dtype=torch.float64)


def test_f1score_state() -> None:
    """Counts are an int64 buffer that follows the inputs, survive pickling and state_dict, and compute()
    leaves them unchanged; the result is float64 once a float64 input was seen."""
    metric = F1Score(3, average="weighted", zero_division=NAN)
    assert metric.confmat.dtype == torch.int64 and tuple(metric.confmat.shape) == (3, 3)
    metric.update(torch.tensor([[0.1, 0.7, 0.2], [0.9, 0.0, 0.1]], dtype=torch.float32), torch.tensor([1, 2]))
    first = metric.compute()
    assert first.dtype == torch.float32
    torch.testing.assert_close(metric.compute(), first, rtol=0, atol=0, equal_nan=True)
    assert metric.confmat.tolist() == [[0, 0, 0], [0, 1, 0], [1, 0, 0]]
    clone = pickle.loads(pickle.dumps(metric))
    torch.testing.assert_close(clone.compute(), first, rtol=0, atol=0, equal_nan=True)
    fresh = F1Score(3, average="weighted", zero_division=NAN)
    fresh.load_state_dict(metric.state_dict())
    assert torch.equal(fresh.confmat, metric.confmat)
    metric.update(torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([2]))
    assert metric.compute().dtype == torch.float64
    metric.reset()
    assert metric.confmat.sum().item() == 0 and metric.compute().dtype == torch.float32
    assert "num_classes=3, average='weighted'" in repr(metric)


@pytest.mark.parametrize("device", S.DEVICES)
def test_f1score_counts_on_input_device(device: str) -> None:
    metric = F1Score(2)
    metric.update(torch.tensor([0, 1], device=device), torch.tensor([0, 0], device=device))
    assert metric.confmat.device.type == device
    result = metric.compute()
    assert result.device.type == device
    # class 0: TP=1, FN=1 -> 2/3; class 1: FP=1 -> 0; macro = 1/3
    assert_parity(result, 1 / 3, dtype=torch.float32)


def test_autocast_changes_nothing() -> None:
    """Metrics cast explicitly (argmax, int64 counts): bfloat16 autocast leaves every result unchanged."""
    gen = torch.Generator().manual_seed(7)
    logits, target = torch.randn(64, 5, generator=gen), torch.randint(0, 5, (64,), generator=gen)
    outside = tim.precision_recall_fscore(logits, target, 5, average=None)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = tim.precision_recall_fscore(logits, target, 5, average=None)
    for a, b in zip(outside, inside):
        assert a.dtype == b.dtype
        torch.testing.assert_close(a, b, rtol=0, atol=0)
