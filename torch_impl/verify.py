"""Check a user's loss implementation against lossref's float64 reference.

``verify_loss(candidate, "focal_loss", params={"gamma": 2.0})`` searches for an input on which
``candidate(logits, target)`` differs from ``reference.focal_loss(logits, target, gamma=2.0)`` in
value or (for torch candidates) in the gradient with respect to ``logits``, using Hypothesis to
generate inputs and to shrink a failing one to a small counterexample.

The inputs aim at the places where hand-written losses break: logits of +-1e4, near-certain
predictions (the target's logit far above the others, so p_t rounds to 1) and hopeless ones (far
below: p_t underflows to 0), ties (a whole row of equal logits), batches with a single class or with classes missing, ignored positions (when
``params`` holds ``ignore_index``), spatial dimensions (``spatial_dims=k``) and soft targets
(``targets="probs"``).  Expected values come from the NumPy reference (``reference``) computed in
float64 on the very values the candidate was given (after rounding to ``dtype``); expected gradients
from the closed forms in ``reference.gradients`` (themselves checked against finite differences).

A check fails when the candidate raises, returns something that is not an array of the expected
shape, returns a non-finite number where the reference is finite, or differs by more than
``atol + rtol * |expected|``.  This is the one module of ``torch_impl`` that imports ``reference``:
it is the oracle.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

try:
    import hypothesis
    import hypothesis.extra.numpy as hnp
    from hypothesis import strategies as st
    from hypothesis.errors import Flaky
except ImportError as _err:  # pragma: no cover - depends on the environment
    raise ImportError("torch_impl.verify needs Hypothesis: pip install 'hypothesis>=6.80'.") from _err

import reference
from reference import gradients as _ref_gradients

from . import losses as _torch_losses
from .registry import resolve_loss_name

__all__ = ["verify_loss", "assert_matches_reference", "VerifyReport", "Counterexample"]

TARGET_KINDS = ("index", "probs")

# (value (rtol, atol), gradient (rtol, atol)) per candidate dtype: a few hundred ulps, so that any
# sound implementation passes and a formula that loses digits at the extremes does not.
DEFAULT_TOLERANCES: dict[torch.dtype, tuple[tuple[float, float], tuple[float, float]]] = {
    torch.float64: ((1e-7, 1e-10), (1e-6, 1e-9)),
    torch.float32: ((1e-4, 1e-5), (1e-3, 1e-5)),
    torch.float16: ((1e-2, 1e-3), (2e-2, 1e-3)),
    torch.bfloat16: ((5e-2, 1e-2), (1e-1, 1e-2)),
}

# Logit values: moderate floats, plus exact ties, saturating and overflowing magnitudes.
_SPECIAL_LOGITS = (0.0, 1.0, -1.0, 30.0, -30.0, 1e4, -1e4)
# How far the target's logit is put above the rest of its row ("near-certain" positions): p_t is
# 1 - 7e-3 (5), 1 - 2e-9 (20: 1 - p_t cancels), exactly 1.0 in float64 (40) or saturated (1e4).
_MARGINS = (40.0, 5.0, 20.0, 1e4)
_TIE_VALUES = (0.0, 1e4, -1e4, 2.5)
_FREE, _CERTAIN, _TIE, _HOPELESS = 0, 1, 2, 3


# ----------------------------------------------------------------------------- report
@dataclass
class Counterexample:
    """The (shrunk) input on which the candidate and the reference disagree."""

    logits: NDArray[Any]
    target: NDArray[Any]
    expected_value: NDArray[np.float64] | None
    got_value: NDArray[np.float64] | None = None
    expected_grad: NDArray[np.float64] | None = None
    got_grad: NDArray[np.float64] | None = None


@dataclass
class VerifyReport:
    """Outcome of :func:`verify_loss`; ``str(report)`` is a readable summary."""

    candidate: str
    against: str
    params: dict[str, Any]
    passed: bool
    examples: int
    shrink_steps: int
    inputs: str
    value_tolerance: tuple[float, float]
    grad_tolerance: tuple[float, float] | None
    value_max_abs_err: float = 0.0
    value_max_rel_err: float = 0.0
    grad_max_abs_err: float | None = None
    grad_max_rel_err: float | None = None
    failed_check: str | None = None
    reason: str | None = None
    counterexample: Counterexample | None = None
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        settings = ", ".join(f"{k}={_fmt_param(v)}" for k, v in self.params.items())
        verdict = "PASS" if self.passed else f"FAIL ({self.failed_check})"
        lines = [f"{self.candidate} vs {self.against}({settings}): {verdict}"]
        tried = f"examples tried: {self.examples}"
        if self.shrink_steps:
            tried += f" (then {self.shrink_steps} shrinking steps)"
        lines.append(f"  {tried}; inputs: {self.inputs}")
        rtol, atol = self.value_tolerance
        lines.append(f"  value errors:    max abs {self.value_max_abs_err:.3g}, "
                     f"max rel {self.value_max_rel_err:.3g}   (rtol {rtol:g}, atol {atol:g})")
        if self.grad_tolerance is not None and self.grad_max_abs_err is not None:
            rtol, atol = self.grad_tolerance
            lines.append(f"  gradient errors: max abs {self.grad_max_abs_err:.3g}, "
                         f"max rel {self.grad_max_rel_err:.3g}   (rtol {rtol:g}, atol {atol:g})")
        lines.extend(f"  note: {n}" for n in self.notes)
        if not self.passed:
            lines.append(f"  reason: {self.reason}")
            if self.counterexample is not None:
                lines.append("  smallest failing input found:")
                lines.extend(_describe_counterexample(self.counterexample))
        return "\n".join(lines)


def _fmt_param(v: Any) -> str:
    if isinstance(v, Tensor):
        return repr(v.tolist())
    if isinstance(v, np.ndarray):
        return repr(v.tolist())
    return repr(v)


def _fmt_array(a: Any, indent: int) -> str:
    arr = np.asarray(a)
    if arr.ndim == 0:
        return repr(arr.item())
    text = np.array2string(arr, precision=10, separator=", ", threshold=64, max_line_width=110 - indent)
    return text.replace("\n", "\n" + " " * indent)


def _describe_counterexample(c: Counterexample) -> list[str]:
    rows: list[tuple[str, Any]] = [("logits", c.logits), ("target", c.target)]
    if c.expected_value is not None:
        rows.append(("expected value", c.expected_value))
    if c.got_value is not None:
        rows.append(("got value", c.got_value))
    if c.expected_grad is not None:
        rows.append(("expected grad", c.expected_grad))
    if c.got_grad is not None:
        rows.append(("got grad", c.got_grad))
    out = []
    for label, value in rows:
        arr = np.asarray(value)
        meta = f"   # shape {arr.shape}, {arr.dtype}" if label in ("logits", "target") else ""
        head = f"    {label:<15}= "
        out.append(head + _fmt_array(arr, len(head)) + meta)
    return out


# ----------------------------------------------------------------------------- the loss under test
@dataclass(frozen=True)
class _Target:
    """What `verify_loss` is comparing against, resolved once."""

    function: str
    softmax: bool  # targets are class indices / distributions over axis 1 (else elementwise in [0, 1])
    num_classes: int | None
    ignore_index: int | None
    ref_params: dict[str, Any]


def _function_settings(function: str) -> list[str]:
    sig = inspect.signature(getattr(_torch_losses, function))
    return [p.name for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "validate_args"]


def _resolve(against: Any, params: Mapping[str, Any] | None, targets: str) -> _Target:
    function = resolve_loss_name(against, "verify_loss").function
    params = dict(params or {})
    valid = _function_settings(function)
    for key in params:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"verify_loss: `params` keys must be among {', '.join(valid)}; got {key!r}.{hint}")
    ref_params: dict[str, Any] = {}
    num_classes = None
    for key, value in params.items():
        if key == "weight" and value is not None:
            w = value.detach().cpu().double().numpy() if isinstance(value, Tensor) else np.asarray(value, np.float64)
            if w.ndim != 1:
                raise ValueError(f"verify_loss: `params['weight']` must be 1-D; got shape {w.shape}.")
            num_classes = int(w.shape[0])
            ref_params[key] = w
        else:
            ref_params[key] = value
    softmax = not (function == "sigmoid_focal_loss" or (function == "soft_f1_loss" and params.get("multilabel")))
    ignore_index = params.get("ignore_index") if softmax and targets == "index" else None
    if ignore_index is not None and not isinstance(ignore_index, int):
        raise TypeError(f"verify_loss: `params['ignore_index']` must be an int; got {ignore_index!r}.")
    return _Target(function, softmax, num_classes, ignore_index, ref_params)


def _reference_value(t: _Target, logits: NDArray[np.float64], target: NDArray[Any],
                     validate: bool = False) -> NDArray[np.float64]:
    fn = getattr(reference, t.function)
    with np.errstate(all="ignore"):
        return np.asarray(fn(logits, target, **t.ref_params, validate_args=validate), dtype=np.float64)


def _reference_grad(t: _Target, logits: NDArray[np.float64], target: NDArray[Any]) -> NDArray[np.float64]:
    closed_form = getattr(_ref_gradients, f"{t.function}_grad")
    with np.errstate(all="ignore"):
        return np.asarray(closed_form(logits, target, **t.ref_params, validate_args=False), dtype=np.float64)


# ----------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class _Case:
    logits: NDArray[np.float64]
    target: NDArray[Any]


def _logit_elements() -> st.SearchStrategy[float]:
    return st.one_of(st.floats(-10.0, 10.0, allow_nan=False, width=64), st.sampled_from(_SPECIAL_LOGITS))


@st.composite
def _cases(draw: st.DrawFn, t: _Target, targets: str, spatial_dims: int) -> _Case:
    min_c = 2 if t.softmax or t.function == "soft_f1_loss" else 1
    c = t.num_classes if t.num_classes is not None else draw(st.integers(min_c, 5))
    n = draw(st.integers(1, 4))
    spatial = tuple(draw(st.integers(1, 3)) for _ in range(spatial_dims))
    shape = (n, c, *spatial)
    logits = draw(hnp.arrays(np.float64, shape, elements=_logit_elements()))
    positions = (n, *spatial)
    modes = draw(hnp.arrays(np.int8, positions if t.softmax else shape,
                            elements=st.sampled_from((_FREE, _CERTAIN, _TIE, _HOPELESS))))
    margin = draw(st.sampled_from(_MARGINS))
    tie = draw(st.sampled_from(_TIE_VALUES))
    if not t.softmax:
        if targets == "index":
            y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from((0.0, 1.0))))
        else:
            y = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
                st.floats(0.0, 1.0, width=64), st.sampled_from((0.0, 1.0, 0.5)))))
        # near-certain: |x| = margin on the side of the target (hopeless: the other side); "tie": x = 0
        side = np.where(y >= 0.5, margin, -margin)
        logits = np.where(modes == _CERTAIN, side, np.where(modes == _HOPELESS, -side, logits))
        logits = np.where(modes == _TIE, 0.0, logits)
        return _Case(logits, y)
    rows = np.moveaxis(logits, 1, -1).copy()  # positions + (C,)
    if targets == "index":
        classes = [k for k in range(c) if k != t.ignore_index]  # a class equal to ignore_index is ignored
        y = draw(hnp.arrays(np.int64, positions, elements=st.sampled_from(classes)))
        winner = y
        if t.ignore_index is not None:
            ignored = draw(hnp.arrays(np.bool_, positions))
            ignored.flat[0] = False  # at least one position counts: 0/0 means are a convention, not maths
            y = np.where(ignored, t.ignore_index, y)
    else:
        raw = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
            st.floats(0.0, 1.0, width=64), st.sampled_from((0.0, 1.0)))))
        moved = np.moveaxis(raw, 1, -1).copy()
        moved[moved.sum(axis=-1) == 0, 0] = 1.0  # an all-zero row becomes one-hot
        moved /= moved.sum(axis=-1, keepdims=True)
        y = np.moveaxis(moved, -1, 1)
        winner = moved.argmax(axis=-1)
    certain, hopeless = np.nonzero(modes == _CERTAIN), np.nonzero(modes == _HOPELESS)
    rows[(*certain, winner[certain])] = rows.max(axis=-1)[certain] + margin  # p_t -> 1
    rows[(*hopeless, winner[hopeless])] = rows.min(axis=-1)[hopeless] - margin  # p_t -> 0
    rows[modes == _TIE] = tie
    return _Case(np.moveaxis(rows, -1, 1).copy(), y)


def _probe_case(t: _Target, targets: str, spatial_dims: int) -> _Case:
    """A plain input, used to tell torch from NumPy candidates and to validate ``params``."""
    c = t.num_classes or 3
    shape = (2, c, *([2] * spatial_dims))
    logits = np.linspace(-1.0, 1.5, int(np.prod(shape))).reshape(shape)
    if not t.softmax:
        y = (np.arange(logits.size).reshape(shape) % 2).astype(np.float64)
        return _Case(logits, y if targets == "index" else y * 0.5 + 0.25)
    if targets == "index":
        return _Case(logits, np.arange(2 * 2**spatial_dims).reshape((2, *([2] * spatial_dims))) % c)
    e = np.exp(-logits)
    return _Case(logits, e / e.sum(axis=1, keepdims=True))


# ----------------------------------------------------------------------------- one comparison
class _Mismatch(Exception):
    """Raised inside the Hypothesis test to mark a failing example; carries the details."""

    def __init__(self, check: str, reason: str, example: Counterexample | None) -> None:
        super().__init__(f"{check}: {reason}")
        self.check, self.reason, self.example = check, reason, example


def _errors(got: NDArray[np.float64], expected: NDArray[np.float64], atol: float) -> tuple[float, float]:
    """Max absolute error, and max relative error where ``|expected| > atol`` (elsewhere it means little)."""
    both = np.isfinite(got) & np.isfinite(expected)
    if not both.any():
        return 0.0, 0.0
    diff = np.abs(got[both] - expected[both])
    scale = np.abs(expected[both])
    big = scale > atol
    rel = diff[big] / scale[big]
    return float(diff.max()), float(rel.max()) if rel.size else 0.0


def _first_bad(got: NDArray[np.float64], expected: NDArray[np.float64], rtol: float, atol: float) -> str | None:
    """Why ``got`` does not match ``expected``, or None."""
    bad_nonfinite = ~np.isfinite(got) & np.isfinite(expected)
    if bad_nonfinite.any():
        idx = tuple(int(i) for i in np.argwhere(bad_nonfinite)[0])
        where = f" at index {list(idx)}" if got.ndim else ""
        return f"non-finite {float(got[idx])!r} where the reference is finite ({float(expected[idx])!r}){where}"
    close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    diff = np.where(close, 0.0, np.abs(got - expected))
    diff = np.where(np.isnan(diff), np.inf, diff)
    pos = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), got.shape)) if got.ndim else ()
    where = f" at index {list(pos)}" if got.ndim else ""
    e, g = float(expected[pos]), float(got[pos])
    return f"expected {e!r}, got {g!r}{where} (|diff| {abs(g - e):.3g})"


class _Checker:
    """Runs the candidate on one case and compares it with the reference; keeps the statistics."""

    def __init__(self, candidate: Callable[..., Any], t: _Target, *, check_grad: bool, dtype: torch.dtype,
                 device: str | torch.device, numpy_mode: bool, value_tol: tuple[float, float],
                 grad_tol: tuple[float, float]) -> None:
        self.candidate, self.t, self.check_grad, self.dtype = candidate, t, check_grad, dtype
        self.device, self.numpy_mode, self.value_tol, self.grad_tol = device, numpy_mode, value_tol, grad_tol
        self.calls = 0
        self.first_failure_at: int | None = None
        self.value_err = [0.0, 0.0]
        self.grad_err = [0.0, 0.0]

    def inputs(self, case: _Case) -> tuple[Tensor, Tensor, NDArray[np.float64], NDArray[Any]]:
        """The candidate's tensors (rounded to ``dtype``) and the same values for the reference."""
        # copies throughout: a candidate that writes into its inputs must not change the example
        x = torch.from_numpy(case.logits.copy()).to(self.dtype)
        if case.target.dtype.kind == "f":
            y = torch.from_numpy(case.target.copy()).to(self.dtype)
            y_ref = y.double().numpy().copy()
        else:
            y = torch.from_numpy(case.target.copy())
            y_ref = case.target.copy()
        return x, y, x.double().numpy().copy(), y_ref

    def run(self, case: _Case) -> None:
        self.calls += 1
        try:
            self._check(case)
        except _Mismatch:
            if self.first_failure_at is None:
                self.first_failure_at = self.calls
            raise

    def _check(self, case: _Case) -> None:
        x, y, x_ref, y_ref = self.inputs(case)
        expected = _reference_value(self.t, x_ref, y_ref)
        example = Counterexample(x_ref, y_ref, expected)
        got, out, xd = self._call(x, y, example)
        example.got_value = got
        if got.shape != expected.shape:
            raise _Mismatch("shape", f"output shape {got.shape}, expected {expected.shape} "
                            f"(reduction {self.t.ref_params.get('reduction', 'mean')!r})", example)
        _update(self.value_err, _errors(got, expected, self.value_tol[1]))
        why = _first_bad(got, expected, *self.value_tol)
        if why is not None:
            check = "value non-finite" if why.startswith("non-finite") else "value"
            raise _Mismatch(check, f"value differs from the reference: {why}", example)
        if out is None or xd is None:
            return
        got_grad = self._grad(out, xd, example)
        expected_grad = _reference_grad(self.t, x_ref, y_ref)
        example.expected_grad, example.got_grad = expected_grad, got_grad
        _update(self.grad_err, _errors(got_grad, expected_grad, self.grad_tol[1]))
        why = _first_bad(got_grad, expected_grad, *self.grad_tol)
        if why is not None:
            check = "gradient non-finite" if why.startswith("non-finite") else "gradient"
            raise _Mismatch(check, f"gradient w.r.t. logits differs from the reference: {why}", example)

    def _call(self, x: Tensor, y: Tensor, example: Counterexample
              ) -> tuple[NDArray[np.float64], Tensor | None, Tensor | None]:
        """The candidate's value as float64, and (torch, check_grad) its output and input tensors."""
        if self.numpy_mode:
            try:
                out = self.candidate(x.numpy(), y.numpy())
                return np.asarray(out, dtype=np.float64), None, None
            except Exception as err:
                raise _Mismatch("exception", f"candidate raised {type(err).__name__}: {_one_line(err)}",
                                example) from err
        xd = x.to(self.device).requires_grad_(self.check_grad)
        yd = y.to(self.device)
        try:
            out = self.candidate(xd, yd)
        except Exception as err:
            raise _Mismatch("exception", f"candidate raised {type(err).__name__}: {_one_line(err)}",
                            example) from err
        if not isinstance(out, Tensor):
            raise _Mismatch("type", f"candidate returned {type(out).__name__}, expected a torch.Tensor "
                            "(a value computed outside autograd has no gradient)", example)
        value = out.detach().to("cpu", torch.float64).numpy()
        return (value, out, xd) if self.check_grad else (value, None, None)

    @staticmethod
    def _grad(out: Tensor, xd: Tensor, example: Counterexample) -> NDArray[np.float64]:
        if not out.requires_grad:
            raise _Mismatch("gradient", "the output does not depend on `logits` through autograd "
                            "(detached, or computed outside torch)", example)
        try:
            (g,) = torch.autograd.grad(out.sum(), xd, allow_unused=True)
        except Exception as err:
            raise _Mismatch("exception", f"backward raised {type(err).__name__}: {_one_line(err)}",
                            example) from err
        return np.zeros(xd.shape) if g is None else g.detach().to("cpu", torch.float64).numpy()


def _update(acc: list[float], errs: tuple[float, float]) -> None:
    acc[0], acc[1] = max(acc[0], errs[0]), max(acc[1], errs[1])


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _describe_inputs(t: _Target, targets: str, spatial_dims: int, dtype: torch.dtype, device: Any) -> str:
    dims = "".join(f", d{i + 1}" for i in range(spatial_dims))
    shape = f"logits (N, C{dims})"
    if t.softmax:
        kind = "class-index targets" if targets == "index" else "probability targets"
        if t.ignore_index is not None:
            kind += f" with ignore_index {t.ignore_index}"
    else:
        kind = "0/1 targets" if targets == "index" else "targets in [0, 1]"
    return f"{shape} {str(dtype).removeprefix('torch.')} on {device}, {kind}"


def _candidate_name(candidate: Any) -> str:
    if isinstance(candidate, functools.partial):
        return f"partial({_candidate_name(candidate.func)})"
    name = getattr(candidate, "__qualname__", None) or type(candidate).__name__
    module = getattr(candidate, "__module__", None)
    return f"{module}:{name}" if module else str(name)


def _detect_numpy(candidate: Callable[..., Any], case: _Case, dtype: torch.dtype) -> bool:
    """True when the candidate fails on tensors but returns numbers for NumPy arrays."""
    x = torch.from_numpy(case.logits).to(dtype).requires_grad_(True)
    y = torch.from_numpy(case.target)
    y = y.to(dtype) if y.is_floating_point() else y
    try:
        candidate(x, y)
        return False
    except Exception:
        pass
    try:
        out = candidate(x.detach().numpy(), y.numpy())
        return bool(np.asarray(out).dtype.kind in "fiu")
    except Exception:
        return False


# ----------------------------------------------------------------------------- public API
def verify_loss(candidate: Callable[..., Any], against: str, *, params: Mapping[str, Any] | None = None,
                max_examples: int = 200, check_grad: bool = True, targets: str = "index",
                spatial_dims: int = 0, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
                rtol: float | None = None, atol: float | None = None, seed: int | None = None) -> VerifyReport:
    """Search for an input where ``candidate`` differs from lossref's ``against`` loss.

    Args:
        candidate: ``candidate(logits, target)`` -> loss; torch tensors in (gradients are checked)
            or NumPy arrays in (value only; detected when the call with tensors raises).
        against: a loss name of this library (``"focal"`` or ``"focal_loss"``, ...).
        params: keyword arguments of ``against`` that the candidate implements (its
            ``ignore_index`` also makes the search put ignored positions in the targets).
        max_examples: inputs to try before declaring a pass (shrinking comes on top).
        check_grad: also compare d(sum of output)/d(logits) with the reference.
        targets: ``"index"`` (class indices; 0/1 for elementwise losses) or ``"probs"``.
        spatial_dims: number of trailing dimensions after the class axis (``(N, C, d1, ...)``).
        dtype, device: dtype and device of the candidate's logits (and floating targets).
        rtol, atol: override the default tolerances (``DEFAULT_TOLERANCES``) for values and gradients.
        seed: makes the search reproducible.
    Returns:
        A :class:`VerifyReport` (truthy when passed).
    Raises:
        ValueError: unknown ``against`` or ``params`` key, ``params`` the loss rejects, or a bad option.
        TypeError: ``candidate`` not callable, ``dtype`` not a floating torch dtype.
    """
    if not callable(candidate):
        raise TypeError(f"verify_loss: `candidate` must be callable; got {type(candidate).__name__}.")
    if targets not in TARGET_KINDS:
        raise ValueError(f"verify_loss: `targets` must be one of 'index', 'probs'; got {targets!r}.")
    if isinstance(spatial_dims, bool) or not isinstance(spatial_dims, int) or not 0 <= spatial_dims <= 3:
        raise ValueError(f"verify_loss: `spatial_dims` must be an int in [0, 3]; got {spatial_dims!r}.")
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"verify_loss: `max_examples` must be an int >= 1; got {max_examples!r}.")
    if dtype not in DEFAULT_TOLERANCES:
        raise TypeError(f"verify_loss: `dtype` must be a floating torch dtype; got {dtype!r}.")
    try:
        torch.empty(0, device=device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"verify_loss: `device` must be an available torch device; got {device!r}.") from err
    t = _resolve(against, params, targets)
    probe = _probe_case(t, targets, spatial_dims)
    _reference_value(t, probe.logits, probe.target, validate=True)  # rejects bad params with the loss's message

    (v_rtol, v_atol), (g_rtol, g_atol) = DEFAULT_TOLERANCES[dtype]
    value_tol = (v_rtol if rtol is None else rtol, v_atol if atol is None else atol)
    grad_tol = (g_rtol if rtol is None else rtol, g_atol if atol is None else atol)
    numpy_mode = _detect_numpy(candidate, probe, dtype)
    if numpy_mode and dtype == torch.bfloat16:
        raise ValueError("verify_loss: `dtype` must be float64, float32 or float16 for a NumPy candidate; "
                         "got torch.bfloat16.")
    grad_checked = check_grad and not numpy_mode
    checker = _Checker(candidate, t, check_grad=grad_checked, dtype=dtype, device=device,
                       numpy_mode=numpy_mode, value_tol=value_tol, grad_tol=grad_tol)

    @hypothesis.given(_cases(t, targets, spatial_dims))
    def search(case: _Case) -> None:
        checker.run(case)

    search = hypothesis.settings(
        max_examples=max_examples, database=None, deadline=None, derandomize=False,
        suppress_health_check=list(hypothesis.HealthCheck), report_multiple_bugs=False,
        verbosity=hypothesis.Verbosity.quiet, print_blob=False)(search)
    if seed is not None:
        search = hypothesis.seed(seed)(search)

    failure: _Mismatch | None = None
    notes: list[str] = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the inputs are tiny: a thread pool only adds overhead (x1000 on a loaded machine)
    try:
        search()
    except _Mismatch as err:
        failure = err
    except Flaky as err:
        failure = _Mismatch("flaky", "the candidate failed on an input and then passed on the same input "
                            f"(non-deterministic?): {_one_line(err)}", None)
    finally:
        torch.set_num_threads(threads)
    if numpy_mode and check_grad:
        notes.append("NumPy candidate: values only, gradients not checked.")
    examples = checker.calls if checker.first_failure_at is None else checker.first_failure_at
    report = VerifyReport(
        candidate=_candidate_name(candidate), against=t.function, params=dict(params or {}),
        passed=failure is None, examples=examples, shrink_steps=checker.calls - examples,
        inputs=_describe_inputs(t, targets, spatial_dims, dtype, device), value_tolerance=value_tol,
        grad_tolerance=grad_tol if grad_checked else None,
        value_max_abs_err=checker.value_err[0], value_max_rel_err=checker.value_err[1],
        grad_max_abs_err=checker.grad_err[0] if grad_checked else None,
        grad_max_rel_err=checker.grad_err[1] if grad_checked else None, notes=notes)
    if failure is not None:
        report.failed_check, report.reason, report.counterexample = failure.check, failure.reason, failure.example
    return report


def assert_matches_reference(candidate: Callable[..., Any], against: str, **kwargs: Any) -> VerifyReport:
    """:func:`verify_loss` for test suites: returns the report, or raises ``AssertionError`` with it."""
    report = verify_loss(candidate, against, **kwargs)
    if not report.passed:
        raise AssertionError("\n" + str(report))
    return report
