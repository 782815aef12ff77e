r"""Fast paths for the common cases of the losses: one ``autograd.Function`` each, closed-form backward.

Each Function computes in the dtype of its (already upcast) input, keeps only what its closed-form
backward needs, and builds the gradient in one fresh buffer filled in place.  Every Function takes the
general, differentiable formula of the same quantity (``general``, a callable of the logits): a second
derivative (``create_graph=True``) is taken through it, so Hessians are exactly those of the general path.

- :class:`SoftmaxIndexLoss`: per-row softmax cross-entropy (with uniform label smoothing) or focal loss
  (without smoothing) for 2-D logits ``(N, C)`` and class-index targets, with class weights and
  ``ignore_index``.  Keeps log_softmax (one N x C, as ``F.cross_entropy`` does) and N-vectors; with the
  compiled CPU kernel (float32), only N-vectors (the row maxima and log-sums among them).
- :class:`SoftF1Index`: 1 - F_beta (macro or micro) on softmax probabilities of 2-D logits with
  class-index targets, from the identity D_c = (1 + b^2) TP_c + b^2 FN_c + FP_c = b^2 n_c + S_c.
  Keeps the softmax output (one N x C); with the compiled CPU kernel (float32), only per-row values.
- :class:`HardSigmoidFocal`: elementwise sigmoid focal loss for 0/1 targets in r = (1 - 2y) x.
  Keeps only the inputs.
- :class:`KernelSigmoidFocal`: the same loss from the compiled CPU kernel (:mod:`torch_impl._kernel`), one
  fused pass for the value and one for the gradient.  Keeps only the inputs.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from . import _kernel

General = Callable[[Tensor], Tensor]

__all__ = ["SoftmaxIndexLoss", "SoftF1Index", "HardSigmoidFocal", "KernelSigmoidFocal", "softmax_index_loss",
           "soft_f1_index", "hard_sigmoid_focal", "kernel_sigmoid_focal"]


def _second_order(ctx: FunctionCtx, grad: Tensor) -> Tensor:
    """The gradient through the general formula, as a differentiable graph (backward with create_graph)."""
    x = ctx.saved_tensors[0]  # type: ignore[attr-defined]
    with torch.enable_grad():
        out = ctx.general(x)  # type: ignore[attr-defined]
        dx: Tensor = torch.autograd.grad(out, x, grad, create_graph=True)[0]
    return dx


def _matvec(m: Tensor, v: Tensor) -> Tensor:
    """m @ v in the inputs' dtype also inside an autocast region (which would run it in 16 bits)."""
    with torch.autocast(m.device.type, enabled=False):
        return torch.mv(m, v)


# ----------------------------------------------------------------------------- softmax CE / focal, index targets
class SoftmaxIndexLoss(torch.autograd.Function):
    r"""Per-row l_i = w_{t_i} f(u_{i,t_i}) (1 - e) - (e / C) sum_c w_c u_{i,c} (0 for ignored rows).

    u = log_softmax(x_i), f(u) = -u (gamma = 0) or -(1 - e^u)^gamma u (gamma > 0, then e = 0), w = 1 without
    weights.  With q = 1 - p_t = -expm1(u_t) (exact to an ulp for every u_t <= 0), the focal factor is
    q^gamma and f'(u) = q^gamma (gamma p u / (1 - p) - 1), where p u / (1 - p) = u e^u / q -> -1 as q -> 0
    (p_t -> 1) and 0 at u = -inf: finite for every u <= 0, also for 0 < gamma < 1.
    Backward, with a_i = (1 - e) w_t f'(u_t) g_i, b_i = (e / C) g_i [kept], W = sum_c w_c:
        dl/dx_ij = p_ij (b_i W - a_i) - b_i w_j + a_i [j = t_i]
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, t: Tensor, gamma: float, e: float, weight: Tensor | None,
                ignore_index: int, general: General) -> Tensor:
        ignored = t == ignore_index
        safe_t = t.masked_fill(ignored, 0)
        rows = _kernel.softmax_rows(x, safe_t, weight, bool(e))  # the compiled CPU kernel: nothing N x C
        if rows is None:
            lsm = torch.log_softmax(x, dim=1)
            u_t = lsm.gather(1, safe_t.unsqueeze(1)).squeeze(1)
            kept: tuple[Tensor, ...] = (lsm,)
        else:
            u_t = rows.log_p_target
            kept = (rows.max, rows.log_sum)
        if gamma == 0:
            q = pw = u_t  # placeholders, unused by backward when gamma = 0
            loss = u_t.neg()
        else:
            q = torch.expm1(u_t).neg_()
            pw = q.pow(gamma)
            loss = torch.mul(pw, u_t).neg_()
        if weight is None:
            w_t = None
            loss.masked_fill_(ignored, 0.0)
        else:
            w_t = weight[safe_t].masked_fill_(ignored, 0.0)
            loss = torch.where(w_t == 0, 0.0, loss.mul_(w_t))  # a zero weight gives 0 also against -log p_t = inf
        if e:
            if rows is not None and rows.smooth is not None:
                smooth = rows.smooth
            else:
                smooth = lsm.sum(dim=1) if weight is None else _matvec(lsm, weight)
            loss = loss.mul_(1 - e).sub_(smooth.masked_fill_(ignored, 0.0), alpha=e / x.shape[1])
        ctx.save_for_backward(x, safe_t, ignored, w_t, u_t, q, pw, weight, *kept)  # type: ignore[arg-type]
        ctx.gamma, ctx.e, ctx.general = gamma, e, general  # type: ignore[attr-defined]
        return loss

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, None, None, None, None, None, None]:
        if torch.is_grad_enabled():
            return _second_order(ctx, grad), None, None, None, None, None, None
        x, safe_t, ignored, w_t, u_t, q, pw, weight, *kept = ctx.saved_tensors  # type: ignore[attr-defined]
        gamma: float = ctx.gamma  # type: ignore[attr-defined]
        e: float = ctx.e  # type: ignore[attr-defined]
        if gamma == 0:
            a = grad * (e - 1)
        else:  # p u / (1 - p) = u e^u / q: NaN exactly at q = 0 (limit -1) and at u = -inf (limit 0)
            ratio = torch.where(q == 0, -1.0, torch.exp(u_t).mul_(u_t).div_(q))
            a = ratio.masked_fill_(u_t == -math.inf, 0.0).mul_(gamma).sub_(1).mul_(pw).mul_(grad)
        if w_t is None:
            a.masked_fill_(ignored, 0.0)
        else:
            a.mul_(w_t)
        num_classes = x.shape[1]
        b = grad.masked_fill(ignored, 0.0).mul_(e / num_classes) if e else None
        total = num_classes if weight is None else weight.sum()
        if len(kept) == 2:  # the kernel's row maxima and log-sums
            k = a.neg() if b is None else b * total - a
            dx = _kernel.softmax_grad(x, weight, (kept[0], kept[1]), k, a, b, safe_t)
            return dx, None, None, None, None, None, None
        dx = torch.exp(kept[0])  # softmax from the kept log_softmax
        if b is not None:
            dx.mul_((b * total - a).unsqueeze(1))
            if weight is None:
                dx.sub_(b.unsqueeze(1))
            else:
                dx.addr_(b, weight, alpha=-1)
        else:
            dx.mul_(a.neg().unsqueeze(1))
        return dx.scatter_add_(1, safe_t.unsqueeze(1), a.unsqueeze(1)), None, None, None, None, None, None


def softmax_index_loss(x: Tensor, t: Tensor, gamma: float, e: float, weight: Tensor | None, ignore_index: int,
                       reduction: str, general: General) -> Tensor:
    """:class:`SoftmaxIndexLoss` reduced as ``F.cross_entropy``: "mean" divides by the sum of the target
    weights of the kept rows (NaN when it is 0)."""
    apply = SoftmaxIndexLoss.apply
    loss: Tensor = apply(x, t, gamma, e, weight, ignore_index, general)  # type: ignore[no-untyped-call]
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    keep = t != ignore_index
    den = keep.sum().to(x.dtype) if weight is None else torch.where(keep, weight[torch.where(keep, t, 0)], 0.0).sum()
    return torch.where(den == 0, math.nan, loss.sum() / den)


# ----------------------------------------------------------------------------- soft F1, index targets
class SoftF1Index(torch.autograd.Function):
    r"""1 - mean_c F_c (macro) or 1 - F (micro) for P = softmax(x), class-index targets, ignored rows left out.

    With n_c = #{kept i: t_i = c}, S_c = sum_{kept i} p_ic, TP_c = sum_{kept i: t_i = c} p_ic:
    FN = n - TP and FP = S - TP, so D_c = (1 + b^2) TP_c + b^2 FN_c + FP_c + eps = b^2 n_c + S_c + eps and
    F_c = (1 + b^2) TP_c / D_c (micro: the counts summed over classes first, K = 1 below; else K = C).
    dL/dp_ic = [kept i] (A_c + [t_i = c] B_c),  A = F / (K D),  B = -(1 + b^2) / (K D); through softmax, with
    P set to 0 on ignored rows (kept for backward: one N x C)
        dL/dx_ij = P_ij (A_j - r_i) + [j = t_i] P_ij B_j,  r_i = sum_k P_ik A_k + P_it B_t
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, t: Tensor, beta: float, eps: float, micro: bool, ignore_index: int,
                general: General) -> Tensor:
        num_classes = x.shape[1]
        keep = t != ignore_index
        safe_t = torch.where(keep, t, 0)
        kept = keep.to(x.dtype)
        rows = _kernel.softmax_colsum(x, kept)  # the compiled CPU kernel: no N x C buffer in the forward
        if rows is None:
            p = torch.softmax(x, dim=1).masked_fill_(~keep.unsqueeze(1), 0.0)  # ignored rows: 0, even if NaN
            p_t = p.gather(1, safe_t.unsqueeze(1)).squeeze(1)
            s = p.sum(dim=0)
            saved: tuple[Tensor, ...] = (p,)
        else:
            m, log_sum, colsum = rows
            p_t = x.gather(1, safe_t.unsqueeze(1)).squeeze(1).sub_(m).sub_(log_sum).exp_()
            p_t = torch.where(keep, p_t, 0.0)
            s = colsum.to(x.dtype)
            saved = (kept, m, log_sum)
        # per-class sums over N rows: index_add_ adds in sequence (relative error ~ N eps in float32), so it
        # accumulates in float64 (not on MPS, which has none); p.sum(0) above sums pairwise (a matrix-vector
        # product would be faster, but it too adds in sequence), the kernel in float64
        acc = x.dtype if x.device.type == "mps" else torch.float64
        tp = torch.zeros(num_classes, dtype=acc, device=x.device).index_add_(0, safe_t, p_t.to(acc)).to(x.dtype)
        n = x.new_zeros(num_classes).index_add_(0, safe_t, kept)  # integers: exact below 2**24 per class
        b2 = beta * beta
        if micro:
            tp, n, s = tp.sum().unsqueeze(0), n.sum().unsqueeze(0), s.sum().unsqueeze(0)
        d = n.mul_(b2).add_(s).add_(eps)
        f = tp.mul_(1 + b2).div_(d)
        ctx.save_for_backward(x, safe_t, p_t, f, d, *saved)
        ctx.beta, ctx.general = beta, general  # type: ignore[attr-defined]
        return 1 - f.mean()

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, None, None, None, None, None, None]:
        if torch.is_grad_enabled():
            return _second_order(ctx, grad), None, None, None, None, None, None
        x, safe_t, p_t, f, d, *saved = ctx.saved_tensors  # type: ignore[attr-defined]
        num_classes = x.shape[1]
        k = f.numel()
        a = (f / (k * d)).mul_(grad)
        b = d.reciprocal().mul_(grad * (-(1 + ctx.beta ** 2) / k))  # type: ignore[attr-defined]
        if k == 1:
            a, b = a.expand(num_classes), b.expand(num_classes)
        if len(saved) == 3:  # the kernel's keep mask, row maxima and log-sums
            dx = _kernel.softmax_linear_grad(x, saved[0], (saved[1], saved[2]), a, b, safe_t)
            return dx, None, None, None, None, None, None
        p = saved[0]
        pb = p_t * b[safe_t]
        r = _matvec(p, a).add_(pb)
        dx = torch.sub(a.unsqueeze(0), r.unsqueeze(1)).mul_(p)  # p is 0 on ignored rows
        return dx.scatter_add_(1, safe_t.unsqueeze(1), pb.unsqueeze(1)), None, None, None, None, None, None


def soft_f1_index(x: Tensor, t: Tensor, beta: float, eps: float, micro: bool, ignore_index: int,
                  general: General) -> Tensor:
    out: Tensor = SoftF1Index.apply(x, t, beta, eps, micro, ignore_index, general)  # type: ignore[no-untyped-call]
    return out


# ----------------------------------------------------------------------------- sigmoid focal, 0/1 targets
def _between(y: Tensor, at_zero: float | Tensor, at_one: float | Tensor, out: Tensor | None = None) -> Tensor:
    """at_zero where y = 0, at_one where y = 1, exactly: torch.lerp returns its end points exactly at weights 0
    and 1 (no at_zero + (at_one - at_zero) y cancellation, e.g. for alpha_t at alpha = 1e-7), in one pass."""
    start = at_zero if isinstance(at_zero, Tensor) else y.new_full((), at_zero)
    end = at_one if isinstance(at_one, Tensor) else y.new_full((), at_one)
    return torch.lerp(start, end, y, out=out)


class HardSigmoidFocal(torch.autograd.Function):
    r"""Elementwise alpha_t (1 - p_t)^gamma BCE(x, y) for y in {0, 1}, in r = (1 - 2y) x.

    q = 1 - p_t = sigmoid(r), ce = -log sigmoid(-r) (one kernel each, no cancellation),
    loss = alpha_t q^gamma ce;  dq/dr = q (1 - q), dce/dr = q, so
        dl/dx = (1 - 2y) alpha_t q^gamma (gamma (1 - q) ce + q)
    with (1 - q) ce = sigmoid(-r) ce set to its limit 0 where r = +inf.  Keeps only x and y; the forward
    allocates two elementwise buffers, the backward three (fresh large buffers cost page faults on CPU).
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, y: Tensor, gamma: float, alpha: float | None,
                general: General) -> Tensor:
        work = _between(y, -1.0, 1.0).mul_(x)  # -r = (2y - 1) x; a product, not x - 2 y x (inf - inf at x = inf)
        loss = F.logsigmoid(work).neg_()  # ce
        if gamma != 0:  # q^gamma; where it underflows, so does ce (ce ~ q as r -> -inf)
            loss.mul_(work.neg_().sigmoid_().pow_(gamma))
        if alpha is not None:
            loss.mul_(_between(y, 1 - alpha, alpha, out=work))
        ctx.save_for_backward(x, y)
        ctx.gamma, ctx.alpha, ctx.general = gamma, alpha, general  # type: ignore[attr-defined]
        return loss

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, None, None, None, None]:
        if torch.is_grad_enabled():
            return _second_order(ctx, grad), None, None, None, None
        x, y = ctx.saved_tensors  # type: ignore[attr-defined]
        gamma: float = ctx.gamma  # type: ignore[attr-defined]
        alpha: float | None = ctx.alpha  # type: ignore[attr-defined]
        work = _between(y, 1.0, -1.0).mul_(x)  # r = (1 - 2y) x
        q = torch.sigmoid(work)
        if gamma == 0:
            d = q
        else:
            ce = F.logsigmoid(work.neg_())  # -ce
            tail = work.sigmoid_().mul_(ce).neg_().nan_to_num_(nan=0.0)  # (1 - q) ce; 0 * inf -> 0 at r = +inf
            d = torch.add(q, tail, alpha=gamma, out=tail).mul_(q.pow_(gamma))
            work = ce
        # (1 - 2y) alpha_t, times the incoming gradient when it is one value broadcast (the "mean"/"sum" case)
        pos, neg = (1.0, -1.0) if alpha is None else (1 - alpha, -alpha)
        if grad.numel() > 0 and not any(grad.stride()):
            g = grad.reshape(-1)[0]
            return d.mul_(_between(y, g * pos, g * neg, work)), None, None, None, None
        return d.mul_(_between(y, pos, neg, work)).mul_(grad), None, None, None, None


def hard_sigmoid_focal(x: Tensor, y: Tensor, gamma: float, alpha: float | None, general: General) -> Tensor:
    out: Tensor = HardSigmoidFocal.apply(x, y, gamma, alpha, general)  # type: ignore[no-untyped-call]
    return out


class KernelSigmoidFocal(torch.autograd.Function):
    """Sigmoid focal loss for 0/1 targets from the compiled CPU kernel (:mod:`torch_impl._kernel`): the forward
    pass evaluates the value, the backward pass the gradient times the incoming one, each in one fused pass.
    Keeps only the inputs.  The value comes in a tuple, so that autograd sees a fresh output, not an input."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, y: Tensor, value: tuple[Tensor], gamma: float, alpha: float | None,
                scale: float, general: General) -> Tensor:
        ctx.save_for_backward(x, y)
        ctx.gamma, ctx.alpha, ctx.scale, ctx.general = gamma, alpha, scale, general  # type: ignore[attr-defined]
        return value[0]

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, None, None, None, None, None, None]:
        if torch.is_grad_enabled():
            return _second_order(ctx, grad), None, None, None, None, None, None
        x, y = ctx.saved_tensors  # type: ignore[attr-defined]
        dx = _kernel.sigmoid_focal_grad(x, y, ctx.gamma, ctx.alpha, grad, ctx.scale)  # type: ignore[attr-defined]
        return dx, None, None, None, None, None, None


def kernel_sigmoid_focal(x: Tensor, y: Tensor, gamma: float, alpha: float | None, reduction: str,
                         general: General) -> Tensor | None:
    """The loss from the compiled kernel where it applies (see :func:`_kernel.sigmoid_focal`), else None.
    ``general`` is the differentiable formula with the same reduction (for second derivatives)."""
    value = _kernel.sigmoid_focal(x.detach(), y, gamma, alpha, reduction)
    if value is None or not (torch.is_grad_enabled() and x.requires_grad):
        return value
    scale = 1.0 / x.numel() if reduction == "mean" else 1.0
    out: Tensor = KernelSigmoidFocal.apply(x, y, (value,), gamma, alpha, scale, general)  # type: ignore[no-untyped-call]
    return out
