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
    r"""Shannon entropy of probability vectors along ``axis``.

    Math:
        H(p) = -sum_i p_i * log(p_i),  with 0 * log 0 = 0;  divided by log(base) when ``base`` is given.
        .. math:: H(p) = -\sum_i p_i \log p_i

    Args:
        p: floating, shape ``(..., K, ...)`` with the distribution along ``axis``; probabilities
            (non-negative, summing to 1), or logits when ``from_logits=True``.
        axis: the axis holding the distribution.
        base: logarithm base (``2`` gives bits), or ``None`` for nats.
        from_logits: ``p`` holds logits, turned into probabilities by a stable softmax.
        validate_args: check that ``p`` lies on the probability simplex.
    Returns:
        Shape of ``p`` without ``axis``; same dtype as ``p`` (computed in at least float32).
    Conventions:
        - If ``p_i`` is 0, its term is 0 (0 * log 0 = 0), and its gradient is 0.
        - If ``p`` is one-hot, the result is 0; if ``p`` is uniform over K entries, the result is log K.
        - If any element of ``p`` is NaN, the result for that distribution is NaN.
    Raises:
        TypeError: ``p`` is not a floating tensor; an option has the wrong type.
        ValueError: bad ``axis`` or ``base``; ``p`` not on the simplex (``validate_args=True``).
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
        H(p, q) = -sum_i p_i * log(q_i),  with 0 * log q = 0;  divided by log(base) when ``base`` is given.
        .. math:: H(p, q) = -\sum_i p_i \log q_i

    Args:
        p: floating, shape ``(..., K, ...)``; the reference distribution (probabilities, or logits
            when ``from_logits=True``).
        q: floating, the shape of ``p``; the model distribution (same kind as ``p``).
        axis: the axis holding the distributions.
        base: logarithm base (``2`` gives bits), or ``None`` for nats.
        from_logits: ``p`` and ``q`` hold logits, turned into probabilities by a stable softmax.
        validate_args: check that ``p`` and ``q`` lie on the probability simplex.
    Returns:
        Shape of ``p`` without ``axis``; dtype ``promote_types(p.dtype, q.dtype)`` (computed in at least float32).
    Conventions:
        - If ``p_i`` is 0, its term is 0 whatever ``q_i`` is (also ``q_i = 0``), with gradient 0.
        - If ``p_i > 0`` and ``q_i = 0``, the result is +inf.
        - ``cross_entropy(p, p) == entropy(p)``.
        - If any input element is NaN, the result for that distribution is NaN.
    Raises:
        TypeError: ``p`` or ``q`` is not a floating tensor; an option has the wrong type.
        ValueError: shapes or devices differ; bad ``axis`` or ``base``; an input not on the simplex.
    References:
        Cover, Thomas. "Elements of Information Theory", 2nd ed., Wiley 2006, section 2.3.

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
    r"""Kullback-Leibler divergence KL(p || q) along ``axis``.

    Math:
        KL(p || q) = sum_i p_i * log(p_i / q_i) = H(p, q) - H(p) >= 0;  divided by log(base) when given.
        .. math:: D_{\mathrm{KL}}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i}

    Args:
        p: floating, shape ``(..., K, ...)``; probabilities, or logits when ``from_logits=True``.
        q: floating, the shape of ``p``; same kind as ``p``.
        axis: the axis holding the distributions.
        base: logarithm base (``2`` gives bits), or ``None`` for nats.
        from_logits: ``p`` and ``q`` hold logits, turned into probabilities by a stable softmax.
        validate_args: check that ``p`` and ``q`` lie on the probability simplex.
    Returns:
        Shape of ``p`` without ``axis``; dtype ``promote_types(p.dtype, q.dtype)`` (computed in at least float32).
    Conventions:
        - If ``p_i`` is 0, its term is 0 whatever ``q_i`` is, with gradient 0.
        - If ``p_i > 0`` and ``q_i = 0``, the result is +inf.
        - ``kl_divergence(p, p) == 0``.
        - If any input element is NaN, the result for that distribution is NaN.
    Raises:
        TypeError: ``p`` or ``q`` is not a floating tensor; an option has the wrong type.
        ValueError: shapes or devices differ; bad ``axis`` or ``base``; an input not on the simplex.
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
