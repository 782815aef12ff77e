r"""Closed-form gradients dL/dlogits of every loss, in float64: the oracle for torch autograd.

Each ``<loss>_grad`` takes the loss's arguments and returns an array of the logits' shape. For
``reduction="none"`` it is the gradient of the *sum* of the elementwise losses. The derivations are in
the docstrings; ``parity_tests/test_reference_gradients.py`` checks each against central finite
differences, and the torch tests check autograd against these.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks as C
from . import losses as L
from ._math import log1mexp, log_softmax, sigmoid

__all__ = ["softmax_cross_entropy_grad", "focal_loss_grad", "sigmoid_focal_loss_grad", "soft_f1_loss_grad"]

Float = NDArray[np.float64]


def _modulated_log_prob_derivative(log_p: Float, gamma: float) -> Float:
    r"""f'(u) for f(u) = -(1 - e^u)^gamma * u, written so that it is finite for every u <= 0.

    f'(u) = gamma (1 - e^u)^(gamma - 1) e^u u - (1 - e^u)^gamma
          = -(1 - p)^gamma * (1 - gamma * p * r),   p = e^u,  r = u / (1 - p) = log p / (1 - p).
    r -> -1 as p -> 1 (so f' -> 0 for gamma > 0, and -1 for gamma = 0); p * r -> 0 as p -> 0.
    """
    if gamma == 0:
        return -np.ones_like(log_p)
    p = np.exp(log_p)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(log_p == 0, -1.0, log_p / -np.expm1(log_p))
        p_r = np.where(p == 0, 0.0, p * r)
        return -np.exp(gamma * log1mexp(log_p)) * (1.0 - gamma * p_r)


def _softmax_loss_grad(problem: L.SoftmaxProblem, gamma: float, reduction: str) -> Float:
    r"""Gradient of  L_i = sum_c v_c f(u_c),  u = log_softmax(x_i),  f(u) = -(1 - e^u)^gamma u.

    du_c/dx_k = [c == k] - p_k, hence
        dL_i/dx_k = v_k f'(u_k) - p_k * sum_c v_c f'(u_c).
    "mean" divides by the problem's denominator (sum of target weights, or the number of positions).
    """
    log_p = log_softmax(problem.logits, 1)
    with np.errstate(invalid="ignore"):
        g = np.where(problem.v == 0, 0.0, problem.v * _modulated_log_prob_derivative(log_p, gamma))
    grad: Float = g - np.exp(log_p) * g.sum(axis=1, keepdims=True)
    if reduction == "mean":
        scale = 1.0 / problem.denominator if problem.denominator else np.nan
        return grad * scale
    return grad


def softmax_cross_entropy_grad(logits: ArrayLike, target: ArrayLike, *, weight: ArrayLike | None = None,
                               ignore_index: int = -100, label_smoothing: float = 0.0,
                               smoothing_mode: str = "uniform", reduction: str = "mean",
                               validate_args: bool = True) -> Float:
    r"""dL/dlogits of :func:`softmax_cross_entropy`.

    Derivation: with v_{i,c} the smoothed, weighted target (0 at ignored positions) and
    u = log_softmax(x_i), L_i = -sum_c v_{i,c} u_c and du_c/dx_k = [c == k] - p_k, so
        dL_i/dx_k = -v_{i,k} + p_k * sum_c v_{i,c}.
    For class indices without weights or smoothing this is the familiar p - onehot(t). ``"mean"``
    divides by sum_i w_{t_i} (indices) or the number of positions (probabilities); ``"sum"`` and
    ``"none"`` give the gradient of the sum.
    """
    func = "softmax_cross_entropy"
    L._check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
    problem = L.softmax_problem(func, logits, target, weight, ignore_index, label_smoothing, smoothing_mode,
                                validate_args)
    return _softmax_loss_grad(problem, 0.0, reduction)


def focal_loss_grad(logits: ArrayLike, target: ArrayLike, *, gamma: float = 2.0, weight: ArrayLike | None = None,
                    ignore_index: int = -100, label_smoothing: float = 0.0, smoothing_mode: str = "uniform",
                    reduction: str = "mean", validate_args: bool = True) -> Float:
    r"""dL/dlogits of :func:`focal_loss`.

    Derivation: L_i = sum_c v_{i,c} f(u_c) with u = log_softmax(x_i) and f(u) = -(1 - e^u)^gamma u.
        f'(u) = gamma (1 - p)^(gamma-1) p u - (1 - p)^gamma = -(1 - p)^gamma (1 - gamma p r),
    with r = log p / (1 - p), which tends to -1 as p -> 1: the factor (1 - p)^(gamma - 1), infinite at
    p = 1 for gamma < 1, never appears, so the gradient is finite (and 0 at p_c = 1) for every gamma > 0.
    By the chain rule through du_c/dx_k = [c == k] - p_k:
        dL_i/dx_k = v_{i,k} f'(u_k) - p_k sum_c v_{i,c} f'(u_c).
    gamma = 0 gives f' = -1 and the cross-entropy gradient. Reductions as :func:`softmax_cross_entropy_grad`.
    """
    func = "focal_loss"
    C.check_nonnegative(func, "gamma", gamma)
    L._check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
    problem = L.softmax_problem(func, logits, target, weight, ignore_index, label_smoothing, smoothing_mode,
                                validate_args)
    return _softmax_loss_grad(problem, float(gamma), reduction)


def sigmoid_focal_loss_grad(logits: ArrayLike, target: ArrayLike, *, gamma: float = 2.0, alpha: float | None = 0.25,
                            reduction: str = "mean", validate_args: bool = True) -> Float:
    r"""dL/dlogits of :func:`sigmoid_focal_loss`.

    Derivation: with s = sigmoid(x), q = 1 - p_t = y (1 - s) + (1 - y) s and ce = BCE(x, y),
        dq/dx = (1 - 2y) s (1 - s),     dce/dx = s - y,     alpha_t does not depend on x,
        dFL/dx = alpha_t * [gamma q^gamma * (s (1 - s) / q) * (1 - 2y) * ce + q^gamma (s - y)].
    Writing q^(gamma-1) as q^gamma / q keeps it finite: where q = 0 (p_t = 1) either gamma = 0 (the
    term has the factor gamma) or q^gamma = 0, so the first term is 0 there. ``"mean"`` divides by the
    number of elements.
    """
    func = "sigmoid_focal_loss"
    L._check_sigmoid_focal_options(func, gamma, alpha, reduction, validate_args)
    x, y = L.binary_problem(func, logits, target, validate_args)
    g = float(gamma)
    alpha_t, q, modulator, ce = L.sigmoid_focal_terms(x, y, g, alpha)
    s = sigmoid(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope_over_q = np.where(q == 0, 0.0, s * (1.0 - s) / q)
    grad = alpha_t * (g * modulator * slope_over_q * (1.0 - 2.0 * y) * ce + modulator * (s - y))
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return grad / grad.size if grad.size else grad
    return grad


def soft_f1_loss_grad(logits: ArrayLike, target: ArrayLike, *, beta: float = 1.0, average: str = "macro",
                      multilabel: bool = False, ignore_index: int = -100, eps: float = 1e-7,
                      validate_args: bool = True) -> Float:
    r"""dL/dlogits of :func:`soft_f1_loss`.

    Derivation: with S_c = sum Y (constant) and Q_c = sum P, FN_c = S_c - TP_c and FP_c = Q_c - TP_c, so
    the denominator simplifies to D_c = (1 + b^2) TP_c + b^2 FN_c + FP_c + eps = b^2 S_c + Q_c + eps and
        F_c = (1 + b^2) TP_c / D_c,
        dF_c/dP_{i,c} = (1 + b^2) (Y_{i,c} D_c - TP_c) / D_c^2       (dTP_c/dP = Y, dD_c/dP = 1).
    G = dL/dP is -(1/C) dF_c/dP for "macro" and -dF/dP for "micro" (one pooled F, with TP, S, Q summed
    over classes); G is 0 at ignored positions. Through the link:
        softmax: dL/dx_{i,k} = P_{i,k} (G_{i,k} - sum_c G_{i,c} P_{i,c})
        sigmoid: dL/dx_{i,k} = G_{i,k} P_{i,k} (1 - P_{i,k})
    """
    func = "soft_f1_loss"
    L._check_soft_f1_options(func, beta, average, multilabel, ignore_index, eps, validate_args)
    counts = L.soft_counts(func, logits, target, multilabel, ignore_index, validate_args)
    tp, fp, fn = L.pooled(counts, average)
    a = 1.0 + float(beta) ** 2
    d = a * tp + float(beta) ** 2 * fn + fp + eps
    num_classes = counts.probs.shape[1]
    shape = (1, -1) + (1,) * (counts.probs.ndim - 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        df_dp = a * (counts.onehot * d.reshape(shape) - tp.reshape(shape)) / d.reshape(shape) ** 2
    g = -df_dp / (num_classes if average == "macro" else 1.0)
    p = counts.probs
    if multilabel:
        return g * p * (1.0 - p)
    return np.asarray(p * (g - (g * p).sum(axis=1, keepdims=True)), dtype=np.float64)
