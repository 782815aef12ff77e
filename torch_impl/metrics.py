r"""Classification metrics in PyTorch: confusion matrix, precision / recall / F-beta, accuracy, multilabel F1.

The numbers are scikit-learn's (``precision_recall_fscore_support``, ``f1_score``, ``fbeta_score``,
``accuracy_score``) with the argument order ``(preds, target)`` of the losses, and equal to
``reference.metrics``.  Every metric is a count step (``_counts_*``: int64 confusion counts on the
input's device, made with one ``scatter_add_``, no Python loop over samples or classes) followed by a
reduce step (``_reduce_*``) that turns counts into scores.  The streaming :class:`F1Score` adds the
counts of each batch and reduces once; it is torch-only and so is not in ``__all__`` (which mirrors
``reference.metrics.__all__``): import it as ``torch_impl.metrics.F1Score``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import Tensor

from . import _checks as C

__all__ = ["confusion_matrix", "precision_recall_fscore", "f1_score", "fbeta_score", "accuracy",
           "multilabel_f1_score"]

Average = Literal["micro", "macro", "weighted", "binary"] | None
MultilabelAverage = Literal["micro", "macro", "weighted", "samples"] | None
AVERAGES = (None, "micro", "macro", "weighted", "binary")
MULTILABEL_AVERAGES = (None, "micro", "macro", "weighted", "samples")


class Counts(NamedTuple):
    """Per-class (or per-sample) counts: true positives, predicted positives (TP + FP), true positives + FN."""

    tp: Tensor
    pred: Tensor
    true: Tensor


def _score_dtype(preds: Tensor) -> torch.dtype:
    """Metrics count in int64 and return float32, or float64 when the floating input is float64."""
    return torch.float64 if preds.dtype == torch.float64 else torch.float32


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


def _predicted_classes(func: str, preds: Tensor, target: Tensor, num_classes: int | None,
                       ignore_index: int | None, validate_args: bool) -> tuple[Tensor, Tensor]:
    """(predicted class, target class), both int64 with the target's shape; scores are argmaxed over axis 1."""
    t = C.as_index(func, "target", target)
    p = C.as_tensor(func, "preds", preds)
    scores = p.is_floating_point()
    if not scores:
        p = C.as_index(func, "preds", p)
    C.check_same_device(func, "target", t, "preds", p)
    C.check_ndim_at_least(func, "target", t.shape, 1, "(N, ...)")
    if scores:
        C.check_scores_shape(func, tuple(p.shape), tuple(t.shape), num_classes)
        p = p.argmax(dim=1)
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
    return p.long(), t.long()


# ----------------------------------------------------------------------------- counts
def _counts_multiclass(pred: Tensor, target: Tensor, num_classes: int, ignore_index: int | None) -> Tensor:
    """The ``(K, K)`` int64 confusion matrix ``C[i, j]`` = #(target i, prediction j), ignored positions left out.

    A bincount of ``target * K + pred`` written as ``scatter_add_`` into K*K + 1 bins, the last one
    collecting the ignored positions: no boolean indexing and no read-back of a maximum (which
    ``torch.bincount`` does to size its output), so counting never waits for the GPU.
    """
    k2 = num_classes * num_classes
    tgt = target.reshape(-1)
    idx = tgt * num_classes + pred.reshape(-1)
    if ignore_index is not None:
        idx = torch.where(tgt == ignore_index, torch.full_like(idx, k2), idx)
    bins = torch.zeros(k2 + 1, dtype=torch.int64, device=idx.device)
    bins.scatter_add_(0, idx, torch.ones_like(idx))
    return bins[:k2].reshape(num_classes, num_classes)


def _counts_from_confusion(confmat: Tensor) -> Counts:
    return Counts(torch.diagonal(confmat), confmat.sum(dim=0), confmat.sum(dim=1))


def _counts_multilabel(pred: Tensor, target: Tensor, samplewise: bool) -> Counts:
    """Counts per label (axis 0 summed), or per sample (axis 1 summed) when ``samplewise``."""
    dim = 1 if samplewise else 0
    return Counts((pred * target).sum(dim=dim), pred.sum(dim=dim), target.sum(dim=dim))


# ----------------------------------------------------------------------------- reduce
def _divide(num: Tensor, den: Tensor, zero_division: float) -> Tensor:
    safe = torch.where(den == 0, torch.ones_like(den), den)
    return torch.where(den == 0, torch.full_like(num, float(zero_division)), num / safe)


def _nanaverage(x: Tensor, weights: Tensor | None, include: Tensor | None) -> Tensor:
    """Mean of the non-NaN entries where ``include`` (weighted unless their weights sum to 0); NaN if none.

    Masked sums instead of boolean indexing, so that nothing is read back from the device.
    """
    keep = ~torch.isnan(x) if include is None else include & ~torch.isnan(x)
    kept = torch.where(keep, x, torch.zeros_like(x))
    mean = kept.sum() / keep.sum()  # 0/0 = NaN when nothing is kept
    if weights is None:
        return mean
    w = torch.where(keep, weights, torch.zeros_like(weights)).to(x.dtype)
    total = w.sum()
    return torch.where(total > 0, (kept * w).sum() / total, mean)


def _reduce_prf(counts: Counts, beta: float, average: str | None, zero_division: float, dtype: torch.dtype,
                include: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """Precision, recall, F-beta (and support when ``average is None``) from the counts.

    ``include`` marks the classes that take part (``labels=None``: those that occur); the others are
    left out of the averages and, with ``average=None``, of the result.
    """
    tp, pred, true = counts
    if average == "micro":  # classes left out have zero counts, so summing all of them is the same
        tp, pred, true = (a.sum().reshape(1) for a in counts)
        include = None
    tp_f, pred_f, true_f = (a.to(dtype) for a in (tp, pred, true))
    beta2 = float(beta) * float(beta)
    precision = _divide(tp_f, pred_f, zero_division)
    recall = _divide(tp_f, true_f, zero_division)
    # F = TP / (TP + (b^2 FN + FP) / (1 + b^2)): the denominator is never below TP, so F never rounds above 1
    # (the textbook (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP) gives 1 + 1 ulp for FN = FP = 0, b = 0.05).
    fscore = _divide(tp_f, tp_f + (beta2 * (true_f - tp_f) + (pred_f - tp_f)) / (1 + beta2), zero_division)
    if average is None:
        if include is None:
            return precision, recall, fscore, true
        return precision[include], recall[include], fscore[include], true[include]  # data-dependent shape
    weights = true if average == "weighted" else None
    return (_nanaverage(precision, weights, include), _nanaverage(recall, weights, include),
            _nanaverage(fscore, weights, include), None)


def _reduce_fbeta(confmat: Tensor, beta: float, average: str | None, labels: tuple[int, ...] | None,
                  pos_label: int, zero_division: float, dtype: torch.dtype
                  ) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """Select the classes (``pos_label``, ``labels``, or those present) and reduce their counts."""
    counts = _counts_from_confusion(confmat)
    if average == "binary":
        return _reduce_prf(Counts(*(a[pos_label:pos_label + 1] for a in counts)), beta, average, zero_division,
                           dtype)
    if labels is None:
        return _reduce_prf(counts, beta, average, zero_division, dtype, include=counts.pred + counts.true > 0)
    index = torch.tensor(labels, dtype=torch.int64, device=confmat.device)
    return _reduce_prf(Counts(*(a.index_select(0, index) for a in counts)), beta, average, zero_division, dtype)


# ----------------------------------------------------------------------------- public
def confusion_matrix(preds: Tensor, target: Tensor, num_classes: int, *, ignore_index: int | None = None,
                     validate_args: bool = True) -> Tensor:
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
        >>> confusion_matrix(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]), 3).tolist()
        [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    """
    func = "confusion_matrix"
    C.check_int_at_least(func, "num_classes", num_classes, 1)
    if ignore_index is not None:
        C.check_int(func, "ignore_index", ignore_index)
    C.check_bool(func, "validate_args", validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    return _counts_multiclass(pred, tgt, num_classes, ignore_index)


def precision_recall_fscore(preds: Tensor, target: Tensor, num_classes: int, *, beta: float = 1.0,
                            average: Average = None, labels: list[int] | tuple[int, ...] | None = None,
                            pos_label: int = 1, zero_division: float = 0.0, ignore_index: int | None = None,
                            validate_args: bool = True) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
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
        >>> p, r, f, s = precision_recall_fscore(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]), 3)
        >>> p.tolist(), r.tolist(), s.tolist()
        ([1.0, 0.5, 1.0], [1.0, 1.0, 0.5], [1, 1, 2])
    """
    func = "precision_recall_fscore"
    checked = _check_class_options(func, num_classes, average, beta, labels, pos_label, zero_division,
                                   ignore_index, validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    confmat = _counts_multiclass(pred, tgt, num_classes, ignore_index)
    return _reduce_fbeta(confmat, beta, average, checked, pos_label, zero_division, _score_dtype(preds))


def fbeta_score(preds: Tensor, target: Tensor, num_classes: int, *, beta: float, average: Average = "macro",
                labels: list[int] | tuple[int, ...] | None = None, pos_label: int = 1, zero_division: float = 0.0,
                ignore_index: int | None = None, validate_args: bool = True) -> Tensor:
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
        >>> preds, target = torch.tensor([1, 1, 0, 0]), torch.tensor([1, 0, 0, 1])
        >>> float(fbeta_score(preds, target, 2, beta=2.0, average="binary"))  # 5*1 / (5*1 + 4*1 + 1)
        0.5
    """
    func = "fbeta_score"
    checked = _check_class_options(func, num_classes, average, beta, labels, pos_label, zero_division,
                                   ignore_index, validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    confmat = _counts_multiclass(pred, tgt, num_classes, ignore_index)
    return _reduce_fbeta(confmat, beta, average, checked, pos_label, zero_division, _score_dtype(preds))[2]


def f1_score(preds: Tensor, target: Tensor, num_classes: int, *, average: Average = "macro",
             labels: list[int] | tuple[int, ...] | None = None, pos_label: int = 1, zero_division: float = 0.0,
             ignore_index: int | None = None, validate_args: bool = True) -> Tensor:
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
        >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0]])
        >>> round(float(f1_score(logits, torch.tensor([0, 1, 2, 2]), 3)), 6)  # argmax [0, 1, 1, 2]; mean of 1, 2/3, 2/3
        0.777778
    """
    func = "f1_score"
    checked = _check_class_options(func, num_classes, average, 1.0, labels, pos_label, zero_division,
                                   ignore_index, validate_args)
    pred, tgt = _predicted_classes(func, preds, target, num_classes, ignore_index, validate_args)
    confmat = _counts_multiclass(pred, tgt, num_classes, ignore_index)
    return _reduce_fbeta(confmat, 1.0, average, checked, pos_label, zero_division, _score_dtype(preds))[2]


def accuracy(preds: Tensor, target: Tensor, *, ignore_index: int | None = None, validate_args: bool = True) -> Tensor:
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
        >>> float(accuracy(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2])))
        0.75
    """
    func = "accuracy"
    if ignore_index is not None:
        C.check_int(func, "ignore_index", ignore_index)
    C.check_bool(func, "validate_args", validate_args)
    pred, tgt = _predicted_classes(func, preds, target, None, ignore_index, validate_args)
    keep = torch.ones_like(tgt, dtype=torch.bool) if ignore_index is None else tgt != ignore_index
    correct = ((pred == tgt) & keep).sum()
    dtype = _score_dtype(preds)
    return correct.to(dtype) / keep.sum().to(dtype)  # 0/0 = NaN for an empty batch


def multilabel_f1_score(preds: Tensor, target: Tensor, *, average: MultilabelAverage = "macro",
                        threshold: float = 0.5, zero_division: float = 0.0, validate_args: bool = True) -> Tensor:
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
        >>> probs = torch.tensor([[0.9, 0.2], [0.7, 0.6]])
        >>> round(float(multilabel_f1_score(probs, torch.tensor([[1, 0], [0, 1]]))), 6)  # mean of 2/3 and 1
        0.833333
    """
    func = "multilabel_f1_score"
    C.check_in(func, "average", average, MULTILABEL_AVERAGES)
    C.check_unit_interval(func, "threshold", threshold)
    C.check_zero_division(func, zero_division)
    C.check_bool(func, "validate_args", validate_args)
    t = C.as_indicator(func, "target", target)
    p = C.as_tensor(func, "preds", preds)
    probs = p.is_floating_point()
    if not probs:
        p = C.as_indicator(func, "preds", p)
    C.check_same_device(func, "target", t, "preds", p)
    C.check_ndim(func, "target", t.shape, 2, "(N, K)")
    C.check_same_shape(func, "preds", p.shape, "target", t.shape)
    if validate_args:
        C.check_values_in(func, "target", t, 0, 1, "values in {0, 1}")
        C.check_values_in(func, "preds", p, 0, 1, "values in [0, 1]" if probs else "values in {0, 1}")
    # compared in float64, as the reference does, so that rounding `threshold` to 16 bits cannot flip a label
    indicators = (p.to(torch.float64) > threshold).long() if probs else p.long()
    counts = _counts_multilabel(indicators, t.long(), samplewise=average == "samples")
    # "samples": the per-sample scores are averaged like per-class ones under "macro" (NaN left out).
    return _reduce_prf(counts, 1.0, "macro" if average == "samples" else average, zero_division,
                       _score_dtype(preds))[2]


# ----------------------------------------------------------------------------- streaming
class F1Score(torch.nn.Module):
    r"""Epoch-level F-beta score: confusion counts added over batches (and processes), reduced once.

    ``update(preds, target)`` adds the batch's ``(K, K)`` int64 confusion matrix to the state, kept on the
    inputs' device (a registered buffer, so ``.to()``, ``state_dict`` and pickling carry it); ``compute()``
    returns exactly what ``fbeta_score(all_preds, all_target, num_classes, beta=beta, ...)`` returns on the
    concatenation of every batch seen since the last ``reset()``; ``reset()`` zeroes the counts.

    Why not average per-batch F1: F1 is a ratio of sums, 2 TP / (2 TP + FP + FN), and the mean of
    per-batch ratios is not the ratio of the summed counts. A batch holding few samples of a class gives
    that class an extreme F1 (0, 1, or ``zero_division`` when the class is absent) that weighs as much as
    a large batch; macro averaging over the classes present in each batch changes the set of classes from
    batch to batch; and the result depends on batch size and order. With 5 samples where every prediction
    is right (F1 = 1) and then 1 sample of class 1 predicted as 0 (F1 = 0, classes 0 and 1 both scored 0),
    the mean of the batch scores is 0.5 while the macro F1 of the 6 samples is (8/9 + 2/3) / 2 = 7/9.
    Counting first and dividing once is exact for any batching (Forman and Scholz 2010 show the same bias
    for F1 averaged over cross-validation folds).

    Distributed: when ``torch.distributed`` is initialised, ``compute()`` sums a copy of the counts over
    the default process group with ``all_reduce`` before reducing, so every rank gets the metric over all
    ranks' data. ``compute()`` is then a collective: call it on every rank, with the state on a device the
    backend supports (gloo: CPU; NCCL: CUDA; a rank without any ``update`` keeps its counts on the device
    given to ``.to()``, CPU by default).

    Args:
        num_classes: K, ``>= 1``.
        average: ``None`` (per class), ``"micro"``, ``"macro"``, ``"weighted"`` or ``"binary"`` (K = 2; the
            positive class is 1, ``fbeta_score``'s default ``pos_label``).
        beta: weight of recall, finite and ``> 0``; ``beta = 1`` gives F1.
        labels: the classes to report and average over; ``None`` means those occurring in the data seen.
        zero_division: the value of a ratio whose denominator is 0: ``0.0``, ``1.0`` or ``nan``.
        ignore_index: positions whose target equals it are left out of every count.
        validate_args: check indices in ``update`` (data checks; skip them in hot loops).
    Returns:
        ``compute()``: a 0-d tensor, or shape ``(L,)`` with ``average=None``; float32, or float64 if any
        ``preds`` seen was float64; on the state's device.
    Conventions:
        - If nothing was seen (or every position was ignored) and ``labels`` is None, ``"macro"`` and
          ``"weighted"`` are nan, as ``fbeta_score`` on empty input.
    Raises:
        TypeError, ValueError: as ``fbeta_score``, at construction (options) and in ``update`` (inputs).
    References:
        Forman, Scholz. "Apples-to-Apples in Cross-Validation Studies: Pitfalls in Classifier Performance
        Measurement". ACM SIGKDD Explorations 12(1), 2010.

    Examples:
        >>> metric = F1Score(2)
        >>> metric.update(torch.tensor([0, 0, 0, 0, 1]), torch.tensor([0, 0, 0, 0, 1]))  # batch F1 = 1
        >>> metric.update(torch.tensor([0]), torch.tensor([1]))  # batch F1 = 0
        >>> round(float(metric.compute()), 6)  # (8/9 + 2/3) / 2 = 7/9, not (1 + 0) / 2
        0.777778
    """

    confmat: Tensor

    def __init__(self, num_classes: int, *, average: Average = "macro", beta: float = 1.0,
                 labels: list[int] | tuple[int, ...] | None = None, zero_division: float = 0.0,
                 ignore_index: int | None = None, validate_args: bool = True) -> None:
        super().__init__()
        self._labels = _check_class_options("F1Score", num_classes, average, beta, labels, 1, zero_division,
                                            ignore_index, validate_args)
        self.num_classes, self.average, self.beta = num_classes, average, beta
        self.labels, self.zero_division, self.ignore_index = labels, zero_division, ignore_index
        self.validate_args = validate_args
        self.register_buffer("confmat", torch.zeros(num_classes, num_classes, dtype=torch.int64))
        self._float64 = False

    def update(self, preds: Tensor, target: Tensor) -> None:
        """Add the confusion counts of one batch (same inputs as ``fbeta_score``)."""
        pred, tgt = _predicted_classes("F1Score.update", preds, target, self.num_classes, self.ignore_index,
                                       self.validate_args)
        counts = _counts_multiclass(pred, tgt, self.num_classes, self.ignore_index)
        if self.confmat.device != counts.device:
            self.confmat = self.confmat.to(counts.device)
        self.confmat += counts
        self._float64 = self._float64 or preds.dtype == torch.float64

    def compute(self) -> Tensor:
        """The F-beta score of every batch seen since the last ``reset()`` (on every process, if distributed)."""
        confmat = self.confmat
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            confmat = confmat.clone()
            torch.distributed.all_reduce(confmat, op=torch.distributed.ReduceOp.SUM)
        dtype = torch.float64 if self._float64 else torch.float32
        return _reduce_fbeta(confmat, self.beta, self.average, self._labels, 1, self.zero_division, dtype)[2]

    def reset(self) -> None:
        """Forget every batch seen: zero the counts (they stay on their device)."""
        self.confmat.zero_()
        self._float64 = False

    def extra_repr(self) -> str:
        return (f"num_classes={self.num_classes}, average={self.average!r}, beta={self.beta!r}, "
                f"labels={self.labels!r}, zero_division={self.zero_division!r}, ignore_index={self.ignore_index!r}")
