"""reference.metrics (and torch_impl.metrics in float64) give scikit-learn's numbers.

The oracle is scikit-learn (a test-only dependency): ``precision_recall_fscore_support``, ``f1_score``,
``fbeta_score``, ``accuracy_score`` and ``confusion_matrix``, called with ``(y_true, y_pred)`` = our
``(target, preds)``, after the two steps the API defines before counting: scores become their argmax over
axis 1, and positions whose target is ``ignore_index`` are dropped.  scikit-learn rejects empty input, so
cases with nothing left are not sent to it (their conventions are pinned in test_metrics_identities.py).
Both sides are float64: the float64 row of the tolerance table applies.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn import metrics as skm

import reference.metrics as ref
import torch_impl.metrics as tim

from . import strategies as S
from .tolerances import assert_parity

F64 = torch.float64


def _sklearn_inputs(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) as scikit-learn takes them: 1-D, argmax taken, ignored positions dropped."""
    preds, target = case["preds"], case["target"]
    pred = np.argmax(preds, axis=1) if preds.dtype.kind == "f" else preds
    keep = np.ones(target.shape, bool) if case["ignore_index"] is None else target != case["ignore_index"]
    assume(keep.any())
    return target[keep], pred[keep]


def _call(case: dict[str, Any], func: Any, **options: Any) -> Any:
    return func(case["preds"], case["target"], case["num_classes"], ignore_index=case["ignore_index"], **options)


@pytest.mark.filterwarnings("ignore:A single label was found")  # labels are passed: the shape is right
@given(case=S.metric_case(min_n=1))
def test_confusion_matrix(case: dict[str, Any]) -> None:
    y_true, y_pred = _sklearn_inputs(case)
    k = case["num_classes"]
    expected = skm.confusion_matrix(y_true, y_pred, labels=np.arange(k))
    np.testing.assert_array_equal(_call(case, ref.confusion_matrix), expected)


@given(data=st.data(), case=S.metric_case(min_n=1))
def test_precision_recall_fscore(data: st.DataObject, case: dict[str, Any]) -> None:
    y_true, y_pred = _sklearn_inputs(case)
    options = data.draw(S.metric_options(case["num_classes"]))
    expected = skm.precision_recall_fscore_support(y_true, y_pred, **options)
    actual = _call(case, ref.precision_recall_fscore, **options)
    for a, e in zip(actual[:3], expected[:3]):
        assert np.shape(a) == np.shape(e)
        assert_parity(a, e, dtype=F64)
    if options["average"] is None:
        assert actual[3].dtype == np.int64
        np.testing.assert_array_equal(actual[3], expected[3])
    else:
        assert actual[3] is None and expected[3] is None


@given(data=st.data(), case=S.metric_case(min_n=1))
def test_fbeta_score(data: st.DataObject, case: dict[str, Any]) -> None:
    y_true, y_pred = _sklearn_inputs(case)
    options = data.draw(S.metric_options(case["num_classes"]))
    expected = skm.fbeta_score(y_true, y_pred, **options)
    assert_parity(_call(case, ref.fbeta_score, **options), expected, dtype=F64)


@given(data=st.data(), case=S.metric_case(min_n=1))
def test_f1_score(data: st.DataObject, case: dict[str, Any]) -> None:
    y_true, y_pred = _sklearn_inputs(case)
    options = data.draw(S.metric_options(case["num_classes"], beta=False))
    expected = skm.f1_score(y_true, y_pred, **options)
    assert_parity(_call(case, ref.f1_score, **options), expected, dtype=F64)


@given(data=st.data(), case=S.metric_case(min_n=1))
def test_torch_f1_score_float64(data: st.DataObject, case: dict[str, Any]) -> None:
    """The torch implementation against scikit-learn directly, not only through the reference."""
    y_true, y_pred = _sklearn_inputs(case)
    options = data.draw(S.metric_options(case["num_classes"], beta=False))
    expected = skm.f1_score(y_true, y_pred, **options)
    preds = torch.from_numpy(case["preds"])
    actual = tim.f1_score(preds, torch.from_numpy(case["target"]), case["num_classes"],
                          ignore_index=case["ignore_index"], **options)
    assert actual.dtype == (F64 if preds.dtype == F64 else torch.float32)
    assert_parity(actual, expected, dtype=actual.dtype)


@given(case=S.metric_case(min_n=1))
def test_accuracy(case: dict[str, Any]) -> None:
    y_true, y_pred = _sklearn_inputs(case)
    actual = ref.accuracy(case["preds"], case["target"], ignore_index=case["ignore_index"])
    assert_parity(actual, skm.accuracy_score(y_true, y_pred), dtype=F64)


# scikit-learn reads an (N, 1) indicator matrix as a binary column, not as one label: K >= 2 here.
@given(case=S.multilabel_case(min_n=1, min_labels=2), average=st.sampled_from(S.MULTILABEL_AVERAGES),
       zero_division=st.sampled_from(S.ZERO_DIVISIONS))
def test_multilabel_f1_score(case: dict[str, Any], average: str | None, zero_division: float) -> None:
    preds = case["preds"]
    y_pred = (preds > case["threshold"]).astype(np.int64) if preds.dtype.kind == "f" else preds.astype(np.int64)
    expected = skm.f1_score(case["target"], y_pred, average=average, zero_division=zero_division)
    actual = ref.multilabel_f1_score(preds, case["target"], average=average, threshold=case["threshold"],
                                     zero_division=zero_division)
    assert np.shape(actual) == np.shape(expected)
    assert_parity(actual, expected, dtype=F64)


# Edge cases where scikit-learn's behaviour had to be read off; each row is (y_true, y_pred, K, options).
EDGE_CASES = [
    # precision 0/0 (class 2 never predicted) but recall 0: F = 0 whatever zero_division is
    ([0, 2, 2], [0, 0, 0], 3, {"average": None, "zero_division": 1.0}),
    # "micro" over a subset of labels counts only those labels (here != accuracy)
    ([0, 1, 2, 2], [0, 2, 1, 2], 3, {"average": "micro", "labels": [2]}),
    # "weighted" where every averaged class has support 0: unweighted mean
    ([0, 0, 0], [2, 2, 2], 3, {"average": "weighted", "labels": [2], "zero_division": 1.0}),
    ([0, 0, 0], [2, 2, 2], 3, {"average": "weighted", "labels": [2], "zero_division": float("nan")}),
    # nan entries left out of the macro mean
    ([0, 0, 1], [0, 0, 0], 3, {"average": "macro", "labels": [0, 1, 2], "zero_division": float("nan")}),
    # labels order is kept in per-class results
    ([0, 1, 2, 2], [0, 2, 1, 2], 3, {"average": None, "labels": [2, 0]}),
    # binary with the positive class absent from both: every ratio is 0/0
    ([0, 0], [0, 0], 2, {"average": "binary", "zero_division": 1.0}),
    ([1, 0, 1], [1, 1, 0], 2, {"average": "binary", "pos_label": 0}),
]


@pytest.mark.parametrize("impl", [ref, tim], ids=["reference", "torch"])
@pytest.mark.parametrize("y_true, y_pred, k, options", EDGE_CASES)
def test_edge_cases(impl: Any, y_true: list[int], y_pred: list[int], k: int, options: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = skm.precision_recall_fscore_support(y_true, y_pred, **options)
    wrap = torch.tensor if impl is tim else np.asarray
    actual = impl.precision_recall_fscore(wrap(y_pred), wrap(y_true), k, **options)
    for a, e in zip(actual[:3], expected[:3]):
        assert np.shape(a) == np.shape(e)
        assert_parity(a, e, dtype=a.dtype if impl is tim else F64)  # torch: float32 from integer input
