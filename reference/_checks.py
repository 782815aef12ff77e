"""Argument validation for the NumPy reference.

Every message follows one template, word for word the same as in ``torch_impl/_checks.py``::

    "{func}: `{name}` must be {constraint}; got {value}."

Option checks are pure Python; array checks take NumPy arrays.  Data-dependent checks
(index ranges, probability simplex) are the ones ``validate_args=False`` skips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

REDUCTIONS = ("mean", "sum", "none")
SMOOTHING_MODES = ("uniform", "off_target")


# ----------------------------------------------------------------------------- options
def check_in(func: str, name: str, value: Any, allowed: Sequence[Any]) -> None:
    if not any(value is a or (type(value) is type(a) and value == a) for a in allowed):
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{func}: `{name}` must be one of {choices}; got {value!r}.")


def check_bool(func: str, name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: `{name}` must be a bool; got {value!r}.")


def check_real(func: str, name: str, value: Any) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: `{name}` must be a real number; got {value!r}.")


def check_int(func: str, name: str, value: Any) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{func}: `{name}` must be an int; got {value!r}.")


def check_nonnegative(func: str, name: str, value: Any) -> None:
    check_real(func, name, value)
    if not value >= 0:  # written this way so that NaN is rejected too
        raise ValueError(f"{func}: `{name}` must be >= 0; got {value!r}.")


def check_positive(func: str, name: str, value: Any) -> None:
    check_real(func, name, value)
    if not value > 0:
        raise ValueError(f"{func}: `{name}` must be > 0; got {value!r}.")


def check_unit_interval(func: str, name: str, value: Any) -> None:
    check_real(func, name, value)
    if not 0 <= value <= 1:
        raise ValueError(f"{func}: `{name}` must be in [0, 1]; got {value!r}.")


def check_int_at_least(func: str, name: str, value: Any, lower: int) -> None:
    check_int(func, name, value)
    if not value >= lower:
        raise ValueError(f"{func}: `{name}` must be >= {lower}; got {value!r}.")


def check_reduction(func: str, reduction: Any) -> None:
    check_in(func, "reduction", reduction, REDUCTIONS)


def check_base(func: str, base: Any) -> None:
    if base is None:
        return
    check_real(func, "base", base)
    if not (base > 0 and base != 1):
        raise ValueError(f"{func}: `base` must be > 0 and != 1, or None; got {base!r}.")


# ----------------------------------------------------------------------------- arrays
def dtype_name(dtype: Any) -> str:
    """The dtype's short name, spelled the same in both packages (``float32``, ``int64``)."""
    return str(dtype).removeprefix("torch.")


def as_array(func: str, name: str, value: ArrayLike) -> NDArray[Any]:
    """``np.asarray`` that turns ragged or non-numeric input into a ``TypeError`` naming ``name``."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise TypeError(f"{func}: `{name}` must be an array of numbers; got {type(value).__name__}.") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{func}: `{name}` must be an array of numbers; got dtype {dtype_name(arr.dtype)}.")
    return arr


def as_float(func: str, name: str, value: ArrayLike) -> NDArray[np.float64]:
    """A floating-point array as float64; integer or boolean input is a ``TypeError``."""
    arr = as_array(func, name, value)
    if arr.dtype.kind != "f":
        raise TypeError(f"{func}: `{name}` must have a floating dtype; got {dtype_name(arr.dtype)}.")
    return arr.astype(np.float64, copy=False)


def as_index(func: str, name: str, value: ArrayLike) -> NDArray[np.int64]:
    """An integer array as int64; floating or boolean input is a ``TypeError``."""
    arr = as_array(func, name, value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{func}: `{name}` must have an integer dtype; got {dtype_name(arr.dtype)}.")
    return arr.astype(np.int64, copy=False)


def check_ndim_at_least(func: str, name: str, shape: tuple[int, ...], ndim: int, layout: str) -> None:
    if len(shape) < ndim:
        raise ValueError(f"{func}: `{name}` must have at least {ndim} dimensions {layout}; got shape {tuple(shape)}.")


def check_same_shape(func: str, name: str, shape: tuple[int, ...], other: str, other_shape: tuple[int, ...]) -> None:
    if tuple(shape) != tuple(other_shape):
        raise ValueError(
            f"{func}: `{name}` must have shape {tuple(other_shape)} to match `{other}`; got {tuple(shape)}."
        )


def check_shape(func: str, name: str, shape: tuple[int, ...], expected: tuple[int, ...], why: str) -> None:
    if tuple(shape) != tuple(expected):
        raise ValueError(f"{func}: `{name}` must have shape {tuple(expected)} {why}; got {tuple(shape)}.")


def check_axis(func: str, axis: Any, ndim: int) -> int:
    """Normalise ``axis`` for an array of ``ndim`` dimensions."""
    check_int(func, "axis", axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{func}: `axis` must be in [{-ndim}, {ndim - 1}]; got {axis!r}.")
    return int(axis) % ndim


# ----------------------------------------------------------------------------- data checks
def simplex_rtol(dtype_of_input: str) -> float:
    """Relative tolerance on ``sum == 1``: 1e-2 for 16-bit inputs, 1e-6 otherwise (API.md)."""
    return 1e-2 if dtype_of_input in ("float16", "bfloat16") else 1e-6


def report_simplex(func: str, name: str, axis_text: str, low: float, sum_low: float, sum_high: float,
                   rtol: float) -> None:
    """Raise unless ``low >= 0`` and both sums are within ``rtol`` of 1 (NaN fails)."""
    if not (low >= 0 and abs(sum_low - 1) <= rtol and abs(sum_high - 1) <= rtol):
        raise ValueError(
            f"{func}: `{name}` must be non-negative and sum to 1 along {axis_text}; "
            f"got minimum {low!r} and sums in [{sum_low!r}, {sum_high!r}]."
        )


def check_simplex(func: str, name: str, p: NDArray[np.float64], axis: int, axis_text: str, rtol: float) -> None:
    if p.size == 0:
        return
    sums = p.sum(axis=axis)
    report_simplex(func, name, axis_text, float(p.min()), float(sums.min()), float(sums.max()), rtol)


def report_range(func: str, name: str, low: float, high: float, lower: float, upper: float, what: str) -> None:
    """Raise unless every value lies in ``[lower, upper]`` (NaN fails)."""
    if not (low >= lower and high <= upper):
        raise ValueError(f"{func}: `{name}` must hold {what}; got values in [{low!r}, {high!r}].")


def check_values_in(func: str, name: str, x: NDArray[Any], lower: float, upper: float, what: str) -> None:
    if x.size:
        report_range(func, name, x.min().item(), x.max().item(), lower, upper, what)


def check_class_indices(func: str, name: str, target: NDArray[np.int64], num_classes: int | None,
                        ignore_index: int | None) -> None:
    """Every entry is a class index in ``[0, num_classes - 1]`` (``>= 0`` if ``num_classes`` is None) or equals
    ``ignore_index``."""
    kept = target if ignore_index is None else target[target != ignore_index]
    if kept.size == 0:
        return
    what = "class indices >= 0" if num_classes is None else f"class indices in [0, {num_classes - 1}]"
    if ignore_index is not None:
        what += f" or ignore_index {ignore_index}"
    upper = float("inf") if num_classes is None else num_classes - 1
    report_range(func, name, int(kept.min()), int(kept.max()), 0, upper, what)


# ----------------------------------------------------------------------------- metrics
def check_zero_division(func: str, value: Any) -> None:
    """``zero_division`` is 0, 1 or NaN (scikit-learn's numeric choices; ``"warn"`` is not offered)."""
    numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not (numeric and (value == 0 or value == 1 or value != value)):
        raise ValueError(f"{func}: `zero_division` must be 0.0, 1.0 or nan; got {value!r}.")


def check_positive_finite(func: str, name: str, value: Any) -> None:
    check_real(func, name, value)
    if not 0 < value < float("inf"):
        raise ValueError(f"{func}: `{name}` must be > 0 and finite; got {value!r}.")


def check_labels(func: str, labels: Any, num_classes: int) -> tuple[int, ...] | None:
    """``None``, or a non-empty sequence of distinct class indices in ``[0, num_classes - 1]`` (returned as ints)."""
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in labels):
        raise TypeError(f"{func}: `labels` must be a sequence of ints or None; got {labels!r}.")
    values = tuple(int(v) for v in labels)
    if not values or len(set(values)) != len(values) or not all(0 <= v < num_classes for v in values):
        raise ValueError(f"{func}: `labels` must be a non-empty sequence of distinct class indices in "
                         f"[0, {num_classes - 1}]; got {labels!r}.")
    return values


def check_binary_average(func: str, num_classes: int, labels: Any, pos_label: int) -> None:
    """``average="binary"``: two classes, no ``labels``, ``pos_label`` one of them."""
    if num_classes != 2:
        raise ValueError(f"{func}: `num_classes` must be 2 when average='binary'; got {num_classes!r}.")
    if labels is not None:
        raise ValueError(f"{func}: `labels` must be None when average='binary' (pos_label picks the class); "
                         f"got {labels!r}.")
    if pos_label not in (0, 1):
        raise ValueError(f"{func}: `pos_label` must be 0 or 1 when average='binary'; got {pos_label!r}.")


def check_scores_shape(func: str, shape: tuple[int, ...], target_shape: tuple[int, ...],
                       num_classes: int | None) -> None:
    """Scores ``preds`` have ``target``'s shape with a class axis (of ``num_classes`` if given) inserted at 1."""
    n, rest = target_shape[0], tuple(target_shape[1:])
    if (len(shape) == len(target_shape) + 1 and shape[0] == n and tuple(shape[2:]) == rest
            and (shape[1] >= 1 if num_classes is None else shape[1] == num_classes)):
        return
    expected = "(" + ", ".join([str(n), "C" if num_classes is None else str(num_classes), *map(str, rest)]) + ")"
    raise ValueError(f"{func}: `preds` must have shape {expected} (scores with the class axis at 1) to match "
                     f"`target` {tuple(target_shape)}; got {tuple(shape)}.")


def as_indicator(func: str, name: str, value: ArrayLike) -> NDArray[np.int64]:
    """A 0/1 indicator array (integer or bool dtype) as int64; floating input is a ``TypeError``."""
    arr = as_array(func, name, value)
    if arr.dtype.kind not in "biu":
        raise TypeError(f"{func}: `{name}` must have an integer or bool dtype; got {dtype_name(arr.dtype)}.")
    return arr.astype(np.int64, copy=False)


def check_ndim(func: str, name: str, shape: Sequence[int], ndim: int, layout: str) -> None:
    if len(shape) != ndim:
        raise ValueError(f"{func}: `{name}` must have {ndim} dimensions {layout}; got shape {tuple(shape)}.")
