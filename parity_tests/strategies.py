"""The only place test inputs are made.

Everything is drawn in float64; tests quantize once (``tolerances.quantize``) and give the reference
the rounded values.  Exact zeros, ties, extreme logits and ignored positions are injected on purpose.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st

TORCH_FLOAT_DTYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)
DEVICES = ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
REDUCTIONS = ("mean", "sum", "none")

# |logit| <= 60 keeps float16 finite after quantization (max 65504) and exercises p -> 0 and p -> 1.
LOGIT_BOUND = 60.0


def finite_floats(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def batch_shape(draw: st.DrawFn, *, max_spatial: int = 2, max_side: int = 5, min_n: int = 1) -> tuple[int, ...]:
    """``(N, d1, ..., dk)`` with k in [0, max_spatial]."""
    n = draw(st.integers(min_n, 6))
    k = draw(st.integers(0, max_spatial))
    spatial = draw(st.lists(st.integers(1, max_side), min_size=k, max_size=k))
    return (n, *spatial)


@st.composite
def logits_array(draw: st.DrawFn, shape: tuple[int, ...], *, bound: float = LOGIT_BOUND) -> np.ndarray:
    """Logits with ties and exact zeros, sometimes scaled to ``bound``."""
    elements = st.one_of(finite_floats(bound), st.sampled_from([0.0, 1.0, -1.0, bound, -bound]))
    return draw(hnp.arrays(np.float64, shape, elements=elements))


@st.composite
def class_indices(draw: st.DrawFn, shape: tuple[int, ...], num_classes: int,
                  ignore_index: int | None = None) -> np.ndarray:
    """int64 class indices; with ``ignore_index`` some positions (possibly all) are ignored."""
    choices = st.integers(0, num_classes - 1)
    if ignore_index is not None:
        choices = st.one_of(choices, st.just(ignore_index))
    return draw(hnp.arrays(np.int64, shape, elements=choices))


@st.composite
def simplex(draw: st.DrawFn, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Probability vectors along ``axis``, with exact zeros and one-hot rows injected."""
    raw = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.floats(0.0, 1.0, width=64), st.just(0.0), st.just(1.0))))
    moved = np.moveaxis(raw, axis, -1).copy()
    dead = moved.sum(axis=-1) == 0
    moved[dead, 0] = 1.0  # a row of zeros becomes one-hot
    moved /= moved.sum(axis=-1, keepdims=True)
    return np.moveaxis(moved, -1, axis)


@st.composite
def unit_interval(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """Values in [0, 1], with exact 0 and 1 injected (binary or soft targets)."""
    return draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.floats(0.0, 1.0, width=64), st.sampled_from([0.0, 1.0]))))


def draw_kwargs(draw: st.DrawFn, options: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    return {name: draw(strategy) for name, strategy in options.items()}


# ----------------------------------------------------------------------------- metrics
METRIC_AVERAGES = (None, "micro", "macro", "weighted", "binary")
MULTILABEL_AVERAGES = (None, "micro", "macro", "weighted", "samples")
ZERO_DIVISIONS = (0.0, 1.0, float("nan"))
# Scores of the class a pattern picks are raised above every drawn logit, so argmax keeps it after 16-bit rounding.
_PICKED_SCORE = 2 * LOGIT_BOUND


@st.composite
def metric_case(draw: st.DrawFn, *, max_classes: int = 6, min_n: int = 0,
                ignore_indices: tuple[int | None, ...] = (None, -100, 0)) -> dict[str, Any]:
    """Single-label inputs: ``preds`` (int64 indices, or float64 scores with the class axis at 1), ``target``.

    Patterns injected on purpose: every prediction wrong, every prediction right, one target class only,
    classes absent from both (K up to ``max_classes`` with few samples), ignored positions (possibly all).
    """
    k = draw(st.integers(1, max_classes))
    shape = draw(batch_shape(max_spatial=1, max_side=4, min_n=min_n))
    ignore_index = draw(st.sampled_from(ignore_indices))
    target = draw(class_indices(shape, k, ignore_index))
    pattern = draw(st.sampled_from(["random", "all_wrong", "all_right", "one_class"]))
    if pattern == "one_class":
        cls = draw(st.integers(0, k - 1))
        target = np.where(target == ignore_index, target, cls) if ignore_index is not None else np.full(shape, cls)
    pred = draw(class_indices(shape, k))
    kept_target = np.where(target == ignore_index, 0, target) if ignore_index is not None else target
    if pattern == "all_wrong":
        pred = (kept_target + 1) % k
    elif pattern == "all_right":
        pred = kept_target.copy()
    preds: np.ndarray = pred.astype(np.int64)
    if draw(st.booleans()):  # scores whose argmax is `pred` (or arbitrary ones for "random")
        scores = draw(logits_array((shape[0], k, *shape[1:])))
        if pattern != "random":
            np.put_along_axis(scores, pred[:, None], _PICKED_SCORE, axis=1)
        preds = scores
    return {"preds": preds, "target": target.astype(np.int64), "num_classes": k, "ignore_index": ignore_index}


@st.composite
def metric_options(draw: st.DrawFn, num_classes: int, *, beta: bool = True) -> dict[str, Any]:
    """Keyword options of ``precision_recall_fscore`` valid for ``num_classes``."""
    averages = METRIC_AVERAGES if num_classes == 2 else METRIC_AVERAGES[:-1]
    average = draw(st.sampled_from(averages))
    options: dict[str, Any] = {"average": average, "zero_division": draw(st.sampled_from(ZERO_DIVISIONS))}
    if average == "binary":
        options["pos_label"] = draw(st.integers(0, 1))
    elif draw(st.booleans()):
        options["labels"] = draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=num_classes,
                                          unique=True))
    if beta:
        options["beta"] = draw(st.one_of(st.sampled_from([0.5, 1.0, 2.0]), st.floats(0.05, 20.0)))
    return options


@st.composite
def multilabel_case(draw: st.DrawFn, *, max_labels: int = 5, min_n: int = 0, min_labels: int = 1) -> dict[str, Any]:
    """``(N, K)`` 0/1 ``target`` and ``preds`` as int64 / bool indicators or float64 probabilities.

    Probabilities equal to ``threshold`` (and exact 0 and 1) are injected to pin the ``> threshold`` rule.
    """
    n = draw(st.integers(min_n, 6))
    k = draw(st.integers(min_labels, max_labels))
    target = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, 1)))
    threshold = draw(st.sampled_from([0.5, 0.0, 1.0, 0.25, 0.75]))
    kind = draw(st.sampled_from(["int", "bool", "probs"]))
    if kind == "probs":
        preds: np.ndarray = draw(hnp.arrays(np.float64, (n, k), elements=st.one_of(
            st.floats(0.0, 1.0, width=64), st.sampled_from([0.0, 1.0, threshold]))))
    else:
        preds = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, 1)))
        preds = preds.astype(bool) if kind == "bool" else preds
    return {"preds": preds, "target": target, "threshold": threshold}


# ----------------------------------------------------------------------------- torch parity (information, losses)
SMOOTHINGS = st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0.0, 1.0)
# Class weights: exact 0 (and all-zero) injected; non-zero ones within [0.1, 2].  A ratio w_max / w_min of
# 1e7 makes the weighted-mean gradient a difference of terms 1e7 times its size, which no float32 kernel
# (F.cross_entropy's included) resolves to the table's tolerance: an ill-conditioned input, not a bug.
CLASS_WEIGHTS = st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0.1, 2.0)


@st.composite
def distribution_pair(draw: st.DrawFn, *, max_k: int = 8, logits: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """``(p, q, axis)``: two distributions (or logits) of one shape, the distribution along ``axis``."""
    k = draw(st.integers(1, max_k))
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    axis = draw(st.integers(-(len(lead) + 1), len(lead)))
    shape = list(lead)
    shape.insert(axis % (len(lead) + 1), k)
    if logits:
        p, q = draw(logits_array(tuple(shape))), draw(logits_array(tuple(shape)))
    else:
        p, q = draw(simplex(tuple(shape), axis)), draw(simplex(tuple(shape), axis))
    if draw(st.booleans()):  # q == p on purpose (KL = 0, H(p, p) = H(p))
        q = p.copy()
    return p, q, axis


@st.composite
def softmax_loss_case(draw: st.DrawFn, *, max_classes: int = 6, bound: float = LOGIT_BOUND, min_n: int = 0,
                      targets: tuple[str, ...] = ("index", "probs")) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``(logits, target, kwargs)`` for softmax_cross_entropy / focal_loss covering every option.

    Class counts include C = 1; batches may be empty (``min_n=0``); ignored positions (possibly all),
    zero class weights and ``label_smoothing`` 0 and 1 are drawn on purpose.
    """
    shape = draw(batch_shape(max_spatial=2, max_side=3, min_n=min_n))
    k = draw(st.integers(1, max_classes))
    logits = draw(logits_array((shape[0], k, *shape[1:]), bound=bound))
    kwargs: dict[str, Any] = {
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "label_smoothing": draw(SMOOTHINGS),
        "smoothing_mode": draw(st.sampled_from(["uniform", "off_target"])),
    }
    if draw(st.booleans()):
        kwargs["weight"] = draw(hnp.arrays(np.float64, (k,), elements=CLASS_WEIGHTS))
    if draw(st.sampled_from(targets)) == "index":
        kwargs["ignore_index"] = draw(st.sampled_from([-100, 0, k - 1]))
        target = draw(class_indices(shape, k, kwargs["ignore_index"]))
    else:
        target = draw(simplex((shape[0], k, *shape[1:]), axis=1))
    return logits, target, kwargs


@st.composite
def sigmoid_loss_case(draw: st.DrawFn, *, bound: float = LOGIT_BOUND) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``(logits, target, kwargs)`` for sigmoid_focal_loss: hard or soft targets, empty shapes included."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    logits = draw(logits_array(shape, bound=bound))
    if draw(st.booleans()):
        target = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])))
    else:
        target = draw(unit_interval(shape))
    kwargs = {"gamma": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0.0, 5.0)),
              "alpha": draw(st.none() | st.sampled_from([0.0, 0.25, 1.0]) | st.floats(0.0, 1.0)),
              "reduction": draw(st.sampled_from(REDUCTIONS))}
    return logits, target, kwargs


@st.composite
def soft_f1_case(draw: st.DrawFn, *, bound: float = LOGIT_BOUND) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``(logits, target, kwargs)`` for soft_f1_loss: index (with ignored positions), probability and multilabel."""
    shape = draw(batch_shape(max_spatial=2, max_side=3, min_n=0))
    k = draw(st.integers(1, 6))
    full = (shape[0], k, *shape[1:])
    logits = draw(logits_array(full, bound=bound))
    kwargs: dict[str, Any] = {"beta": draw(st.sampled_from([1.0, 0.5, 2.0]) | st.floats(0.1, 10.0)),
                              "average": draw(st.sampled_from(["macro", "micro"])),
                              "eps": draw(st.sampled_from([1e-7, 0.0, 1.0]))}
    kind = draw(st.sampled_from(["index", "probs", "multilabel"]))
    if kind == "index":
        kwargs["ignore_index"] = draw(st.sampled_from([-100, 0]))
        target = draw(class_indices(shape, k, kwargs["ignore_index"]))
    elif kind == "probs":
        target = draw(simplex(full, axis=1))
    else:
        kwargs["multilabel"] = True
        target = draw(unit_interval(full))
    return logits, target, kwargs
