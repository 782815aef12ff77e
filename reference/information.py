r"""Entropy, cross-entropy and Kullback-Leibler divergence of discrete distributions (float64).

Distributions lie along ``axis`` (default ``-1``); the result has that axis removed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks as C
from ._math import Result, log_softmax

__all__ = ["entropy", "cross_entropy", "kl_divergence"]

Float = NDArray[np.float64]


def _distribution(func: str, name: str, value: ArrayLike, axis: int, from_logits: bool,
                  validate_args: bool) -> tuple[Float, Float, int]:
    """``(p, log p, axis)`` for one distribution argument, checked per the contract."""
    given = C.as_array(func, name, value)
    arr = C.as_float(func, name, given)
    C.check_ndim_at_least(func, name, arr.shape, 1, "(..., K)")
    ax = C.check_axis(func, axis, arr.ndim)
    if from_logits:
        log_p = log_softmax(arr, ax)
        return np.exp(log_p), log_p, ax
    if validate_args:
        C.check_simplex(func, name, arr, ax, f"axis {axis}", C.simplex_rtol(C.dtype_name(given.dtype)))
    with np.errstate(divide="ignore"):
        return arr, np.log(arr), ax


def _options(func: str, axis: Any, base: Any, from_logits: Any, validate_args: Any) -> None:
    C.check_int(func, "axis", axis)
    C.check_base(func, base)
    C.check_bool(func, "from_logits", from_logits)
    C.check_bool(func, "validate_args", validate_args)


def _finish(total: Float, base: float | None) -> Result:
    if base is not None:
        total = total / np.log(base)
    return np.float64(total) if total.ndim == 0 else total


def _pair(func: str, p: ArrayLike, q: ArrayLike, axis: int, from_logits: bool,
          validate_args: bool) -> tuple[Float, Float, Float, int]:
    p_, log_p, ax = _distribution(func, "p", p, axis, from_logits, validate_args)
    q_given = C.as_array(func, "q", q)
    C.check_same_shape(func, "q", C.as_float(func, "q", q_given).shape, "p", p_.shape)
    _, log_q, _ = _distribution(func, "q", q_given, axis, from_logits, validate_args)
    return p_, log_p, log_q, ax


def entropy(p: ArrayLike, *, axis: int = -1, base: float | None = None, from_logits: bool = False,
            validate_args: bool = True) -> Result:
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
        float64, the input shape without ``axis`` (a ``numpy.float64`` scalar for one distribution).
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
        >>> float(entropy([0.5, 0.5], base=2))
        1.0
    """
    func = "entropy"
    _options(func, axis, base, from_logits, validate_args)
    p_, log_p, ax = _distribution(func, "p", p, axis, from_logits, validate_args)
    with np.errstate(invalid="ignore"):  # only exact zeros are masked: NaN still propagates
        terms = np.where(p_ == 0, 0.0, p_ * log_p)
    return _finish(0.0 - terms.sum(axis=ax), base)  # 0.0 - x: no -0.0 for one-hot rows


def cross_entropy(p: ArrayLike, q: ArrayLike, *, axis: int = -1, base: float | None = None,
                  from_logits: bool = False, validate_args: bool = True) -> Result:
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
        float64, the input shape without ``axis``.
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
        >>> float(cross_entropy([1.0, 0.0], [0.5, 0.5], base=2))
        1.0
    """
    func = "cross_entropy"
    _options(func, axis, base, from_logits, validate_args)
    p_, _, log_q, ax = _pair(func, p, q, axis, from_logits, validate_args)
    with np.errstate(invalid="ignore"):
        terms = np.where(p_ == 0, 0.0, p_ * log_q)
    return _finish(0.0 - terms.sum(axis=ax), base)  # 0.0 - x: no -0.0 for one-hot rows


def kl_divergence(p: ArrayLike, q: ArrayLike, *, axis: int = -1, base: float | None = None,
                  from_logits: bool = False, validate_args: bool = True) -> Result:
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
        float64, the input shape without ``axis``.
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
        >>> float(kl_divergence([1.0, 0.0], [0.5, 0.5], base=2))
        1.0
    """
    func = "kl_divergence"
    _options(func, axis, base, from_logits, validate_args)
    p_, log_p, log_q, ax = _pair(func, p, q, axis, from_logits, validate_args)
    with np.errstate(invalid="ignore"):
        terms = np.where(p_ == 0, 0.0, p_ * (log_p - log_q))
    return _finish(terms.sum(axis=ax), base)
