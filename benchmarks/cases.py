"""The benchmarked operations: seeded inputs, the implementations under test and their anchors.

Every operation has the float64 NumPy reference (the oracle), the ``torch_impl`` candidate and
one or more built-in anchors.  Inputs are drawn once per (operation, size) from a seeded NumPy
generator, rounded once to the benchmark dtype, and the reference gets the same rounded values
in float64, so every implementation sees identical numbers on every device.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import Tensor

import reference
import reference.gradients
import torch_impl


@dataclass(frozen=True)
class Size:
    """A problem size: ``n`` samples (labels) and ``c`` classes."""

    n: int
    c: int

    def __str__(self) -> str:
        return f"{self.n}x{self.c}"


_SIZE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_size(text: str) -> Size:
    """``"262144x18"`` -> ``Size(262144, 18)``; N >= 1 and C >= 2."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"size must look like NxC (e.g. 262144x18); got {text!r}.")
    n, c = int(match.group(1)), int(match.group(2))
    if n < 1 or c < 2:
        raise ValueError(f"size needs N >= 1 and C >= 2; got {text!r}.")
    return Size(n, c)


@dataclass
class Problem:
    """One case's inputs: ``x`` (logits, or predicted labels for F1) and ``target``, as tensors on
    the case's device and as NumPy arrays (``x_np`` float64 holding the same rounded values)."""

    x: Tensor
    target: Tensor
    x_np: NDArray[Any]
    target_np: NDArray[Any]
    num_classes: int


@dataclass(frozen=True)
class Impl:
    """One timed implementation.

    ``backend`` is ``"numpy"`` (runs once, on the CPU, on ``Problem.x_np``) or ``"torch"`` (runs on
    every device).  ``exact`` says it computes the operation's function itself, so its parity
    error against the reference is meaningful (an anchor such as ``F.cross_entropy`` for the focal
    loss is a speed yardstick only).  ``reduction`` is the reduction used for timing.
    """

    name: str
    role: str  # "reference", "candidate" or "anchor"
    backend: str  # "numpy" or "torch"
    fn: Callable[..., Any]
    exact: bool
    differentiable: bool


@dataclass(frozen=True)
class Op:
    """A benchmarked operation.

    ``reference_grad(x_np, target_np)`` is the closed-form gradient of the timed ("mean") call;
    ``elementwise`` says the functions take ``reduction`` so parity can compare per-element values;
    ``anchor_for`` maps a backend to the implementation its rows are compared with.
    """

    name: str
    title: str
    inputs: str  # "softmax", "sigmoid" or "labels"
    impls: tuple[Impl, ...]
    anchor_for: dict[str, str]
    elementwise: bool
    reference_grad: Callable[[NDArray[np.float64], NDArray[Any]], NDArray[np.float64]] | None
    default_sizes: tuple[Size, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def differentiable(self) -> bool:
        return self.reference_grad is not None


LOSS_SIZES = (Size(262144, 18), Size(1048576, 18), Size(65536, 1000))
LOSS_SIZES_QUICK = (Size(131072, 18), Size(8192, 1000))
F1_SIZES = (Size(1000000, 18),)


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _softmax_op(name: str, title: str, ref_fn: Callable[..., Any], grad_fn: Callable[..., Any],
                torch_fn: Callable[..., Tensor], kwargs: dict[str, Any], anchor_name: str,
                anchor_kwargs: dict[str, Any], anchor_exact: bool) -> Op:
    impls = (
        Impl("reference", "reference", "numpy",
             lambda x, t, reduction, c: ref_fn(x, t, reduction=reduction, **kwargs), True, False),
        Impl("torch_impl", "candidate", "torch",
             lambda x, t, reduction, c: torch_fn(x, t, reduction=reduction, **kwargs), True, True),
        Impl(anchor_name, "anchor", "torch",
             lambda x, t, reduction, c: F.cross_entropy(x, t, reduction=reduction, **anchor_kwargs),
             anchor_exact, True),
    )
    return Op(name, title, "softmax", impls, {"numpy": anchor_name, "torch": anchor_name}, True,
              lambda x, t: grad_fn(x, t, **kwargs), LOSS_SIZES)


def _f1_impls() -> tuple[tuple[Impl, ...], dict[str, str], list[str]]:
    impls = [
        Impl("reference", "reference", "numpy",
             lambda p, t, reduction, c: reference.f1_score(p, t, c, average="macro"), True, False),
        Impl("torch_impl", "candidate", "torch",
             lambda p, t, reduction, c: torch_impl.f1_score(p, t, c, average="macro"), True, False),
    ]
    anchor_for: dict[str, str] = {}
    notes: list[str] = []
    if _has("sklearn"):
        from sklearn.metrics import f1_score as sk_f1

        impls.append(Impl("scikit-learn", "anchor", "numpy",
                          lambda p, t, reduction, c: sk_f1(t, p, average="macro"), True, False))
        anchor_for["numpy"] = "scikit-learn"
    else:
        notes.append("scikit-learn is not installed: no anchor for the NumPy reference (pip install scikit-learn).")
    if _has("torchmetrics"):
        from torchmetrics.functional.classification import multiclass_f1_score

        impls.append(Impl("torchmetrics", "anchor", "torch",
                          lambda p, t, reduction, c: multiclass_f1_score(p, t, num_classes=c, average="macro"),
                          True, False))
        anchor_for["torch"] = "torchmetrics"
    else:
        notes.append("torchmetrics is not installed: no anchor for torch_impl.f1_score (pip install torchmetrics).")
    return tuple(impls), anchor_for, notes


def all_ops() -> dict[str, Op]:
    """Every benchmarked operation, by name, in report order."""
    L, G = torch_impl.losses, reference.gradients
    ops = [
        _softmax_op("softmax_cross_entropy", "softmax_cross_entropy", reference.softmax_cross_entropy,
                    G.softmax_cross_entropy_grad, L.softmax_cross_entropy, {}, "F.cross_entropy", {}, True),
        _softmax_op("softmax_cross_entropy_ls", "softmax_cross_entropy(label_smoothing=0.1)",
                    reference.softmax_cross_entropy, G.softmax_cross_entropy_grad, L.softmax_cross_entropy,
                    {"label_smoothing": 0.1}, "F.cross_entropy(ls=0.1)", {"label_smoothing": 0.1}, True),
        _softmax_op("focal_loss", "focal_loss(gamma=2)", reference.focal_loss, G.focal_loss_grad, L.focal_loss,
                    {"gamma": 2.0}, "F.cross_entropy", {}, False),
    ]
    sig_kw: dict[str, Any] = {"gamma": 2.0, "alpha": 0.25}
    ops.append(Op(
        "sigmoid_focal_loss", "sigmoid_focal_loss(gamma=2, alpha=0.25)", "sigmoid",
        (Impl("reference", "reference", "numpy",
              lambda x, t, reduction, c: reference.sigmoid_focal_loss(x, t, reduction=reduction, **sig_kw),
              True, False),
         Impl("torch_impl", "candidate", "torch",
              lambda x, t, reduction, c: L.sigmoid_focal_loss(x, t, reduction=reduction, **sig_kw), True, True),
         Impl("F.binary_cross_entropy_with_logits", "anchor", "torch",
              lambda x, t, reduction, c: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), False, True)),
        {"numpy": "F.binary_cross_entropy_with_logits", "torch": "F.binary_cross_entropy_with_logits"}, True,
        lambda x, t: G.sigmoid_focal_loss_grad(x, t, **sig_kw), LOSS_SIZES))
    ops.append(Op(
        "soft_f1_loss", "soft_f1_loss(macro)", "softmax",
        (Impl("reference", "reference", "numpy", lambda x, t, reduction, c: reference.soft_f1_loss(x, t), True, False),
         Impl("torch_impl", "candidate", "torch", lambda x, t, reduction, c: L.soft_f1_loss(x, t), True, True),
         Impl("F.cross_entropy", "anchor", "torch",
              lambda x, t, reduction, c: F.cross_entropy(x, t, reduction=reduction), False, True)),
        {"numpy": "F.cross_entropy", "torch": "F.cross_entropy"}, False,
        lambda x, t: G.soft_f1_loss_grad(x, t), LOSS_SIZES))
    f1_impls, f1_anchors, f1_notes = _f1_impls()
    ops.append(Op("f1_score", "f1_score(macro)", "labels", f1_impls, f1_anchors, False, None, F1_SIZES, f1_notes))
    return {op.name: op for op in ops}


def call(impl: Impl, problem: Problem, x: Any, reduction: str) -> Any:
    """Run ``impl`` once on ``x`` (``problem.x``, ``problem.x_np`` or a grad-requiring copy)."""
    target = problem.target_np if impl.backend == "numpy" else problem.target
    return impl.fn(x, target, reduction, problem.num_classes)


def draw(kind: str, size: Size, seed: int) -> tuple[NDArray[Any], NDArray[Any]]:
    """Seeded float64 / int64 inputs of one kind, before rounding to the benchmark dtype.

    ``"softmax"``: logits ~ 2·N(0, 1) with +2 on the target logit (a classifier that is right
    more often than not), class-index targets.  ``"sigmoid"``: logits ~ 2·N(0, 1), 0/1 targets of
    the same shape.  ``"labels"``: targets uniform over the classes, predictions equal to the target
    70% of the time and uniform otherwise.
    """
    rng = np.random.default_rng(seed)
    n, c = size.n, size.c
    if kind == "labels":
        target = rng.integers(0, c, n, dtype=np.int64)
        preds = np.where(rng.random(n) < 0.7, target, rng.integers(0, c, n, dtype=np.int64))
        return preds, target
    logits = rng.standard_normal((n, c), dtype=np.float64) * 2.0
    if kind == "sigmoid":
        return logits, rng.integers(0, 2, (n, c)).astype(np.float64)
    target = rng.integers(0, c, n, dtype=np.int64)
    logits[np.arange(n), target] += 2.0
    return logits, target


def make_problem(kind: str, drawn: tuple[NDArray[Any], NDArray[Any]], num_classes: int, dtype: torch.dtype,
                 device: str) -> Problem:
    """Round the drawn inputs to ``dtype`` once; the NumPy copies hold the rounded values in float64."""
    x_raw, t_raw = drawn
    if kind == "labels":
        x = torch.from_numpy(x_raw)
        target = torch.from_numpy(t_raw)
        return Problem(x.to(device), target.to(device), x_raw, t_raw, num_classes)
    x = torch.from_numpy(x_raw).to(dtype)
    x_np = x.to(torch.float64).numpy()
    if kind == "sigmoid":
        target = torch.from_numpy(t_raw).to(dtype)  # 0/1 are exact in every dtype
        return Problem(x.to(device), target.to(device), x_np, t_raw, num_classes)
    return Problem(x.to(device), torch.from_numpy(t_raw).to(device), x_np, t_raw, num_classes)


def bytes_moved(op: Op, size: Size, itemsize: int, backward: bool) -> int:
    """Minimal memory traffic of one call: every input read once, the gradient written once.

    Index targets and labels are int64 (8 bytes); float inputs take ``itemsize`` bytes.  This is
    the traffic an ideal fused kernel cannot avoid, so GB/s = this / median time.
    """
    n, c = size.n, size.c
    if op.inputs == "labels":
        return 2 * n * 8
    logits = n * c * itemsize
    target = n * c * itemsize if op.inputs == "sigmoid" else n * 8
    return logits + target + (logits if backward else 0)
