r"""Classification losses in float64: softmax cross-entropy, focal, sigmoid focal and soft-F1.

Layout is PyTorch's: logits ``(N, C, d1, ...)`` with the class axis at 1; targets are class indices
``(N, d1, ...)`` (integer) or probabilities of the logits' shape (floating).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks as C
from ._math import Result, log1mexp, log_sigmoid, log_softmax, reduce, sigmoid, softmax
from .smoothing import one_hot, smoothing_weight

__all__ = ["softmax_cross_entropy", "focal_loss", "sigmoid_focal_loss", "soft_f1_loss"]

Reduction = Literal["mean", "sum", "none"]
Float = NDArray[np.float64]


class SoftmaxProblem(NamedTuple):
    """A validated softmax-loss call: logits, per-class target weights ``v`` and the mean's denominator.

    The loss at position i is ``sum_c v[i, c] * f(log p[i, c])`` with ``f(u) = -(1 - e^u)^gamma * u``;
    ``v`` folds class weights, label smoothing and ignored positions (all-zero rows) together.
    """

    logits: Float  # (N, C, d1, ...)
    v: Float  # (N, C, d1, ...)
    denominator: float  # what "mean" divides the summed loss by


def _check_softmax_options(func: str, ignore_index: Any, label_smoothing: Any, smoothing_mode: Any,
                           reduction: Any, validate_args: Any) -> None:
    C.check_int(func, "ignore_index", ignore_index)
    C.check_unit_interval(func, "label_smoothing", label_smoothing)
    C.check_in(func, "smoothing_mode", smoothing_mode, C.SMOOTHING_MODES)
    C.check_reduction(func, reduction)
    C.check_bool(func, "validate_args", validate_args)

def _check_sigmoid_focal_options(func: str, gamma: Any, alpha: Any, reduction: Any, validate_args: Any) -> None:
    C.check_nonnegative(func, "gamma", gamma)
    if alpha is not None:
        C.check_unit_interval(func, "alpha", alpha)
    C.check_reduction(func, reduction)
    C.check_bool(func, "validate_args", validate_args)


def _check_soft_f1_options(func: str, beta: Any, average: Any, multilabel: Any, ignore_index: Any, eps: Any,
                           validate_args: Any) -> None:
    C.check_positive(func, "beta", beta)
    C.check_in(func, "average", average, ("macro", "micro"))
    C.check_bool(func, "multilabel", multilabel)
    C.check_int(func, "ignore_index", ignore_index)
    C.check_nonnegative(func, "eps", eps)
    C.check_bool(func, "validate_args", validate_args)


def _logits(func: str, logits: ArrayLike) -> Float:
    x = C.as_float(func, "logits", logits)
    C.check_ndim_at_least(func, "logits", x.shape, 2, "(N, C, d1, ...)")
    return x


def _weight(func: str, weight: ArrayLike | None, num_classes: int, validate_args: bool) -> Float:
    if weight is None:
        return np.ones(num_classes)
    w = C.as_float(func, "weight", weight)
    C.check_shape(func, "weight", w.shape, (num_classes,), "(one weight per class)")
    if validate_args:
        C.check_values_in(func, "weight", w, 0.0, np.inf, "non-negative values")
    return w


def _classes_first(w: Float, ndim: int) -> Float:
    """A per-class vector shaped to broadcast against ``(N, C, d1, ...)``."""
    return w.reshape((1, -1) + (1,) * (ndim - 2))


def softmax_problem(func: str, logits: ArrayLike, target: ArrayLike, weight: ArrayLike | None,
                    ignore_index: int, label_smoothing: float, smoothing_mode: str,
                    validate_args: bool) -> SoftmaxProblem:
    """Validate a softmax-loss call and fold weights, smoothing and ignored positions into ``v``.

    Class indices t (PyTorch's rule, including the weighted mean):
        v[i, c] = w_c * ((1 - e) * [c == t_i] + e / C),  0 at ignored i;  denominator = sum_i w_{t_i}
    Probabilities y:
        v[i, c] = w_c * ((1 - e) * y[i, c] + e / C);  denominator = number of positions N*d1*...
    where e is ``label_smoothing`` (``"uniform"``) or ``label_smoothing * C / (C - 1)`` (``"off_target"``).
    """
    x = _logits(func, logits)
    num_classes = x.shape[1]
    given = C.as_array(func, "target", target)
    w = _weight(func, weight, num_classes, validate_args)
    wc = _classes_first(w, x.ndim)
    e = smoothing_weight(label_smoothing, num_classes, smoothing_mode) if num_classes > 1 else 0.0
    if given.dtype.kind in "iu":
        t = C.as_index(func, "target", given)
        C.check_shape(func, "target", t.shape, x.shape[:1] + x.shape[2:], f"to match `logits` {x.shape}")
        if validate_args:
            C.check_class_indices(func, "target", t, num_classes, ignore_index)
        kept = t != ignore_index
        safe_t = np.where(kept, t, 0)
        v = wc * ((1.0 - e) * one_hot(safe_t, num_classes) + e / num_classes) * np.expand_dims(kept, 1)
        return SoftmaxProblem(x, v, float(np.sum(w[safe_t] * kept)))
    if given.dtype.kind != "f":
        raise TypeError(f"{func}: `target` must have an integer or floating dtype; got {C.dtype_name(given.dtype)}.")
    y = C.as_float(func, "target", given)
    C.check_same_shape(func, "target", y.shape, "logits", x.shape)
    if validate_args:
        C.check_simplex(func, "target", y, 1, "the class axis (1)", C.simplex_rtol(C.dtype_name(given.dtype)))
    v = wc * ((1.0 - e) * y + e / num_classes)
    return SoftmaxProblem(x, v, float(y.size // num_classes))


def modulated_log_prob(log_p: Float, gamma: float) -> Float:
    """f(u) = -(1 - e^u)^gamma * u for u = log p: the focal term, ``-log p`` when ``gamma == 0``."""
    if gamma == 0:
        return -log_p
    with np.errstate(divide="ignore"):
        return -np.exp(gamma * log1mexp(log_p)) * log_p


def softmax_loss_from_problem(problem: SoftmaxProblem, gamma: float, reduction: str) -> Result:
    """Per-position losses sum_c v f(log p), reduced; "mean" divides by the problem's denominator."""
    log_p = log_softmax(problem.logits, 1)
    with np.errstate(invalid="ignore"):
        terms = np.where(problem.v == 0, 0.0, problem.v * modulated_log_prob(log_p, gamma))
    loss = terms.sum(axis=1)
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.float64(loss.sum() / problem.denominator) if problem.denominator else np.float64(np.nan)
    return reduce(loss, reduction)


def softmax_cross_entropy(logits: ArrayLike, target: ArrayLike, *, weight: ArrayLike | None = None,
                          ignore_index: int = -100, label_smoothing: float = 0.0,
                          smoothing_mode: str = "uniform", reduction: Reduction = "mean",
                          validate_args: bool = True) -> Result:
    r"""Softmax cross-entropy, with the semantics of ``torch.nn.functional.cross_entropy``.

    Math:
        log p = log_softmax(x) over the class axis; e = label smoothing (alpha*K/(K-1) for "off_target").
        class indices:  l_i = -(1 - e) * w_{t_i} * log p_{i,t_i} - (e / C) * sum_c w_c log p_{i,c}
        probabilities:  l_i = -sum_c w_c * ((1 - e) * y_{i,c} + e / C) * log p_{i,c}
        mean = sum_i l_i / sum_i w_{t_i} (non-ignored i) for indices; sum_i l_i / (N*d1*...) for probabilities.
        .. math:: \ell_i = -\sum_c w_c\, y'_{i,c} \log \operatorname{softmax}(x_i)_c

    Args:
        logits: floating, shape ``(N, C, d1, ...)``.
        target: class indices, integer, shape ``(N, d1, ...)``; or probabilities, floating, shape of ``logits``.
        weight: per-class weights, floating, shape ``(C,)``, non-negative; ``None`` for all ones.
        ignore_index: index-target value whose positions contribute 0 and are left out of the mean.
        label_smoothing: smoothing mass in [0, 1].
        smoothing_mode: ``"uniform"`` (PyTorch's) or ``"off_target"`` (see :func:`smooth_labels`).
        reduction: ``"none"`` gives shape ``(N, d1, ...)``; ``"mean"`` and ``"sum"`` give shape ``()``.
        validate_args: check index range, weight sign and that probability targets sum to 1.
    Returns:
        float64 (``numpy.float64`` for ``"mean"``/``"sum"``).
    Conventions:
        - If a position is ignored, its ``"none"`` entry is 0 and it is left out of the mean.
        - If every position is ignored (or the batch is empty) and ``reduction="mean"``, the result is NaN.
        - If ``y_c`` is 0, its term is 0 even where ``log p_c = -inf``.
    Raises:
        TypeError: ``logits`` or ``weight`` not floating; ``target`` neither integer nor floating.
        ValueError: shapes disagree, ``label_smoothing`` outside [0, 1], unknown ``smoothing_mode`` or
            ``reduction``, index out of range, negative weight, probability target not summing to 1.
    References:
        Szegedy et al. "Rethinking the Inception Architecture for Computer Vision". CVPR 2016 (smoothing).

    Examples:
        >>> float(softmax_cross_entropy([[0.0, 0.0]], [1]))  # = log 2
        0.6931471805599453
    """
    func = "softmax_cross_entropy"
    _check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
    problem = softmax_problem(func, logits, target, weight, ignore_index, label_smoothing, smoothing_mode,
                              validate_args)
    return softmax_loss_from_problem(problem, 0.0, reduction)


def focal_loss(logits: ArrayLike, target: ArrayLike, *, gamma: float = 2.0, weight: ArrayLike | None = None,
               ignore_index: int = -100, label_smoothing: float = 0.0, smoothing_mode: str = "uniform",
               reduction: Reduction = "mean", validate_args: bool = True) -> Result:
    r"""Multiclass softmax focal loss (Lin et al. 2017).

    Math:
        Every -log p_c term of :func:`softmax_cross_entropy` is multiplied by (1 - p_c)^gamma:
        class index t, no smoothing:  l = -w_t * (1 - p_t)^gamma * log p_t
        in general:                   l_i = -sum_c v_{i,c} * (1 - p_{i,c})^gamma * log p_{i,c}
        with v, ignore_index and the "mean" denominator exactly those of softmax_cross_entropy.
        (1 - p)^gamma is computed as exp(gamma * log(1 - p)) with log(1 - p) = log1mexp(log p).
        .. math:: \ell_i = -\sum_c v_{i,c} (1 - p_{i,c})^{\gamma} \log p_{i,c}

    Args:
        logits: floating, shape ``(N, C, d1, ...)``.
        target: class indices ``(N, d1, ...)`` or probabilities of the logits' shape.
        gamma: focusing exponent, ``>= 0``; ``gamma = 0`` gives :func:`softmax_cross_entropy`.
        weight: the paper's per-class alpha, shape ``(C,)``; ``None`` for all ones.
        ignore_index, label_smoothing, smoothing_mode, reduction, validate_args: as in
            :func:`softmax_cross_entropy`.
    Returns:
        float64 (``numpy.float64`` for ``"mean"``/``"sum"``).
    Conventions:
        - If ``p_c`` is 1, its term is 0, with zero gradient for every ``gamma > 0``.
        - If ``gamma`` is 0, the result equals :func:`softmax_cross_entropy` with the same arguments.
        - The result is at most :func:`softmax_cross_entropy` (each term is scaled by a factor in [0, 1]).
    Raises:
        TypeError, ValueError: as :func:`softmax_cross_entropy`; ``gamma < 0`` is a ``ValueError``.
    References:
        Lin, Goyal, Girshick, He, Dollar. "Focal Loss for Dense Object Detection". ICCV 2017. arXiv:1708.02002.

    Examples:
        >>> float(focal_loss([[0.0, 0.0]], [1], gamma=1.0))  # (1 - 1/2) * log 2
        0.34657359027997264
    """
    func = "focal_loss"
    C.check_nonnegative(func, "gamma", gamma)
    _check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
    problem = softmax_problem(func, logits, target, weight, ignore_index, label_smoothing, smoothing_mode,
                              validate_args)
    return softmax_loss_from_problem(problem, float(gamma), reduction)


def binary_problem(func: str, logits: ArrayLike, target: ArrayLike, validate_args: bool) -> tuple[Float, Float]:
    """Validated ``(x, y)`` for the elementwise sigmoid losses: same shapes, ``y`` in [0, 1]."""
    x = C.as_float(func, "logits", logits)
    y = C.as_float(func, "target", target)
    C.check_same_shape(func, "target", y.shape, "logits", x.shape)
    if validate_args:
        C.check_values_in(func, "target", y, 0.0, 1.0, "values in [0, 1]")
    return x, y


def sigmoid_focal_terms(x: Float, y: Float, gamma: float, alpha: float | None) -> tuple[Float, Float, Float, Float]:
    """``(alpha_t, q, q**gamma, ce)`` with q = 1 - p_t = y * sigmoid(-x) + (1 - y) * sigmoid(x)."""
    with np.errstate(invalid="ignore"):  # a zero coefficient makes its term 0, also against log 0 = -inf
        ce = -(np.where(y == 0, 0.0, y * log_sigmoid(x)) + np.where(y == 1, 0.0, (1.0 - y) * log_sigmoid(-x)))
    q = y * sigmoid(-x) + (1.0 - y) * sigmoid(x)
    modulator = np.ones_like(q) if gamma == 0 else q**gamma
    alpha_t = np.ones_like(q) if alpha is None else alpha * y + (1.0 - alpha) * (1.0 - y)
    return alpha_t, q, modulator, ce


def sigmoid_focal_loss(logits: ArrayLike, target: ArrayLike, *, gamma: float = 2.0, alpha: float | None = 0.25,
                       reduction: Reduction = "mean", validate_args: bool = True) -> Result:
    r"""Sigmoid focal loss for independent binary targets, as ``torchvision.ops.sigmoid_focal_loss``.

    Math:
        p = sigmoid(x),  p_t = y*p + (1-y)*(1-p),  alpha_t = y*alpha + (1-y)*(1-alpha)
        ce = -y*log_sigmoid(x) - (1-y)*log_sigmoid(-x)         (BCE with logits, no cancellation)
        FL(x, y) = alpha_t * (1 - p_t)**gamma * ce             (alpha_t = 1 if alpha is None)
        .. math:: \mathrm{FL}(x, y) = \alpha_t (1 - p_t)^{\gamma}\, \mathrm{BCE}(x, y)

    Args:
        logits: floating, shape ``(*)``.
        target: floating, shape ``(*)``, values in [0, 1] (hard or soft).
        gamma: focusing exponent, ``>= 0``; ``gamma = 0`` with ``alpha=None`` gives BCE with logits.
        alpha: weight of the positive class in [0, 1], or ``None`` for no weighting.
        reduction: ``"none"`` returns shape ``(*)``; ``"mean"`` (over all elements) and ``"sum"`` shape ``()``.
        validate_args: check that ``target`` lies in [0, 1].
    Returns:
        float64 (``numpy.float64`` for ``"mean"``/``"sum"``).
    Conventions:
        - If ``p_t`` is 1, the result is 0 with zero gradient.
        - If the batch is empty and ``reduction="mean"``, the result is NaN.
        - torchvision defaults to ``reduction="none"``; this library defaults to ``"mean"``.
    Raises:
        TypeError: ``logits`` or ``target`` is not floating point.
        ValueError: shapes differ, ``gamma < 0``, ``alpha`` outside [0, 1], unknown ``reduction``,
            ``target`` outside [0, 1].
    References:
        Lin, Goyal, Girshick, He, Dollar. "Focal Loss for Dense Object Detection". ICCV 2017. arXiv:1708.02002.

    Examples:
        >>> float(sigmoid_focal_loss([0.0], [1.0], gamma=0.0, alpha=None))  # = log 2
        0.6931471805599453
    """
    func = "sigmoid_focal_loss"
    _check_sigmoid_focal_options(func, gamma, alpha, reduction, validate_args)
    x, y = binary_problem(func, logits, target, validate_args)
    alpha_t, _, modulator, ce = sigmoid_focal_terms(x, y, float(gamma), alpha)
    return reduce(alpha_t * modulator * ce, reduction)


class SoftCounts(NamedTuple):
    """Soft confusion counts per class (summed over every axis but the class axis)."""

    probs: Float  # P, (N, C, d1, ...), zero at ignored positions
    onehot: Float  # Y, same shape, zero at ignored positions
    tp: Float  # (C,)
    fp: Float
    fn: Float


def soft_counts(func: str, logits: ArrayLike, target: ArrayLike, multilabel: bool, ignore_index: int,
                validate_args: bool) -> SoftCounts:
    """P = softmax (sigmoid if multilabel), Y = one-hot or given targets; TP = sum Y P, FP, FN likewise."""
    x = _logits(func, logits)
    num_classes = x.shape[1]
    given = C.as_array(func, "target", target)
    keep: Float = np.ones((1,) * x.ndim)
    if given.dtype.kind in "iu" and not multilabel:
        t = C.as_index(func, "target", given)
        C.check_shape(func, "target", t.shape, x.shape[:1] + x.shape[2:], f"to match `logits` {x.shape}")
        if validate_args:
            C.check_class_indices(func, "target", t, num_classes, ignore_index)
        kept = t != ignore_index
        keep = np.expand_dims(kept, 1).astype(np.float64)
        y = one_hot(np.where(kept, t, 0), num_classes) * keep
    else:
        if given.dtype.kind not in "f":
            kinds = "a floating dtype (multilabel=True)" if multilabel else "an integer or floating dtype"
            raise TypeError(f"{func}: `target` must have {kinds}; got {C.dtype_name(given.dtype)}.")
        y = C.as_float(func, "target", given)
        C.check_same_shape(func, "target", y.shape, "logits", x.shape)
        if validate_args and multilabel:
            C.check_values_in(func, "target", y, 0.0, 1.0, "values in [0, 1]")
        elif validate_args:
            C.check_simplex(func, "target", y, 1, "the class axis (1)", C.simplex_rtol(C.dtype_name(given.dtype)))
    p = (sigmoid(x) if multilabel else softmax(x, 1)) * keep
    axes = (0, *range(2, x.ndim))
    return SoftCounts(p, y, (y * p).sum(axis=axes), ((keep - y) * p).sum(axis=axes), (y * (keep - p)).sum(axis=axes))


def pooled(counts: SoftCounts, average: str) -> tuple[Float, Float, Float]:
    """Per-class ``(tp, fp, fn)`` for ``"macro"``; summed over classes (shape ``(1,)``) for ``"micro"``."""
    if average == "macro":
        return counts.tp, counts.fp, counts.fn
    return counts.tp.sum(keepdims=True), counts.fp.sum(keepdims=True), counts.fn.sum(keepdims=True)


def soft_f1_loss(logits: ArrayLike, target: ArrayLike, *, beta: float = 1.0, average: str = "macro",
                 multilabel: bool = False, ignore_index: int = -100, eps: float = 1e-7,
                 validate_args: bool = True) -> Result:
    r"""Differentiable 1 - F_beta on soft confusion counts (a batch-level loss).

    Math:
        P = softmax over the class axis (sigmoid if multilabel), Y = one-hot targets (or the given ones);
        summed over every axis but the class axis:
            TP_c = sum Y P,  FP_c = sum (1 - Y) P,  FN_c = sum Y (1 - P)
        F_c = (1 + b^2) TP_c / ((1 + b^2) TP_c + b^2 FN_c + FP_c + eps)
        macro: 1 - mean_c F_c;  micro: the counts are summed over classes first.
        .. math:: 1 - \frac{1}{C}\sum_c \frac{(1+\beta^2) TP_c}{(1+\beta^2) TP_c + \beta^2 FN_c + FP_c + \epsilon}

    Args:
        logits: floating, shape ``(N, C, d1, ...)``.
        target: class indices ``(N, d1, ...)``, or probabilities of the logits' shape (summing to 1 over
            the class axis; with ``multilabel=True``, independent values in [0, 1]).
        beta: recall weight, ``> 0``.
        average: ``"macro"`` or ``"micro"``.
        multilabel: sigmoid per class instead of softmax over classes.
        ignore_index: index-target value whose positions are left out of the counts.
        eps: ``>= 0``, added to every denominator.
        validate_args: check index range and target values.
    Returns:
        ``numpy.float64`` scalar (there is no ``reduction``: F is a batch-level quantity).
    Conventions:
        - If every position is ignored (or the batch is empty), every count is 0 and the result is 1
          (with ``eps > 0``); NaN with ``eps = 0``.
        - If P is exactly one-hot (or 0/1 when multilabel), the result is 1 - the hard F-beta of the counts.
    Raises:
        TypeError: ``logits`` not floating; ``target`` of the wrong kind.
        ValueError: shapes disagree, ``beta <= 0``, ``eps < 0``, unknown ``average``, bad target values.
    References:
        Van Rijsbergen. "Information Retrieval", 2nd ed., 1979 (F-measure).

    Examples:
        >>> # P = (.5, .5), Y = (1, 0): TP = (.5, 0), FP = (0, .5), FN = (.5, 0); F = (2/3, 0)
        >>> round(float(soft_f1_loss([[0.0, 0.0]], [0], eps=0.0)), 6)
        0.666667
    """
    func = "soft_f1_loss"
    _check_soft_f1_options(func, beta, average, multilabel, ignore_index, eps, validate_args)
    tp, fp, fn = pooled(soft_counts(func, logits, target, multilabel, ignore_index, validate_args), average)
    b2 = float(beta) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        f = (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp + eps)
    return np.float64(1.0 - f.mean())
