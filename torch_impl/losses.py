r"""Classification losses in PyTorch: softmax cross-entropy, focal, sigmoid focal and soft-F1.

Layout is PyTorch's: logits ``(N, C, d1, ...)`` with the class axis at 1; targets are class indices
``(N, d1, ...)`` (integer) or probabilities of the logits' shape (floating).  Same names, signatures
and conventions as ``reference.losses``; every result is computed in at least float32 and returned in
the logits' dtype, on their device.
"""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from . import _checks as C
from . import _fast, _kernel
from ._math import compute_dtype, log1mexp, reduce
from .smoothing import is_index, smoothing_weight

__all__ = ["softmax_cross_entropy", "focal_loss", "sigmoid_focal_loss", "soft_f1_loss"]

Reduction = Literal["mean", "sum", "none"]


# ----------------------------------------------------------------------------- validation
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


def _logits(func: str, logits: Any) -> Tensor:
    x = C.as_float(func, "logits", logits)
    C.check_ndim_at_least(func, "logits", x.shape, 2, "(N, C, d1, ...)")
    return x


def _weight(func: str, weight: Any, logits: Tensor, validate_args: bool) -> Tensor | None:
    """The checked class weights in the compute dtype, shaped ``(1, C, 1, ...)``; ``None`` stays ``None``."""
    if weight is None:
        return None
    w = C.as_float(func, "weight", weight)
    C.check_shape(func, "weight", w.shape, (logits.shape[1],), "(one weight per class)")
    C.check_same_device(func, "weight", w, "logits", logits)
    if validate_args:
        C.check_values_in(func, "weight", w, 0.0, math.inf, "non-negative values")
    return w.to(compute_dtype(logits)).reshape((1, -1) + (1,) * (logits.ndim - 2))


def _index_target(func: str, target: Tensor, logits: Tensor, ignore_index: int | None,
                  validate_args: bool) -> Tensor:
    """Class indices of shape ``(N, d1, ...)`` as int64."""
    C.check_shape(func, "target", target.shape, (logits.shape[0], *logits.shape[2:]),
                  f"to match `logits` {tuple(logits.shape)}")
    C.check_same_device(func, "target", target, "logits", logits)
    if validate_args:
        C.check_class_indices(func, "target", target, logits.shape[1], ignore_index)
    return target.long()


def _float_target(func: str, target: Tensor, logits: Tensor) -> None:
    C.check_same_shape(func, "target", target.shape, "logits", logits.shape)
    C.check_same_device(func, "target", target, "logits", logits)


class _SoftmaxProblem(NamedTuple):
    """A validated softmax-loss call, in the compute dtype."""

    x: Tensor  # logits (N, C, d1, ...)
    target: Tensor  # int64 class indices (N, d1, ...) or probabilities like x
    is_index: bool
    weight: Tensor | None  # (1, C, 1, ...)
    e: float  # uniform-mixture smoothing weight: label_smoothing, or label_smoothing*C/(C-1) for "off_target"
    builtin: bool  # the smoothing is PyTorch's own ("uniform", or none at all)


def _softmax_problem(func: str, logits: Any, target: Any, weight: Any, ignore_index: int, label_smoothing: float,
                     smoothing_mode: str, validate_args: bool) -> _SoftmaxProblem:
    x = _logits(func, logits)
    num_classes = x.shape[1]
    target = C.as_tensor(func, "target", target)
    w = _weight(func, weight, x, validate_args)
    e = smoothing_weight(float(label_smoothing), num_classes, smoothing_mode) if num_classes > 1 else 0.0
    work = compute_dtype(x)
    builtin = smoothing_mode == "uniform" or e == 0
    if is_index(func, target, "an integer or floating dtype"):
        t = _index_target(func, target, x, ignore_index, validate_args)
        return _SoftmaxProblem(x.to(work), t, True, w, e, builtin)
    _float_target(func, target, x)
    if validate_args:
        C.check_simplex(func, "target", target, 1, "the class axis (1)", C.simplex_rtol(C.dtype_name(target.dtype)))
    return _SoftmaxProblem(x.to(work), target.to(work), False, w, e, builtin)


# ----------------------------------------------------------------------------- the focal term
def _power_of_one_minus(log_p: Tensor, gamma: float) -> Tensor:
    """(1 - p)^gamma from log p, for gamma > 0: exp(gamma * log1mexp(log p)), and exactly 0 at p = 1
    (where gamma * -inf would be NaN for a gamma that rounds to 0 in the compute dtype)."""
    return _power_of_log(log1mexp(log_p), gamma)


def _power_of_log(log_q: Tensor, gamma: float) -> Tensor:
    """q^gamma = exp(gamma * log q) for gamma > 0, with 0 wherever q = 0 (also for a gamma that rounds to 0
    in the compute dtype, where gamma * -inf would be NaN)."""
    if gamma >= torch.finfo(log_q.dtype).tiny:
        return torch.exp(gamma * log_q)
    return torch.where(log_q == -math.inf, 0.0, torch.exp(gamma * log_q))


def _alpha_t(y: Tensor, alpha: float) -> Tensor:
    """alpha_t = alpha y + (1 - alpha)(1 - y), as a sum of non-negative terms: the shorter
    (1 - alpha) + (2 alpha - 1) y cancels to a 40% error at y = 1 for alpha = 1e-7 in float32."""
    return y * alpha + (1 - y) * (1 - alpha)


def _pu_over_q(u: Tensor) -> Tensor:
    """p u / (1 - p) = u / expm1(-u) for u = log p <= 0: -1 at u = 0 (p = 1), 0 at u = -inf."""
    r = u / torch.expm1(-u)
    return torch.where(u == 0, -1.0, torch.where(u == -math.inf, 0.0, r))


def _focal_derivative(u: Tensor, gamma: float) -> Tensor:
    """f'(u) = -(1 - p)^gamma (1 - gamma p u / (1 - p)) for f(u) = -(1 - e^u)^gamma u (finite for u <= 0)."""
    return -_power_of_one_minus(u, gamma) * (1 - gamma * _pu_over_q(u))


def _focal_second_derivative(u: Tensor, gamma: float) -> Tensor:
    """f''(u) = gamma p (1 - p)^(gamma - 1) (2 + u - (gamma - 1) p u / (1 - p)).

    From f'(u) = -(1 - p)^g + g u p (1 - p)^(g - 1) with dp/du = p.  At p = 1 it is 0 for gamma > 1,
    2 for gamma = 1 and +inf for gamma < 1 (where (1 - p)^gamma has an infinite slope); 0 at u = -inf.
    """
    log_q = log1mexp(u)
    if gamma > 1:
        q_pow = _power_of_log(log_q, gamma - 1)
    elif gamma == 1:
        q_pow = torch.ones_like(u)
    else:
        q_pow = torch.exp((gamma - 1) * log_q)
    second = gamma * torch.exp(u) * q_pow * (2 + u - (gamma - 1) * _pu_over_q(u))
    return torch.where(u == -math.inf, 0.0, second)


class _FocalTerm(torch.autograd.Function):
    r"""f(u) = -(1 - e^u)^gamma * u on u = log p <= 0, with a closed-form derivative.

    f'(u) = -(1 - p)^gamma * (1 - gamma * p*u / (1 - p)) and p*u / (1 - p) = u / expm1(-u), which tends
    to -1 as u -> 0 (p -> 1) and to 0 as u -> -inf.  Autograd of the composed power instead meets
    inf * 0 = NaN at p -> 1 for 0 < gamma < 1; this form is finite for every u <= 0.  f' is itself a
    Function with a closed-form derivative, so Hessians are finite at p = 1 too (for gamma >= 1).
    """

    @staticmethod
    def forward(ctx: FunctionCtx, u: Tensor, gamma: float) -> Tensor:
        ctx.save_for_backward(u)
        ctx.gamma = gamma  # type: ignore[attr-defined]
        return -_power_of_one_minus(u, gamma) * u

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        (u,) = ctx.saved_tensors  # type: ignore[attr-defined]
        derivative: Tensor = _FocalDerivative.apply(u, ctx.gamma)  # type: ignore[attr-defined, no-untyped-call]
        return grad * derivative, None


class _FocalDerivative(torch.autograd.Function):
    """f'(u) of :class:`_FocalTerm`, differentiable in closed form (f'')."""

    @staticmethod
    def forward(ctx: FunctionCtx, u: Tensor, gamma: float) -> Tensor:
        ctx.save_for_backward(u)
        ctx.gamma = gamma  # type: ignore[attr-defined]
        return _focal_derivative(u, gamma)

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        (u,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * _focal_second_derivative(u, ctx.gamma), None  # type: ignore[attr-defined]


def _focal_term(log_p: Tensor, gamma: float) -> Tensor:
    out: Tensor = _FocalTerm.apply(log_p, gamma)  # type: ignore[no-untyped-call]
    return out


def _phi(log_p: Tensor, gamma: float) -> Tensor:
    """The per-class loss term: -log p, or the focal term when ``gamma > 0``."""
    return -log_p if gamma == 0 else _focal_term(log_p, gamma)


# ----------------------------------------------------------------------------- softmax losses
def _weighted_terms(v: Tensor, phi: Tensor) -> Tensor:
    """v * phi with a zero coefficient giving 0 even against phi = inf (or NaN), while d/dv stays phi."""
    return v * torch.where(v == 0, torch.nan_to_num(phi, nan=0.0, posinf=0.0, neginf=0.0), phi)


def _fast_softmax_applies(prob: _SoftmaxProblem, gamma: float) -> bool:
    """2-D logits with class indices: focal without smoothing, or PyTorch's label smoothing without focus
    (a gamma below the compute dtype's smallest normal, which rounds to 0 there, stays general); plain
    cross-entropy only where the compiled softmax kernel takes the logits (elsewhere F.cross_entropy is it)."""
    if not prob.is_index or prob.x.ndim != 2 or (prob.weight is not None and prob.weight.requires_grad):
        return False
    if gamma == 0:
        return prob.builtin and (prob.e > 0 or _kernel.softmax_applies(prob.x))
    return prob.e == 0 and gamma >= torch.finfo(prob.x.dtype).tiny


def _softmax_loss(prob: _SoftmaxProblem, gamma: float, ignore_index: int, reduction: str,
                  fast: bool = True) -> Tensor:
    """sum_c v_c f(log p_c) per position (see ``reference.losses.softmax_problem``), reduced as F.cross_entropy.

    ``fast``: take :func:`_fast.softmax_index_loss` where it applies (its second derivative comes from here)."""
    x, t, w, e = prob.x, prob.target, prob.weight, prob.e
    num_classes = x.shape[1]
    if not prob.is_index:
        v = t if e == 0 else (1 - e) * t + e / num_classes
        if w is not None:
            v = v * w
        phi = _phi(torch.log_softmax(x, dim=1), gamma)
        return reduce(_weighted_terms(v, phi).sum(dim=1), reduction)
    flat_w = None if w is None else w.reshape(-1)
    if fast and _fast_softmax_applies(prob, gamma):
        def general(z: Tensor) -> Tensor:
            return _softmax_loss(prob._replace(x=z), gamma, ignore_index, "none", fast=False)
        return _fast.softmax_index_loss(x, t, gamma, e, flat_w, ignore_index, reduction, general)
    if gamma == 0 and prob.builtin:  # PyTorch's own kernel has exactly these semantics
        return F.cross_entropy(x, t, weight=flat_w, ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=e)
    keep = t != ignore_index
    safe_t = torch.where(keep, t, 0)
    w_t = keep.to(x.dtype) if flat_w is None else torch.where(keep, flat_w[safe_t], 0.0)
    if e == 0:  # focal, no smoothing: only the target's term, from -log p_t per position
        phi_t = _focal_term(-F.cross_entropy(x, t, ignore_index=ignore_index, reduction="none"), gamma)
        loss = torch.where(w_t == 0, 0.0, w_t * phi_t)
    else:
        v = x.new_full(x.shape, e / num_classes)
        if w is not None:
            v = v * w
        v = v.scatter(1, safe_t.unsqueeze(1), (w_t * ((1 - e) + e / num_classes)).unsqueeze(1))
        phi = _phi(torch.log_softmax(x, dim=1), gamma)
        loss = torch.where(keep, _weighted_terms(v, phi).sum(dim=1), 0.0)
    if reduction == "mean":  # NaN when nothing carries weight, as F.cross_entropy (whose NLL part is 0/0)
        den = w_t.sum()
        return torch.where(den == 0, math.nan, loss.sum() / den)
    return reduce(loss, reduction)


def softmax_cross_entropy(logits: Tensor, target: Tensor, *, weight: Tensor | None = None, ignore_index: int = -100,
                          label_smoothing: float = 0.0, smoothing_mode: str = "uniform",
                          reduction: Reduction = "mean", validate_args: bool = True) -> Tensor:
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
        Same dtype as ``logits`` (computed in at least float32), on their device.
    Conventions:
        - If a position is ignored, its ``"none"`` entry is 0 and it is left out of the mean.
        - If every position is ignored (or the batch is empty) and ``reduction="mean"``, the result is NaN.
        - If ``y_c`` is 0, its term is 0 even where ``log p_c = -inf`` (probability targets).
    Raises:
        TypeError: ``logits`` or ``weight`` not floating; ``target`` neither integer nor floating.
        ValueError: shapes disagree, ``label_smoothing`` outside [0, 1], unknown ``smoothing_mode`` or
            ``reduction``, index out of range, negative weight, probability target not summing to 1.
    References:
        Szegedy et al. "Rethinking the Inception Architecture for Computer Vision". CVPR 2016 (smoothing).

    Examples:
        >>> float(softmax_cross_entropy(torch.zeros(1, 2, dtype=torch.float64), torch.tensor([1])))  # = log 2
        0.6931471805599453
    """
    func = "softmax_cross_entropy"
    _check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
    prob = _softmax_problem(func, logits, target, weight, ignore_index, label_smoothing, smoothing_mode,
                            validate_args)
    return _softmax_loss(prob, 0.0, ignore_index, reduction).to(logits.dtype)


def focal_loss(logits: Tensor, target: Tensor, *, gamma: float = 2.0, weight: Tensor | None = None,
               ignore_index: int = -100, label_smoothing: float = 0.0, smoothing_mode: str = "uniform",
               reduction: Reduction = "mean", validate_args: bool = True) -> Tensor:
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
        Same dtype as ``logits`` (computed in at least float32), on their device.
    Conventions:
        - If ``p_c`` is 1, its term is 0, with zero gradient for every ``gamma > 0``.
        - If ``gamma`` is 0, the result equals :func:`softmax_cross_entropy` with the same arguments.
        - The result is at most :func:`softmax_cross_entropy` (each term is scaled by a factor in [0, 1]).
    Raises:
        TypeError, ValueError: as :func:`softmax_cross_entropy`; ``gamma < 0`` is a ``ValueError``.
    References:
        Lin, Goyal, Girshick, He, Dollar. "Focal Loss for Dense Object Detection". ICCV 2017. arXiv:1708.02002.

    Examples:
        >>> float(focal_loss(torch.zeros(1, 2, dtype=torch.float64), torch.tensor([1]), gamma=1.0))
        0.34657359027997264
    """
    func = "focal_loss"
    C.check_nonnegative(func, "gamma", gamma)
    _check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
    prob = _softmax_problem(func, logits, target, weight, ignore_index, label_smoothing, smoothing_mode,
                            validate_args)
    return _softmax_loss(prob, float(gamma), ignore_index, reduction).to(logits.dtype)


# ----------------------------------------------------------------------------- sigmoid focal
def _bce_parts(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(log sigmoid(x), log sigmoid(-x), ce)`` with ce = -y log sigmoid(x) - (1 - y) log sigmoid(-x), where a
    zero coefficient gives a zero term (also against log 0 = -inf at infinite logits)."""
    a, b = F.logsigmoid(x), F.logsigmoid(-x)
    return a, b, -(torch.where(y == 0, 0.0, y * a) + torch.where(y == 1, 0.0, (1 - y) * b))


def _log_one_minus_pt(y: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """log q, q = 1 - p_t = y sigmoid(-x) + (1 - y) sigmoid(x), in log space (q never underflows before the log)."""
    return torch.logaddexp(torch.log(y) + b, torch.log1p(-y) + a)


class _SigmoidFocal(torch.autograd.Function):
    r"""Elementwise alpha_t (1 - p_t)^gamma BCE(x, y) with closed-form derivatives in x and y.

    With q = 1 - p_t, p = sigmoid(x):  dq/dx = (1 - 2y) p (1 - p),  dce/dx = p - y,  dq/dy = 1 - 2p,
    dce/dy = -x, d alpha_t/dy = 2 alpha - 1, so
        d/dx [q^g ce] = q^g (g (1 - 2y) (p (1 - p) / q) ce + p - y)      (p (1 - p) / q <= 1)
        d/dy [q^g ce] = g (1 - 2p) q^(g - 1) ce - q^g x
    Where q = 0 (p_t = 1, only at infinite logits) both derivatives are set to their limit 0.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, y: Tensor, gamma: float, alpha: float | None) -> Tensor:
        ctx.save_for_backward(x, y)
        ctx.gamma, ctx.alpha = gamma, alpha  # type: ignore[attr-defined]
        a, b, loss = _bce_parts(x, y)
        if gamma != 0:
            loss = _power_of_log(_log_one_minus_pt(y, a, b), gamma) * loss
        return loss if alpha is None else _alpha_t(y, alpha) * loss

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, Tensor | None, None, None]:
        x, y = ctx.saved_tensors  # type: ignore[attr-defined]
        gamma: float = ctx.gamma  # type: ignore[attr-defined]
        alpha: float | None = ctx.alpha  # type: ignore[attr-defined]
        a, b, ce = _bce_parts(x, y)
        p_minus_y = (1 - y) * torch.exp(a) - y * torch.exp(b)
        if gamma == 0:
            loss, dx, dy = ce, p_minus_y, -x
        else:
            log_q = _log_one_minus_pt(y, a, b)
            dead = log_q == -math.inf  # p_t = 1
            mod = _power_of_log(log_q, gamma)
            loss = mod * ce
            ratio = torch.exp(a + b - log_q)  # p (1 - p) / q
            ratio_ce = torch.where(ratio == 0, 0.0, ratio * ce)  # 0 * inf at p_t = 0, x infinite
            dx = torch.where(dead, 0.0, mod * (gamma * (1 - 2 * y) * ratio_ce + p_minus_y))
            if ctx.needs_input_grad[1]:  # type: ignore[attr-defined]
                scaled = torch.where(dead, 0.0, torch.exp((gamma - 1) * log_q + torch.log(ce)))  # q^(g-1) ce
                dy = gamma * (1 - 2 * torch.sigmoid(x)) * scaled - mod * x
        if alpha is not None:
            alpha_t = _alpha_t(y, alpha)
            dx = alpha_t * dx
            if ctx.needs_input_grad[1]:  # type: ignore[attr-defined]
                dy = (2 * alpha - 1) * loss + alpha_t * dy
        return grad * dx, (grad * dy if ctx.needs_input_grad[1] else None), None, None  # type: ignore[attr-defined]


class _HardSigmoidFocal(torch.autograd.Function):
    r"""The same loss for 0/1 targets only, in one variable r = (1 - 2y) x (gradient in x only).

    Then q = 1 - p_t = sigmoid(r), ce = -log sigmoid(-r), log q = log sigmoid(r), 1 - q = e^-ce and
        d/dx [alpha_t q^g ce] = (1 - 2y) alpha_t q^g (g (1 - q) ce + q)
    (dq/dr = q (1 - q), dce/dr = q): two log-sigmoids instead of the general form's dozen passes.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, y: Tensor, gamma: float, alpha: float | None) -> Tensor:
        ctx.save_for_backward(x, y)
        ctx.gamma, ctx.alpha = gamma, alpha  # type: ignore[attr-defined]
        r = (1 - 2 * y) * x  # not x - 2 y x, which is inf - inf at x = inf
        loss = -F.logsigmoid(-r)
        if gamma != 0:
            loss = _power_of_log(F.logsigmoid(r), gamma) * loss
        return loss if alpha is None else _alpha_t(y, alpha) * loss

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None, None, None]:
        x, y = ctx.saved_tensors  # type: ignore[attr-defined]
        gamma: float = ctx.gamma  # type: ignore[attr-defined]
        alpha: float | None = ctx.alpha  # type: ignore[attr-defined]
        r = (1 - 2 * y) * x  # not x - 2 y x, which is inf - inf at x = inf
        log_q = F.logsigmoid(r)
        q = torch.exp(log_q)
        if gamma == 0:
            d = q
        else:
            ce = -F.logsigmoid(-r)
            one_minus_q = torch.exp(-ce)
            tail = torch.where(one_minus_q == 0, 0.0, one_minus_q * ce)  # 0 * inf at p_t = 0, x infinite
            d = _power_of_log(log_q, gamma) * (gamma * tail + q)
        if alpha is not None:
            d = _alpha_t(y, alpha) * d
        return grad * torch.addcmul(d, y, d, value=-2), None, None, None  # (1 - 2y) d


def _sigmoid_focal(x: Tensor, y: Tensor, gamma: float, alpha: float | None, hard: bool, fast: bool = True) -> Tensor:
    """``fast``: 0/1 targets take :func:`_fast.hard_sigmoid_focal` (second derivatives through _HardSigmoidFocal),
    unless gamma is below the compute dtype's smallest normal (it rounds to 0 there)."""
    if fast and hard and (gamma == 0 or gamma >= torch.finfo(x.dtype).tiny):
        return _fast.hard_sigmoid_focal(x, y, gamma, alpha, lambda z: _sigmoid_focal(z, y, gamma, alpha, True, False))
    fn = _HardSigmoidFocal if hard else _SigmoidFocal
    out: Tensor = fn.apply(x, y, gamma, alpha)  # type: ignore[no-untyped-call]
    return out


def sigmoid_focal_loss(logits: Tensor, target: Tensor, *, gamma: float = 2.0, alpha: float | None = 0.25,
                       reduction: Reduction = "mean", validate_args: bool = True) -> Tensor:
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
        Same dtype as ``logits`` (computed in at least float32), on their device.
    Conventions:
        - If ``p_t`` is 1, the result is 0 with zero gradient.
        - If the batch is empty and ``reduction="mean"``, the result is NaN.
        - torchvision defaults to ``reduction="none"``; this library defaults to ``"mean"``.
        - On the CPU, 0/1 targets with float32 or 16-bit logits go through a compiled C kernel (one fused pass
          for the value, one for the gradient) when the package was built with a C compiler; otherwise the
          PyTorch code computes the same quantity.
    Raises:
        TypeError: ``logits`` or ``target`` is not floating point.
        ValueError: shapes differ, ``gamma < 0``, ``alpha`` outside [0, 1], unknown ``reduction``,
            ``target`` outside [0, 1].
    References:
        Lin, Goyal, Girshick, He, Dollar. "Focal Loss for Dense Object Detection". ICCV 2017. arXiv:1708.02002.

    Examples:
        >>> float(sigmoid_focal_loss(torch.zeros(1, dtype=torch.float64), torch.ones(1), gamma=0.0, alpha=None))
        0.6931471805599453
    """
    func = "sigmoid_focal_loss"
    _check_sigmoid_focal_options(func, gamma, alpha, reduction, validate_args)
    x = C.as_float(func, "logits", logits)
    y = C.as_float(func, "target", target)
    _float_target(func, y, x)
    work = compute_dtype(x)
    g, a = float(gamma), None if alpha is None else float(alpha)
    xw, yw = x.to(work), y.to(work)
    if not y.requires_grad and torch.promote_types(y.dtype, work) == work:  # y is exact in the compute dtype
        # the compiled CPU kernel, where it applies and every target is 0 or 1 (so also in [0, 1])
        fused = _fast.kernel_sigmoid_focal(
            xw, yw, g, a, reduction, lambda z: reduce(_sigmoid_focal(z, yw, g, a, True, False), reduction))
        if fused is not None:
            return fused.to(x.dtype)
    hard = False
    if validate_args:
        C.check_values_in(func, "target", y, 0.0, 1.0, "values in [0, 1]")
        # 0/1 targets (and no gradient wanted for them) take the one-variable closed form; found on the
        # validation's device sync, so validate_args=False never syncs and takes the general form (on the CPU
        # the kernel above has already taken 0/1 targets in float32)
        hard = not y.requires_grad and bool(((y == 0) | (y == 1)).all())
    loss = _sigmoid_focal(xw, yw, g, a, hard)
    return reduce(loss, reduction).to(x.dtype)


# ----------------------------------------------------------------------------- soft F1
def _soft_counts(func: str, logits: Any, target: Any, multilabel: bool, ignore_index: int,
                 validate_args: bool) -> tuple[Tensor, Tensor, Tensor]:
    """Per-class soft ``(TP, FP, FN)``, summed over every axis but the class axis, in the compute dtype."""
    x = _logits(func, logits)
    target = C.as_tensor(func, "target", target)
    work = compute_dtype(x)
    kinds = "a floating dtype (multilabel=True)" if multilabel else "an integer or floating dtype"
    index = is_index(func, target, kinds)
    if index and multilabel:
        raise TypeError(f"{func}: `target` must have {kinds}; got {C.dtype_name(target.dtype)}.")
    xw = x.to(work)
    p = torch.sigmoid(xw) if multilabel else torch.softmax(xw, dim=1)
    if index:
        t = _index_target(func, target, x, ignore_index, validate_args)
        keep = (t != ignore_index).unsqueeze(1)
        y = torch.zeros_like(p).scatter_(1, torch.where(keep, t.unsqueeze(1), 0), 1.0)
        y = torch.where(keep, y, 0.0)
        p = torch.where(keep, p, 0.0)
        not_y, not_p = keep.to(work) - y, keep.to(work) - p
    else:
        _float_target(func, target, x)
        if validate_args and multilabel:
            C.check_values_in(func, "target", target, 0.0, 1.0, "values in [0, 1]")
        elif validate_args:
            C.check_simplex(func, "target", target, 1, "the class axis (1)",
                            C.simplex_rtol(C.dtype_name(target.dtype)))
        y = target.to(work)
        not_y, not_p = 1 - y, 1 - p
    dims = (0, *range(2, x.ndim))
    return (y * p).sum(dim=dims), (not_y * p).sum(dim=dims), (y * not_p).sum(dim=dims)


def soft_f1_loss(logits: Tensor, target: Tensor, *, beta: float = 1.0, average: str = "macro",
                 multilabel: bool = False, ignore_index: int = -100, eps: float = 1e-7,
                 validate_args: bool = True) -> Tensor:
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
        A 0-d tensor of the logits' dtype (there is no ``reduction``: F is a batch-level quantity).
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
        >>> round(float(soft_f1_loss(torch.zeros(1, 2), torch.tensor([0]), eps=0.0)), 6)
        0.666667
    """
    func = "soft_f1_loss"
    _check_soft_f1_options(func, beta, average, multilabel, ignore_index, eps, validate_args)
    x = _logits(func, logits)
    t = C.as_tensor(func, "target", target)
    if not multilabel and x.ndim == 2 and is_index(func, t, "an integer or floating dtype"):
        t = _index_target(func, t, x, ignore_index, validate_args)  # 2-D, class indices: the closed form (_fast)

        def general(z: Tensor) -> Tensor:
            return _soft_f1(func, z, t, beta, average, False, ignore_index, eps, False)
        loss = _fast.soft_f1_index(x.to(compute_dtype(x)), t, float(beta), float(eps), average == "micro",
                                   ignore_index, general)
    else:
        loss = _soft_f1(func, x, t, beta, average, multilabel, ignore_index, eps, validate_args)
    return loss.to(x.dtype)


def _soft_f1(func: str, logits: Tensor, target: Tensor, beta: float, average: str, multilabel: bool,
             ignore_index: int, eps: float, validate_args: bool) -> Tensor:
    """1 - F_beta from the soft counts of :func:`_soft_counts`, in the compute dtype."""
    tp, fp, fn = _soft_counts(func, logits, target, multilabel, ignore_index, validate_args)
    if average == "micro":
        tp, fp, fn = tp.sum(dim=0, keepdim=True), fp.sum(dim=0, keepdim=True), fn.sum(dim=0, keepdim=True)
    b2 = float(beta) ** 2
    f = (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp + float(eps))
    return 1.0 - f.mean()
