"""Entropy, cross-entropy and Kullback-Leibler divergence of discrete distributions (PyTorch).

Same names, signatures and conventions as ``reference.information``; autograd-capable, on any device.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from . import _checks as C
from ._math import compute_dtype, xlogy

__all__ = ["entropy", "cross_entropy", "kl_divergence"]


def _check_options(func: str, axis: int, base: float | None, from_logits: bool, validate_args: bool) -> None:
    C.check_int(func, "axis", axis)
    C.check_base(func, base)
    C.check_bool(func, "from_logits", from_logits)
    C.check_bool(func, "validate_args", validate_args)


def _distribution(func: str, name: str, x: Tensor, axis: int, from_logits: bool, validate_args: bool) -> int:
    """Check one distribution argument (the order of ``reference``); return the normalised axis."""
    C.check_ndim_at_least(func, name, x.shape, 1, "(..., K)")
    ax = C.check_axis(func, axis, x.ndim)
    if validate_args and not from_logits:
        C.check_simplex(func, name, x, ax, f"axis {axis}", C.simplex_rtol(C.dtype_name(x.dtype)))
    return ax


def _scale(h: Tensor, base: float | None) -> Tensor:
    return h if base is None else h / math.log(base)


def _log_probs(x: Tensor, axis: int) -> tuple[Tensor, Tensor]:
    """(p, log p) from logits: a stable softmax and log_softmax (no exp of a large number)."""
    log_p = torch.log_softmax(x, dim=axis)
    return torch.exp(log_p), log_p


def _times_log(p: Tensor, log_q: Tensor) -> Tensor:
    """p * log q with 0 * log q := 0 also for log q = -inf, in value and gradient."""
    zero = p == 0
    return p * torch.where(zero, torch.zeros_like(log_q), log_q)


def _pair(func: str, p: Tensor, q: Tensor, axis: int, from_logits: bool,
          validate_args: bool) -> tuple[Tensor, Tensor, int, torch.dtype]:
    """Checked ``p``, ``q``; the normalised axis and the output dtype."""
    p = C.as_float(func, "p", p)
    ax = _distribution(func, "p", p, axis, from_logits, validate_args)
    q = C.as_float(func, "q", q)
    C.check_same_shape(func, "q", q.shape, "p", p.shape)
    C.check_same_device(func, "q", q, "p", p)
    _distribution(func, "q", q, axis, from_logits, validate_args)
    return p, q, ax, torch.promote_types(p.dtype, q.dtype)


def entropy(p: Tensor, *, axis: int = -1, base: float | None = None, from_logits: bool = False,
            validate_args: bool = True) -> Tensor:
    r"""Shannon entropy of the distributions along ``axis``.

    Math:
        H(p) = -sum_k p_k log p_k, with 0 log 0 = 0.
        .. math:: H(p) = -\sum_k p_k \log p_k

    Args:
        p: probabilities, floating, shape ``(..., K, ...)`` with the distribution along ``axis``;
            logits when ``from_logits=True`` (turned into probabilities by a stable softmax).
        axis: the distribution axis.
        base: logarithm base (``2`` gives bits); ``None`` is the natural log (nats).
        from_logits: ``p`` is given as logits.
        validate_args: check that ``p`` is non-negative and sums to 1 (rtol 1e-6; 1e-2 for 16-bit).
    Returns:
        The input shape without ``axis`` (0-d for one distribution), in the input's dtype (computed in at
        least float32), on its device.
    Conventions:
        - If ``p_k`` is 0, its term is 0 (``0 log 0 = 0``).
        - If ``p`` is one-hot, the result is 0; if uniform over K, it is ``log K``; always ``0 <= H <= log K``.
    Raises:
        TypeError: ``p`` is not floating point; an option has the wrong type.
        ValueError: ``p`` is 0-d, ``axis`` out of range, ``base`` not > 0 and != 1, or ``p`` is not a
            probability vector along ``axis``.
    References:
        Shannon. "A Mathematical Theory of Communication". Bell System Technical Journal, 1948.

    Examples:
        >>> float(entropy(torch.tensor([0.5, 0.5]), base=2))
        1.0
    """
    func = "entropy"
    _check_options(func, axis, base, from_logits, validate_args)
    p = C.as_float(func, "p", p)
    ax = _distribution(func, "p", p, axis, from_logits, validate_args)
    x = p.to(compute_dtype(p))
    if from_logits:
        probs, log_p = _log_probs(x, ax)
        h = 0.0 - _times_log(probs, log_p).sum(dim=ax)  # 0.0 - x: no -0.0 for one-hot rows
    else:
        h = 0.0 - xlogy(x, x).sum(dim=ax)
    return _scale(h, base).to(p.dtype)


def cross_entropy(p: Tensor, q: Tensor, *, axis: int = -1, base: float | None = None, from_logits: bool = False,
                  validate_args: bool = True) -> Tensor:
    r"""Cross-entropy of ``q`` relative to ``p`` along ``axis``.

    Math:
        H(p, q) = -sum_k p_k log q_k = H(p) + KL(p || q).
        .. math:: H(p, q) = -\sum_k p_k \log q_k

    Args:
        p: the true distribution, floating, distribution along ``axis``.
        q: the model distribution, same shape as ``p``.
        axis: the distribution axis.
        base: logarithm base; ``None`` is the natural log.
        from_logits: ``p`` and ``q`` are both given as logits.
        validate_args: check that both are probability vectors along ``axis``.
    Returns:
        The input shape without ``axis``, dtype ``promote_types(p.dtype, q.dtype)`` (computed in at least
        float32), on the input's device.
    Conventions:
        - If ``p_k`` is 0, its term is 0 whatever ``q_k`` is.
        - If ``p_k > 0`` and ``q_k = 0``, the result is ``+inf``.
        - ``cross_entropy(p, p) == entropy(p)``.
    Raises:
        TypeError: ``p`` or ``q`` is not floating point; an option has the wrong type.
        ValueError: shapes differ, ``axis``/``base`` invalid, or an argument is not a probability vector.
    References:
        Cover, Thomas. "Elements of Information Theory", 2nd ed., 2006, §2.3 and §5.4.

    Examples:
        >>> float(cross_entropy(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]), base=2))
        1.0
    """
    func = "cross_entropy"
    _check_options(func, axis, base, from_logits, validate_args)
    p, q, ax, out_dtype = _pair(func, p, q, axis, from_logits, validate_args)
    work = torch.promote_types(out_dtype, torch.float32)
    x, y = p.to(work), q.to(work)
    if from_logits:
        probs, _ = _log_probs(x, ax)
        h = 0.0 - _times_log(probs, torch.log_softmax(y, dim=ax)).sum(dim=ax)
    else:
        h = 0.0 - xlogy(x, y).sum(dim=ax)
    return _scale(h, base).to(out_dtype)


def _rel_entr(p: Tensor, q: Tensor) -> Tensor:
    """p * log(p / q) with 0 at p = 0 (value and gradient) and +inf at p > 0 = q; NaN propagates."""
    zero = p == 0
    one = torch.ones_like(p)
    sp, sq = torch.where(zero, one, p), torch.where(zero, one, q)
    return torch.where(zero, torch.zeros_like(p), sp * (torch.log(sp) - torch.log(sq)))  # p / q could overflow


def kl_divergence(p: Tensor, q: Tensor, *, axis: int = -1, base: float | None = None, from_logits: bool = False,
                  validate_args: bool = True) -> Tensor:
    r"""Kullback-Leibler divergence KL(p ‖ q) along ``axis``: the first argument is the true distribution.

    Math:
        KL(p || q) = sum_k p_k (log p_k - log q_k) = H(p, q) - H(p) >= 0.
        .. math:: D_{\mathrm{KL}}(p \,\|\, q) = \sum_k p_k \log \frac{p_k}{q_k}

    Args:
        p: the true distribution, floating, distribution along ``axis``.
        q: the approximating distribution, same shape as ``p``.
        axis: the distribution axis.
        base: logarithm base; ``None`` is the natural log.
        from_logits: ``p`` and ``q`` are both given as logits.
        validate_args: check that both are probability vectors along ``axis``.
    Returns:
        The input shape without ``axis``, dtype ``promote_types(p.dtype, q.dtype)`` (computed in at least
        float32), on the input's device.
    Conventions:
        - If ``p_k`` is 0, its term is 0 whatever ``q_k`` is.
        - If ``p_k > 0`` and ``q_k = 0``, the result is ``+inf``.
        - ``kl_divergence(p, p) == 0``.
        - Argument order is (true, approximating), as ``scipy.stats.entropy(p, q)``;
          ``torch.nn.functional.kl_div(input, target)`` takes them the other way round (and ``input`` as log q).
    Raises:
        TypeError: ``p`` or ``q`` is not floating point; an option has the wrong type.
        ValueError: shapes differ, ``axis``/``base`` invalid, or an argument is not a probability vector.
    References:
        Kullback, Leibler. "On Information and Sufficiency". Annals of Mathematical Statistics, 1951.

    Examples:
        >>> float(kl_divergence(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]), base=2))
        1.0
    """
    func = "kl_divergence"
    _check_options(func, axis, base, from_logits, validate_args)
    p, q, ax, out_dtype = _pair(func, p, q, axis, from_logits, validate_args)
    work = torch.promote_types(out_dtype, torch.float32)
    x, y = p.to(work), q.to(work)
    if from_logits:
        probs, log_p = _log_probs(x, ax)
        d = _times_log(probs, log_p - torch.log_softmax(y, dim=ax)).sum(dim=ax)
    else:
        d = _rel_entr(x, y).sum(dim=ax)
    return _scale(d, base).to(out_dtype)
