r"""Classification metrics in float64: confusion matrix, precision / recall / F-beta, accuracy, multilabel F1.

The numbers are scikit-learn's (``precision_recall_fscore_support``, ``f1_score``, ``fbeta_score``,
``accuracy_score``) with the argument order ``(preds, target)`` of the losses.  Every metric is a count
step (``_counts_*``: integer confusion counts) followed by a reduce step (``_reduce_*``) that turns counts
into scores; ``torch_impl.metrics`` has the same two steps, and its streaming ``F1Score`` adds counts
over batches and reduces once.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks as C

__all__ = ["confusion_matrix", "precision_recall_fscore", "f1_score", "fbeta_score", "accuracy",
           "multilabel_f1_score"]

Average = Literal["micro", "macro", "weighted", "binary"] | None
MultilabelAverage = Literal["micro", "macro", "weighted", "samples"] | None
Score = Union[np.float64, NDArray[np.float64]]
AVERAGES = (None, "micro", "macro", "weighted", "binary")
MULTILABEL_AVERAGES = (None, "micro", "macro", "weighted", "samples")


class Counts(NamedTuple):
    """Per-class (or per-sample) counts: true positives, predicted positives (TP + FP), true positives + FN."""

    tp: NDArray[np.int64]
    pred: NDArray[np.int64]
    true: NDArray[np.int64]


# ----------------------------------------------------------------------------- checks
def _check_class_options(func: str, num_classes: int, average: Average, beta: float, labels: object,
                         pos_label: int, zero_division: float, ignore_index: int | None,
                         validate_args: bool) -> tuple[int, ...] | None:
    C.check_int_at_least(func, "num_classes", num_classes, 1)
    C.check_in(func, "average", average, AVERAGES)
    C.check_positive_finite(func, "beta", beta)
    checked = C.check_labels(func, labels, num_classes)
    C.check_int(func, "pos_label", pos_label)
    C.check_zero_division(func, zero_division)
    if ignore_index is not None:
        C.check_int(func, "ignore_index", ignore_index)
    C.check_bool(func, "validate_args", validate_args)
    if average == "binary":
        C.check_binary_average(func, num_classes, labels, pos_label)
    return checked


def _predicted_classes(func: str, preds: ArrayLike, target: ArrayLike, num_classes: int | None,
                       ignore_index: int | None, validate_args: bool
                       ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(predicted class, target class), both int64 with the target's shape; scores are argmaxed over axis 1."""
    t = C.as_index(func, "target", target)
    p = C.as_array(func, "preds", preds)
    scores = p.dtype.kind == "f"
    if not scores:
        p = C.as_index(func, "preds", p)
    C.check_ndim_at_least(func, "target", t.shape, 1, "(N, ...)")
    if scores:
        C.check_scores_shape(func, p.shape, t.shape, num_classes)
        p = np.argmax(p, axis=1)
    else:
        C.check_same_shape(func, "preds", p.shape, "target", t.shape)
    if validate_args and num_classes is None:
        if not scores:
            C.check_class_indices(func, "preds", p, None, None)
        C.check_class_indices(func, "target", t, None, ignore_index)
    elif validate_args and num_classes is not None:
        if not scores:
            C.check_class_indices(func, "preds", p, num_classes, None)
        C.check_class_indices(func, "target", t, num_classes, ignore_index)
    return p.astype(np.int64, copy=False), t


# ----------------------------------------------------------------------------- counts
def _counts_multiclass(pred: NDArray[np.int64], target: NDArray[np.int64], num_classes: int,
                       ignore_index: int | None) -> NDArray[np.int64]:
    """The ``(K, K)`` confusion matrix ``C[i, j]`` = #(target i, prediction j), ignored positions left out."""
    pred, target = pred.reshape(-1), target.reshape(-1)
    if ignore_index is not None:
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
    flat = np.bincount(target * num_classes + pred, minlength=num_classes * num_classes)
    return flat.astype(np.int64).reshape(num_classes, num_classes)


def _counts_from_confusion(confmat: NDArray[np.int64]) -> Counts:
    tp = np.diagonal(confmat).copy()
    return Counts(tp, confmat.sum(axis=0), confmat.sum(axis=1))


def _counts_multilabel(pred: NDArray[np.int64], target: NDArray[np.int64], samplewise: bool) -> Counts:
    """Counts per label (axis 0 summed), or per sample (axis 1 summed) when ``samplewise``."""
    axis = 1 if samplewise else 0
    return Counts((pred * target).sum(axis=axis), pred.sum(axis=axis), target.sum(axis=axis))


# ----------------------------------------------------------------------------- reduce
def _divide(num: NDArray[np.float64], den: NDArray[np.float64], zero_division: float) -> NDArray[np.float64]:
    safe = np.where(den == 0, 1.0, den)
    return np.where(den == 0, float(zero_division), num / safe)


def _nanaverage(x: NDArray[np.float64], weights: NDArray[np.int64] | None) -> np.float64:
    """Mean of the non-NaN entries (weighted unless the kept weights sum to 0); NaN if none is left."""
    keep = ~np.isnan(x)
    if not keep.any():
        return np.float64(np.nan)
    if weights is not None and weights[keep].sum() > 0:
        w = weights[keep].astype(np.float64)
        return np.float64((x[keep] * w).sum() / w.sum())
    return np.float64(x[keep].sum() / keep.sum())


def _reduce_prf(counts: Counts, beta: float, average: str | None, zero_division: float
                ) -> tuple[Score, Score, Score, NDArray[np.int64] | None]:
    """Precision, recall, F-beta (and support when ``average is None``) from the selected classes' counts."""
    tp, pred, true = counts
    if average == "micro":
        tp, pred, true = (np.atleast_1d(a.sum()) for a in counts)
    tp_f, pred_f, true_f = (a.astype(np.float64) for a in (tp, pred, true))
    beta2 = float(beta) * float(beta)
    precision = _divide(tp_f, pred_f, zero_division)
    recall = _divide(tp_f, true_f, zero_division)
    # F = TP / (TP + (b^2 FN + FP) / (1 + b^2)): the denominator is never below TP, so F never rounds above 1
    # (the textbook (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP) gives 1 + 1 ulp for FN = FP = 0, b = 0.05).
    fscore = _divide(tp_f, tp_f + (beta2 * (true_f - tp_f) + (pred_f - tp_f)) / (1 + beta2), zero_division)
    if average is None:
        return precision, recall, fscore, true.astype(np.int64)
    weights = true if average == "weighted" else None
    return _nanaverage(precision, weights), _nanaverage(recall, weights), _nanaverage(fscore, weights), None


def _reduce_fbeta(confmat: NDArray[np.int64], beta: float, average: str | None, labels: tuple[int, ...] | None,
                  pos_label: int, zero_division: float) -> tuple[Score, Score, Score, NDArray[np.int64] | None]:
    """Select the classes (``pos_label``, ``labels``, or those present) and reduce their counts."""
    counts = _counts_from_confusion(confmat)
    if average == "binary":
        selected = np.array([pos_label])
    elif labels is None:
        selected = np.flatnonzero(counts.pred + counts.true > 0)
    else:
        selected = np.array(labels, dtype=np.int64)
    return _reduce_prf(Counts(*(a[selected] for a in counts)), beta, average, zero_division)


# ----------------------------------------------------------------------------- public
def confusion_matrix(preds: ArrayLike, target: ArrayLike, num_classes: int, *, ignore_index: int | None = None,
                     validate_args: bool = True) -> NDArray[np.int64]:
    r"""Confusion matrix of single-label (multiclass) predictions.

    Math:
        C[i, j] = #{n : target_n = i and pred_n = j}, over the positions whose target is not ignore_index
        .. math:: C_{ij} = \sum_n [y_n = i]\,[\hat y_n = j]

    Args:
        preds: class indices, integer, shape ``(N, d1, ...)`` like ``target``; or scores, floating, shape
            ``(N, K, d1, ...)`` (the predicted class is the argmax over axis 1).
        target: class indices, integer, shape ``(N, d1, ...)``, in ``[0, K - 1]`` or equal to ``ignore_index``.
        num_classes: K, ``>= 1``.
        ignore_index: positions whose target equals it are left out; ``None`` keeps every position.
        validate_args: check that the indices are in range (data checks).
    Returns:
        int64 array of shape ``(K, K)``; rows are targets, columns are predictions (torch: int64 on the input's device).
    Conventions:
        - If the batch is empty or every position is ignored, the result is all zeros.
        - If scores tie for the maximum, the predicted class is the first of them; a NaN score counts as the
          maximum (the first NaN wins), as in NumPy and torch argmax.
    Raises:
        TypeError: ``target`` is not integer, ``preds`` is neither integer nor floating, an option has the wrong type.
        ValueError: ``num_classes < 1``, shapes do not match, an index is out of range.
    References:
        Scikit-learn ``sklearn.metrics.confusion_matrix`` (same layout: rows are true classes).

    Examples:
        >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3).tolist()
        [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    """
    func = "confusion_matrix"
    C.check_int_at_least(func, "num_classes", num_classes, 1)
    if ignore_index is not None:
        C.check_int(func, "ignore_index", ignore_index)
    C.check_bool(func, "validate_args", validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    return _counts_multiclass(pred, tgt, num_classes, ignore_index)


def precision_recall_fscore(preds: ArrayLike, target: ArrayLike, num_classes: int, *, beta: float = 1.0,
                            average: Average = None, labels: list[int] | tuple[int, ...] | None = None,
                            pos_label: int = 1, zero_division: float = 0.0, ignore_index: int | None = None,
                            validate_args: bool = True) -> tuple[Score, Score, Score, NDArray[np.int64] | None]:
    r"""Precision, recall, F-beta and support of single-label predictions (scikit-learn's numbers).

    Math:
        per class c: P = TP / (TP + FP),  R = TP / (TP + FN),  F = (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP)
        micro: the same on TP, FP, FN summed over the selected classes; macro: mean over the selected classes;
        weighted: mean weighted by support (TP + FN); binary: the class ``pos_label`` alone.
        computed as F = TP / (TP + (b^2 FN + FP) / (1 + b^2)), whose denominator is never below TP (F <= 1 in
        floating point too)
        .. math:: F_\beta = \frac{(1 + \beta^2) TP}{(1 + \beta^2) TP + \beta^2 FN + FP}
                  = \frac{(1 + \beta^2) P R}{\beta^2 P + R}

    Args:
        preds: class indices, integer, shape ``(N, d1, ...)`` like ``target``; or scores, floating, shape
            ``(N, K, d1, ...)`` (the predicted class is the argmax over axis 1).
        target: class indices, integer, shape ``(N, d1, ...)``, in ``[0, K - 1]`` or equal to ``ignore_index``.
        num_classes: K, ``>= 1``.
        beta: weight of recall, finite and ``> 0``; ``beta = 1`` gives F1.
        average: ``None`` (per class), ``"micro"``, ``"macro"``, ``"weighted"`` or ``"binary"`` (needs K = 2).
        labels: a list or tuple of distinct classes in ``[0, K - 1]`` to report and average over, in that order;
            ``None`` means the classes that occur in ``preds`` or ``target``, ascending (scikit-learn's default).
        pos_label: the class reported when ``average="binary"`` (0 or 1); ignored otherwise.
        zero_division: the value of a ratio whose denominator is 0: ``0.0``, ``1.0`` or ``nan``.
        ignore_index: positions whose target equals it are left out of every count.
        validate_args: check that the indices are in range (data checks).
    Returns:
        ``(precision, recall, fscore, support)``. With ``average=None``: float64 arrays of shape ``(L,)`` for the
        L selected classes and int64 support (TP + FN) of shape ``(L,)``; otherwise 0-d float64 scores and
        ``None`` (torch: float32 tensors, float64 if ``preds`` is float64; int64 support; on the input's device).
    Conventions:
        - If TP + FP = 0 (a class never predicted), its precision is ``zero_division``; if TP + FN = 0, its
          recall is ``zero_division``; if TP = FP = FN = 0, its F-score is ``zero_division``.
        - If only one of P and R is a zero division, the F-score is 0 (its denominator is not 0), whatever
          ``zero_division`` is.
        - If ``zero_division`` is nan, nan entries are left out of an average; if all are nan, the average is nan.
        - If ``average="weighted"`` and every class averaged has support 0, the result is the unweighted mean.
        - If ``labels`` is None and no class occurs (empty batch, every position ignored), per-class results
          are empty, ``"macro"`` and ``"weighted"`` are nan and ``"micro"`` and ``"binary"`` are ``zero_division``.
        - If scores tie for the maximum, the predicted class is the first of them; a NaN score counts as the
          maximum (the first NaN wins), as in NumPy and torch argmax.
    Raises:
        TypeError: ``target`` is not integer, ``preds`` is neither integer nor floating, an option has the wrong type.
        ValueError: shapes do not match, an index is out of range, unknown ``average``, ``"binary"`` with
            ``num_classes != 2`` or with ``labels`` or with ``pos_label`` not 0 or 1, bad ``zero_division``,
            ``beta <= 0``, ``labels`` empty, repeated or out of range, ``num_classes < 1``.
    References:
        Van Rijsbergen. "Information Retrieval", 2nd ed., ch. 7. Butterworths, 1979 (the F-measure).
        Scikit-learn ``sklearn.metrics.precision_recall_fscore_support`` (the averages and zero_division).

    Examples:
        >>> p, r, f, s = precision_recall_fscore([0, 1, 1, 2], [0, 1, 2, 2], 3)
        >>> p.tolist(), r.tolist(), s.tolist()
        ([1.0, 0.5, 1.0], [1.0, 1.0, 0.5], [1, 1, 2])
    """
    func = "precision_recall_fscore"
    checked = _check_class_options(func, num_classes, average, beta, labels, pos_label, zero_division,
                                   ignore_index, validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    confmat = _counts_multiclass(pred, tgt, num_classes, ignore_index)
    return _reduce_fbeta(confmat, beta, average, checked, pos_label, zero_division)


def fbeta_score(preds: ArrayLike, target: ArrayLike, num_classes: int, *, beta: float, average: Average = "macro",
                labels: list[int] | tuple[int, ...] | None = None, pos_label: int = 1, zero_division: float = 0.0,
                ignore_index: int | None = None, validate_args: bool = True) -> Score:
    r"""F-beta score of single-label predictions (scikit-learn's ``fbeta_score``).

    Math:
        F = (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP) per class, averaged as in ``precision_recall_fscore``
        .. math:: F_\beta = \frac{(1 + \beta^2) TP}{(1 + \beta^2) TP + \beta^2 FN + FP}

    Args:
        preds: class indices, integer, shape ``(N, d1, ...)`` like ``target``; or scores, floating, shape
            ``(N, K, d1, ...)`` (the predicted class is the argmax over axis 1).
        target: class indices, integer, shape ``(N, d1, ...)``, in ``[0, K - 1]`` or equal to ``ignore_index``.
        num_classes: K, ``>= 1``.
        beta: weight of recall, finite and ``> 0`` (required).
        average: ``None`` (per class), ``"micro"``, ``"macro"``, ``"weighted"`` or ``"binary"`` (needs K = 2).
        labels: the classes to report and average over; ``None`` means those occurring in ``preds`` or ``target``.
        pos_label: the class reported when ``average="binary"`` (0 or 1); ignored otherwise.
        zero_division: the value of a ratio whose denominator is 0: ``0.0``, ``1.0`` or ``nan``.
        ignore_index: positions whose target equals it are left out of every count.
        validate_args: check that the indices are in range (data checks).
    Returns:
        0-d float64, or shape ``(L,)`` with ``average=None`` (torch: float32, float64 if ``preds`` is float64).
    Conventions:
        - If TP = FP = FN = 0 for a class, its F-score is ``zero_division``; otherwise it is a number in [0, 1].
        - If ``zero_division`` is nan, nan entries are left out of an average; if all are nan, the average is nan.
        - If ``labels`` is None and no class occurs, ``"macro"`` and ``"weighted"`` are nan.
    Raises:
        TypeError: ``target`` is not integer, ``preds`` is neither integer nor floating, an option has the wrong type.
        ValueError: as ``precision_recall_fscore``.
    References:
        Van Rijsbergen. "Information Retrieval", 2nd ed., ch. 7. Butterworths, 1979.

    Examples:
        >>> float(fbeta_score([1, 1, 0, 0], [1, 0, 0, 1], 2, beta=2.0, average="binary"))  # 5*1 / (5*1 + 4*1 + 1)
        0.5
    """
    func = "fbeta_score"
    checked = _check_class_options(func, num_classes, average, beta, labels, pos_label, zero_division,
                                   ignore_index, validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    confmat = _counts_multiclass(pred, tgt, num_classes, ignore_index)
    return _reduce_fbeta(confmat, beta, average, checked, pos_label, zero_division)[2]


def f1_score(preds: ArrayLike, target: ArrayLike, num_classes: int, *, average: Average = "macro",
             labels: list[int] | tuple[int, ...] | None = None, pos_label: int = 1, zero_division: float = 0.0,
             ignore_index: int | None = None, validate_args: bool = True) -> Score:
    r"""F1 score of single-label predictions (scikit-learn's ``f1_score``): ``fbeta_score`` with ``beta = 1``.

    Math:
        F1 = 2 P R / (P + R) = 2 TP / (2 TP + FP + FN) per class, averaged as in ``precision_recall_fscore``
        .. math:: F_1 = \frac{2\,\mathrm{TP}}{2\,\mathrm{TP} + \mathrm{FP} + \mathrm{FN}}

    Args:
        preds: class indices, integer, shape ``(N, d1, ...)`` like ``target``; or scores, floating, shape
            ``(N, K, d1, ...)`` (the predicted class is the argmax over axis 1).
        target: class indices, integer, shape ``(N, d1, ...)``, in ``[0, K - 1]`` or equal to ``ignore_index``.
        num_classes: K, ``>= 1``.
        average: ``None`` (per class), ``"micro"``, ``"macro"``, ``"weighted"`` or ``"binary"`` (needs K = 2).
        labels: the classes to report and average over; ``None`` means those occurring in ``preds`` or ``target``.
        pos_label: the class reported when ``average="binary"`` (0 or 1); ignored otherwise.
        zero_division: the value of a ratio whose denominator is 0: ``0.0``, ``1.0`` or ``nan``.
        ignore_index: positions whose target equals it are left out of every count.
        validate_args: check that the indices are in range (data checks).
    Returns:
        0-d float64, or shape ``(L,)`` with ``average=None`` (torch: float32, float64 if ``preds`` is float64).
    Conventions:
        - If TP = FP = FN = 0 for a class, its F1 is ``zero_division``; otherwise it is a number in [0, 1].
        - If ``zero_division`` is nan, nan entries are left out of an average; if all are nan, the average is nan.
        - If ``labels`` is None, every class occurs and no position is ignored, ``average="micro"`` equals accuracy.
    Raises:
        TypeError: ``target`` is not integer, ``preds`` is neither integer nor floating, an option has the wrong type.
        ValueError: as ``precision_recall_fscore``.
    References:
        Van Rijsbergen. "Information Retrieval", 2nd ed., ch. 7. Butterworths, 1979.

    Examples:
        >>> float(f1_score([0, 1, 1, 2], [0, 1, 2, 2], 3))  # mean of 1, 2/3, 2/3
        0.7777777777777777
    """
    func = "f1_score"
    checked = _check_class_options(func, num_classes, average, 1.0, labels, pos_label, zero_division,
                                   ignore_index, validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    confmat = _counts_multiclass(pred, tgt, num_classes, ignore_index)
    return _reduce_fbeta(confmat, 1.0, average, checked, pos_label, zero_division)[2]


def accuracy(preds: ArrayLike, target: ArrayLike, *, ignore_index: int | None = None,
             validate_args: bool = True) -> np.float64:
    r"""Fraction of positions whose predicted class equals the target (scikit-learn's ``accuracy_score``).

    Math:
        accuracy = #{n : pred_n = target_n} / #{n}, over the positions whose target is not ignore_index
        .. math:: \mathrm{acc} = \frac{1}{N} \sum_n [\hat y_n = y_n]

    Args:
        preds: class indices, integer, shape ``(N, d1, ...)`` like ``target``; or scores, floating, shape
            ``(N, C, d1, ...)`` (the predicted class is the argmax over axis 1).
        target: class indices, integer, shape ``(N, d1, ...)``, ``>= 0`` or equal to ``ignore_index``.
        ignore_index: positions whose target equals it are left out.
        validate_args: check that the indices are ``>= 0`` (data checks).
    Returns:
        0-d float64 (torch: float32, float64 if ``preds`` is float64).
    Conventions:
        - If the batch is empty or every position is ignored, the result is nan (0/0).
        - If scores tie for the maximum, the predicted class is the first of them; a NaN score counts as the
          maximum (the first NaN wins), as in NumPy and torch argmax.
    Raises:
        TypeError: ``target`` is not integer, ``preds`` is neither integer nor floating, an option has the wrong type.
        ValueError: shapes do not match, a negative index that is not ``ignore_index``.
    References:
        Scikit-learn ``sklearn.metrics.accuracy_score``.

    Examples:
        >>> float(accuracy([0, 1, 1, 2], [0, 1, 2, 2]))
        0.75
    """
    func = "accuracy"
    if ignore_index is not None:
        C.check_int(func, "ignore_index", ignore_index)
    C.check_bool(func, "validate_args", validate_args)
    pred, tgt = _predicted_classes(func, preds, target, None, ignore_index, validate_args)
    keep = np.ones(tgt.shape, dtype=bool) if ignore_index is None else tgt != ignore_index
    correct = int(((pred == tgt) & keep).sum())
    total = int(keep.sum())
    return np.float64(correct / total) if total else np.float64(np.nan)


def multilabel_f1_score(preds: ArrayLike, target: ArrayLike, *, average: MultilabelAverage = "macro",
                        threshold: float = 0.5, zero_division: float = 0.0, validate_args: bool = True) -> Score:
    r"""F1 score of multilabel predictions (scikit-learn's ``f1_score`` on indicator matrices).

    Math:
        per label k: F1 = 2 TP / (2 TP + FP + FN) over the N samples; micro: counts summed over labels;
        macro: mean over the K labels; weighted: mean weighted by support; samples: F1 of each sample over
        the labels, averaged over samples.
        .. math:: F_1 = \frac{2\,\mathrm{TP}}{2\,\mathrm{TP} + \mathrm{FP} + \mathrm{FN}}

    Args:
        preds: 0/1 indicators, integer or bool, shape ``(N, K)``; or probabilities, floating, shape ``(N, K)``,
            in [0, 1], where a label is predicted if its probability is ``> threshold``.
        target: 0/1 indicators, integer or bool, shape ``(N, K)``.
        average: ``None`` (per label), ``"micro"``, ``"macro"``, ``"weighted"`` or ``"samples"``.
        threshold: decision threshold in [0, 1] for probability ``preds``; ignored for indicators.
        zero_division: the value of F1 where TP = FP = FN = 0: ``0.0``, ``1.0`` or ``nan``.
        validate_args: check that indicators are 0/1 and probabilities in [0, 1] (data checks).
    Returns:
        0-d float64, or shape ``(K,)`` with ``average=None`` (torch: float32, float64 if ``preds`` is float64).
    Conventions:
        - Every label counts in the averages, also one absent from ``preds`` and ``target`` (F1 = ``zero_division``).
        - If a probability equals ``threshold``, the label is not predicted.
        - If a sample has no true and no predicted label, its ``"samples"`` F1 is ``zero_division``.
        - If ``zero_division`` is nan, nan entries are left out of an average; if all are nan, the average is nan.
        - If N = 0, ``"samples"`` is nan and the per-label F1 is ``zero_division``.
    Raises:
        TypeError: ``target`` is not integer or bool, ``preds`` is complex, an option has the wrong type.
        ValueError: ``preds`` and ``target`` shapes differ or are not 2-D, unknown ``average``, ``threshold``
            outside [0, 1], bad ``zero_division``, indicators not 0/1, probabilities outside [0, 1].
    References:
        Tsoumakas, Katakis, Vlahavas. "Mining Multi-label Data". Data Mining and Knowledge Discovery Handbook, 2010.

    Examples:
        >>> float(multilabel_f1_score([[1, 0], [1, 1]], [[1, 0], [0, 1]]))  # mean of 2/3 and 1
        0.8333333333333333
    """
    func = "multilabel_f1_score"
    C.check_in(func, "average", average, MULTILABEL_AVERAGES)
    C.check_unit_interval(func, "threshold", threshold)
    C.check_zero_division(func, zero_division)
    C.check_bool(func, "validate_args", validate_args)
    t = C.as_indicator(func, "target", target)
    p = C.as_array(func, "preds", preds)
    probs = p.dtype.kind == "f"
    if not probs:
        p = C.as_indicator(func, "preds", p)
    C.check_ndim(func, "target", t.shape, 2, "(N, K)")
    C.check_same_shape(func, "preds", p.shape, "target", t.shape)
    if validate_args:
        C.check_values_in(func, "target", t, 0, 1, "values in {0, 1}")
        C.check_values_in(func, "preds", p, 0, 1, "values in [0, 1]" if probs else "values in {0, 1}")
    indicators = (p > threshold).astype(np.int64) if probs else p.astype(np.int64)
    counts = _counts_multilabel(indicators, t, samplewise=average == "samples")
    # "samples": the per-sample scores are averaged like per-class ones under "macro" (NaN left out).
    return _reduce_prf(counts, 1.0, "macro" if average == "samples" else average, zero_division)[2]
