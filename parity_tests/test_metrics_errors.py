"""Every check of the metrics, in both packages, with the whole message (re.escape).

Inputs are written once as NumPy arrays and handed to torch as tensors of the same dtype, so one row
tests the same rule in both packages with the same text.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

import reference.metrics as ref
import torch_impl.metrics as tim
from torch_impl.metrics import F1Score

IMPLS = [pytest.param(ref, id="reference"), pytest.param(tim, id="torch")]

I3 = np.array([0, 1, 2, 2])  # valid class indices for K = 3
B2 = np.array([0, 1, 1, 0])  # valid class indices for K = 2
ML = np.array([[0, 1], [1, 1]])  # valid multilabel indicators


def _wrap(impl: Any, x: Any) -> Any:
    return torch.from_numpy(np.asarray(x)) if impl is tim and isinstance(x, np.ndarray) else x


# (function, positional args, keyword args, exception, message); K = 3 unless the args say otherwise.
ROWS: list[tuple[str, tuple[Any, ...], dict[str, Any], type[Exception], str]] = [
    # options
    ("f1_score", (I3, I3, 0), {}, ValueError, "f1_score: `num_classes` must be >= 1; got 0."),
    ("f1_score", (I3, I3, 3.0), {}, TypeError, "f1_score: `num_classes` must be an int; got 3.0."),
    ("confusion_matrix", (I3, I3, -1), {}, ValueError, "confusion_matrix: `num_classes` must be >= 1; got -1."),
    ("f1_score", (I3, I3, 3), {"average": "samples"}, ValueError,
     "f1_score: `average` must be one of None, 'micro', 'macro', 'weighted', 'binary'; got 'samples'."),
    ("precision_recall_fscore", (I3, I3, 3), {"average": "mean"}, ValueError,
     "precision_recall_fscore: `average` must be one of None, 'micro', 'macro', 'weighted', 'binary'; got 'mean'."),
    ("f1_score", (I3, I3, 3), {"average": "binary"}, ValueError,
     "f1_score: `num_classes` must be 2 when average='binary'; got 3."),
    ("f1_score", (B2, B2, 2), {"average": "binary", "labels": [0]}, ValueError,
     "f1_score: `labels` must be None when average='binary' (pos_label picks the class); got [0]."),
    ("f1_score", (B2, B2, 2), {"average": "binary", "pos_label": 2}, ValueError,
     "f1_score: `pos_label` must be 0 or 1 when average='binary'; got 2."),
    ("f1_score", (B2, B2, 2), {"pos_label": "1"}, TypeError, "f1_score: `pos_label` must be an int; got '1'."),
    ("f1_score", (I3, I3, 3), {"zero_division": "warn"}, ValueError,
     "f1_score: `zero_division` must be 0.0, 1.0 or nan; got 'warn'."),
    ("f1_score", (I3, I3, 3), {"zero_division": 0.5}, ValueError,
     "f1_score: `zero_division` must be 0.0, 1.0 or nan; got 0.5."),
    ("f1_score", (I3, I3, 3), {"zero_division": True}, ValueError,
     "f1_score: `zero_division` must be 0.0, 1.0 or nan; got True."),
    ("fbeta_score", (I3, I3, 3), {"beta": 0.0}, ValueError, "fbeta_score: `beta` must be > 0 and finite; got 0.0."),
    ("fbeta_score", (I3, I3, 3), {"beta": -1.0}, ValueError, "fbeta_score: `beta` must be > 0 and finite; got -1.0."),
    ("fbeta_score", (I3, I3, 3), {"beta": float("inf")}, ValueError,
     "fbeta_score: `beta` must be > 0 and finite; got inf."),
    ("fbeta_score", (I3, I3, 3), {"beta": float("nan")}, ValueError,
     "fbeta_score: `beta` must be > 0 and finite; got nan."),
    ("precision_recall_fscore", (I3, I3, 3), {"beta": "2"}, TypeError,
     "precision_recall_fscore: `beta` must be a real number; got '2'."),
    ("f1_score", (I3, I3, 3), {"labels": []}, ValueError,
     "f1_score: `labels` must be a non-empty sequence of distinct class indices in [0, 2]; got []."),
    ("f1_score", (I3, I3, 3), {"labels": [0, 0]}, ValueError,
     "f1_score: `labels` must be a non-empty sequence of distinct class indices in [0, 2]; got [0, 0]."),
    ("f1_score", (I3, I3, 3), {"labels": [0, 3]}, ValueError,
     "f1_score: `labels` must be a non-empty sequence of distinct class indices in [0, 2]; got [0, 3]."),
    ("f1_score", (I3, I3, 3), {"labels": [-1]}, ValueError,
     "f1_score: `labels` must be a non-empty sequence of distinct class indices in [0, 2]; got [-1]."),
    ("f1_score", (I3, I3, 3), {"labels": [0.0]}, TypeError,
     "f1_score: `labels` must be a sequence of ints or None; got [0.0]."),
    ("f1_score", (I3, I3, 3), {"labels": [True]}, TypeError,
     "f1_score: `labels` must be a sequence of ints or None; got [True]."),
    ("f1_score", (I3, I3, 3), {"labels": "01"}, TypeError,
     "f1_score: `labels` must be a sequence of ints or None; got '01'."),
    ("f1_score", (I3, I3, 3), {"labels": 1}, TypeError,
     "f1_score: `labels` must be a sequence of ints or None; got 1."),
    ("f1_score", (I3, I3, 3), {"ignore_index": 1.5}, TypeError, "f1_score: `ignore_index` must be an int; got 1.5."),
    ("accuracy", (I3, I3), {"ignore_index": "x"}, TypeError, "accuracy: `ignore_index` must be an int; got 'x'."),
    ("f1_score", (I3, I3, 3), {"validate_args": 1}, TypeError, "f1_score: `validate_args` must be a bool; got 1."),
    ("accuracy", (I3, I3), {"validate_args": None}, TypeError, "accuracy: `validate_args` must be a bool; got None."),
    # types
    ("f1_score", (I3, I3.astype(np.float64), 3), {}, TypeError,
     "f1_score: `target` must have an integer dtype; got float64."),
    ("f1_score", (I3.astype(bool), I3, 3), {}, TypeError, "f1_score: `preds` must have an integer dtype; got bool."),
    ("accuracy", (I3, I3.astype(np.float32)), {}, TypeError,
     "accuracy: `target` must have an integer dtype; got float32."),
    # shapes
    ("f1_score", (I3[:3], I3, 3), {}, ValueError,
     "f1_score: `preds` must have shape (4,) to match `target`; got (3,)."),
    ("confusion_matrix", (I3, I3[:2], 3), {}, ValueError,
     "confusion_matrix: `preds` must have shape (2,) to match `target`; got (4,)."),
    ("f1_score", (np.zeros((4, 2)), I3, 3), {}, ValueError,
     "f1_score: `preds` must have shape (4, 3) (scores with the class axis at 1) to match `target` (4,); got (4, 2)."),
    ("f1_score", (np.zeros((4, 3)), I3.reshape(2, 2), 3), {}, ValueError,
     "f1_score: `preds` must have shape (2, 3, 2) (scores with the class axis at 1) to match `target` (2, 2); "
     "got (4, 3)."),
    ("f1_score", (np.array(0), np.array(0), 3), {}, ValueError,
     "f1_score: `target` must have at least 1 dimensions (N, ...); got shape ()."),
    ("accuracy", (np.zeros(4), I3), {}, ValueError,
     "accuracy: `preds` must have shape (4, C) (scores with the class axis at 1) to match `target` (4,); got (4,)."),
    ("accuracy", (np.zeros((4, 0)), I3), {}, ValueError,
     "accuracy: `preds` must have shape (4, C) (scores with the class axis at 1) to match `target` (4,); got (4, 0)."),
    # data
    ("f1_score", (I3, np.array([0, 1, 3, 2]), 3), {}, ValueError,
     "f1_score: `target` must hold class indices in [0, 2]; got values in [0, 3]."),
    ("f1_score", (I3, np.array([0, -1, -100, 2]), 3), {"ignore_index": -100}, ValueError,
     "f1_score: `target` must hold class indices in [0, 2] or ignore_index -100; got values in [-1, 2]."),
    ("precision_recall_fscore", (np.array([0, 5, 1, 1]), I3, 3), {}, ValueError,
     "precision_recall_fscore: `preds` must hold class indices in [0, 2]; got values in [0, 5]."),
    ("confusion_matrix", (np.array([0, 1, -100, 1]), I3, 3), {"ignore_index": -100}, ValueError,
     "confusion_matrix: `preds` must hold class indices in [0, 2]; got values in [-100, 1]."),
    ("accuracy", (I3, np.array([0, -1, 2, 2])), {}, ValueError,
     "accuracy: `target` must hold class indices >= 0; got values in [-1, 2]."),
    ("accuracy", (I3, np.array([0, -1, -100, 2])), {"ignore_index": -100}, ValueError,
     "accuracy: `target` must hold class indices >= 0 or ignore_index -100; got values in [-1, 2]."),
    ("accuracy", (np.array([0, -7, 2, 2]), I3), {}, ValueError,
     "accuracy: `preds` must hold class indices >= 0; got values in [-7, 2]."),
    # multilabel
    ("multilabel_f1_score", (ML, ML), {"average": "binary"}, ValueError,
     "multilabel_f1_score: `average` must be one of None, 'micro', 'macro', 'weighted', 'samples'; got 'binary'."),
    ("multilabel_f1_score", (ML, ML), {"threshold": 1.5}, ValueError,
     "multilabel_f1_score: `threshold` must be in [0, 1]; got 1.5."),
    ("multilabel_f1_score", (ML, ML), {"zero_division": 2.0}, ValueError,
     "multilabel_f1_score: `zero_division` must be 0.0, 1.0 or nan; got 2.0."),
    ("multilabel_f1_score", (ML, ML), {"validate_args": "no"}, TypeError,
     "multilabel_f1_score: `validate_args` must be a bool; got 'no'."),
    ("multilabel_f1_score", (ML, ML.astype(np.float32)), {}, TypeError,
     "multilabel_f1_score: `target` must have an integer or bool dtype; got float32."),
    ("multilabel_f1_score", (ML.ravel(), ML.ravel()), {}, ValueError,
     "multilabel_f1_score: `target` must have 2 dimensions (N, K); got shape (4,)."),
    ("multilabel_f1_score", (ML[:1], ML), {}, ValueError,
     "multilabel_f1_score: `preds` must have shape (2, 2) to match `target`; got (1, 2)."),
    ("multilabel_f1_score", (ML, np.array([[0, 2], [1, 1]])), {}, ValueError,
     "multilabel_f1_score: `target` must hold values in {0, 1}; got values in [0, 2]."),
    ("multilabel_f1_score", (np.array([[0, 1], [-1, 1]]), ML), {}, ValueError,
     "multilabel_f1_score: `preds` must hold values in {0, 1}; got values in [-1, 1]."),
    ("multilabel_f1_score", (np.array([[0.0, 1.5], [0.25, 1.0]]), ML), {}, ValueError,
     "multilabel_f1_score: `preds` must hold values in [0, 1]; got values in [0.0, 1.5]."),
    ("multilabel_f1_score", (np.array([[0.0, np.nan], [0.25, 1.0]]), ML), {}, ValueError,
     "multilabel_f1_score: `preds` must hold values in [0, 1]; got values in [nan, nan]."),
]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name, args, kwargs, exc, msg", ROWS, ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_bad_input(impl: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], exc: type[Exception],
                   msg: str) -> None:
    with pytest.raises(exc, match=f"^{re.escape(msg)}$"):
        getattr(impl, name)(*(_wrap(impl, a) for a in args), **kwargs)


@pytest.mark.parametrize("impl", IMPLS)
def test_validate_args_false_skips_only_data_checks(impl: Any) -> None:
    """Values are not read (a negative target counts as a miss, a probability 1.5 as a positive); shapes are."""
    acc = impl.accuracy(_wrap(impl, I3), _wrap(impl, np.array([0, -1, 2, 2])), validate_args=False)
    assert float(acc) == 0.75  # positions 0, 2, 3 right
    # predicted [[0, 1], [0, 1]] vs [[0, 1], [1, 1]]: label 0 has TP=0, FN=1 -> 0; label 1 has TP=2 -> 1; mean 1/2
    probs = np.array([[0.0, 1.5], [0.25, 1.0]])
    assert float(impl.multilabel_f1_score(_wrap(impl, probs), _wrap(impl, ML), validate_args=False)) == 0.5
    msg = "accuracy: `preds` must have shape (3,) to match `target`; got (4,)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        impl.accuracy(_wrap(impl, I3), _wrap(impl, I3[:3]), validate_args=False)


def test_torch_needs_tensors() -> None:
    with pytest.raises(TypeError, match=re.escape("f1_score: `preds` must be a torch.Tensor; got list.")):
        tim.f1_score([0, 1], torch.tensor([0, 1]), 2)
    with pytest.raises(TypeError, match=re.escape("accuracy: `target` must be a torch.Tensor; got ndarray.")):
        tim.accuracy(torch.tensor([0, 1]), np.array([0, 1]))


def test_reference_rejects_non_numbers() -> None:
    with pytest.raises(TypeError, match=re.escape("f1_score: `preds` must be an array of numbers; got dtype <U1.")):
        ref.f1_score(["a", "b"], [0, 1], 2)
    with pytest.raises(TypeError, match=re.escape("accuracy: `target` must be an array of numbers; got list.")):
        ref.accuracy([0, 1], [[0], [1, 2]])


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"average": "samples"}, ValueError,
     "F1Score: `average` must be one of None, 'micro', 'macro', 'weighted', 'binary'; got 'samples'."),
    ({"average": "binary"}, ValueError, "F1Score: `num_classes` must be 2 when average='binary'; got 3."),
    ({"beta": 0.0}, ValueError, "F1Score: `beta` must be > 0 and finite; got 0.0."),
    ({"labels": [3]}, ValueError,
     "F1Score: `labels` must be a non-empty sequence of distinct class indices in [0, 2]; got [3]."),
    ({"zero_division": "warn"}, ValueError, "F1Score: `zero_division` must be 0.0, 1.0 or nan; got 'warn'."),
    ({"ignore_index": 0.5}, TypeError, "F1Score: `ignore_index` must be an int; got 0.5."),
    ({"validate_args": "yes"}, TypeError, "F1Score: `validate_args` must be a bool; got 'yes'."),
])
def test_f1score_bad_options(kwargs: dict[str, Any], exc: type[Exception], msg: str) -> None:
    with pytest.raises(exc, match=f"^{re.escape(msg)}$"):
        F1Score(3, **kwargs)


def test_f1score_bad_update() -> None:
    metric = F1Score(3)
    with pytest.raises(ValueError, match=re.escape(
            "F1Score.update: `target` must hold class indices in [0, 2]; got values in [0, 3].")):
        metric.update(torch.tensor([0, 1]), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=re.escape(
            "F1Score.update: `preds` must have shape (2, 3) (scores with the class axis at 1) to match `target` (2,); "
            "got (2, 4).")):
        metric.update(torch.zeros(2, 4), torch.tensor([0, 1]))
    assert metric.confmat.sum().item() == 0  # a rejected batch adds nothing
