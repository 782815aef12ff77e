"""torch_impl.metrics == reference.metrics on generated inputs.

Both count integers, so confusion matrices and supports must be equal exactly; the scores are ratios of
those counts, compared with the row of the tolerance table for the torch result's dtype (float32, or
float64 when ``preds`` are float64 scores).  Scores are quantized once; the reference gets the rounded values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

import reference.metrics as ref
import torch_impl.metrics as tim

from . import strategies as S
from .tolerances import assert_parity, quantize


def _inputs(case: dict[str, Any], dtype: torch.dtype, device: str) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """(torch preds, torch target, the reference's preds): float scores are quantized to ``dtype``."""
    preds = case["preds"]
    if preds.dtype.kind == "f":
        t_preds, r_preds = quantize(preds, dtype, device)
    else:
        t_preds, r_preds = torch.from_numpy(preds).to(device), preds
    return t_preds, torch.from_numpy(case["target"]).to(device), r_preds


def _score_dtype(preds: torch.Tensor) -> torch.dtype:
    return torch.float64 if preds.dtype == torch.float64 else torch.float32


def _assert_score(actual: torch.Tensor, expected: Any, preds: torch.Tensor, device: str) -> None:
    """dtype first, then device and shape, then values (the table row of the result's dtype)."""
    dtype = _score_dtype(preds)
    assert actual.dtype == dtype
    assert actual.device.type == device
    assert tuple(actual.shape) == np.shape(expected)
    assert_parity(actual, expected, dtype=dtype)


@given(case=S.metric_case(), dtype=st.sampled_from(S.TORCH_FLOAT_DTYPES), device=st.sampled_from(S.DEVICES))
def test_confusion_matrix(case: dict[str, Any], dtype: torch.dtype, device: str) -> None:
    t_preds, t_target, r_preds = _inputs(case, dtype, device)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    actual = tim.confusion_matrix(t_preds, t_target, k, ignore_index=ignore_index)
    expected = ref.confusion_matrix(r_preds, case["target"], k, ignore_index=ignore_index)
    assert actual.dtype == torch.int64 and expected.dtype == np.int64
    assert actual.device.type == device
    np.testing.assert_array_equal(actual.cpu().numpy(), expected)


@given(data=st.data(), case=S.metric_case(), dtype=st.sampled_from(S.TORCH_FLOAT_DTYPES),
       device=st.sampled_from(S.DEVICES))
def test_precision_recall_fscore(data: st.DataObject, case: dict[str, Any], dtype: torch.dtype, device: str) -> None:
    t_preds, t_target, r_preds = _inputs(case, dtype, device)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    options = data.draw(S.metric_options(k))
    actual = tim.precision_recall_fscore(t_preds, t_target, k, ignore_index=ignore_index, **options)
    expected = ref.precision_recall_fscore(r_preds, case["target"], k, ignore_index=ignore_index, **options)
    for a, e in zip(actual[:3], expected[:3]):
        _assert_score(a, e, t_preds, device)
    if options["average"] is None:
        assert actual[3] is not None and expected[3] is not None
        assert actual[3].dtype == torch.int64 and expected[3].dtype == np.int64
        np.testing.assert_array_equal(actual[3].cpu().numpy(), expected[3])
    else:
        assert actual[3] is None and expected[3] is None


@given(data=st.data(), case=S.metric_case(), dtype=st.sampled_from(S.TORCH_FLOAT_DTYPES),
       device=st.sampled_from(S.DEVICES))
def test_fbeta_score(data: st.DataObject, case: dict[str, Any], dtype: torch.dtype, device: str) -> None:
    t_preds, t_target, r_preds = _inputs(case, dtype, device)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    options = data.draw(S.metric_options(k))
    actual = tim.fbeta_score(t_preds, t_target, k, ignore_index=ignore_index, **options)
    expected = ref.fbeta_score(r_preds, case["target"], k, ignore_index=ignore_index, **options)
    _assert_score(actual, expected, t_preds, device)


@given(data=st.data(), case=S.metric_case(), dtype=st.sampled_from(S.TORCH_FLOAT_DTYPES),
       device=st.sampled_from(S.DEVICES))
def test_f1_score(data: st.DataObject, case: dict[str, Any], dtype: torch.dtype, device: str) -> None:
    t_preds, t_target, r_preds = _inputs(case, dtype, device)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    options = data.draw(S.metric_options(k, beta=False))
    actual = tim.f1_score(t_preds, t_target, k, ignore_index=ignore_index, **options)
    expected = ref.f1_score(r_preds, case["target"], k, ignore_index=ignore_index, **options)
    _assert_score(actual, expected, t_preds, device)


@given(case=S.metric_case(), dtype=st.sampled_from(S.TORCH_FLOAT_DTYPES), device=st.sampled_from(S.DEVICES))
def test_accuracy(case: dict[str, Any], dtype: torch.dtype, device: str) -> None:
    t_preds, t_target, r_preds = _inputs(case, dtype, device)
    actual = tim.accuracy(t_preds, t_target, ignore_index=case["ignore_index"])
    expected = ref.accuracy(r_preds, case["target"], ignore_index=case["ignore_index"])
    _assert_score(actual, expected, t_preds, device)


@given(case=S.multilabel_case(), average=st.sampled_from(S.MULTILABEL_AVERAGES),
       zero_division=st.sampled_from(S.ZERO_DIVISIONS), dtype=st.sampled_from(S.TORCH_FLOAT_DTYPES),
       device=st.sampled_from(S.DEVICES))
def test_multilabel_f1_score(case: dict[str, Any], average: str | None, zero_division: float, dtype: torch.dtype,
                             device: str) -> None:
    t_preds, t_target, r_preds = _inputs(case, dtype, device)
    options = {"average": average, "threshold": case["threshold"], "zero_division": zero_division}
    actual = tim.multilabel_f1_score(t_preds, t_target, **options)
    expected = ref.multilabel_f1_score(r_preds, case["target"], **options)
    _assert_score(actual, expected, t_preds, device)


@given(case=S.metric_case(), device=st.sampled_from(S.DEVICES))
def test_validate_args_false_gives_the_same_result(case: dict[str, Any], device: str) -> None:
    """Skipping the data checks changes nothing on valid input (the checks only read)."""
    t_preds, t_target, _ = _inputs(case, torch.float64, device)
    k, ignore_index = case["num_classes"], case["ignore_index"]
    checked = tim.precision_recall_fscore(t_preds, t_target, k, ignore_index=ignore_index)
    unchecked = tim.precision_recall_fscore(t_preds, t_target, k, ignore_index=ignore_index, validate_args=False)
    for a, b in zip(checked, unchecked):
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)
