"""Every validation branch of information / smoothing / losses, in BOTH packages, with the full message.

Oracle: the message template of STYLE.md section 5, written out by hand per row.  A row runs against
``reference`` (NumPy arrays) and ``torch_impl`` (the same arrays as tensors); rows marked for one package
cover the checks only that package has (tensor types and devices; ragged lists).  Data checks (the
rows marked ``data``) must also be skipped with ``validate_args=False``.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch

import reference as ref
import torch_impl as tim


def f(*values: Any) -> np.ndarray:
    return np.array(values, dtype=np.float64)


P, Q = f(0.25, 0.75), f(0.5, 0.5)
X = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]])  # logits (N, C) = (2, 3)
T = np.array([2, 0])
Y = np.array([[0.25, 0.25, 0.5], [1.0, 0.0, 0.0]])
B = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]])
W = f(1.0, 2.0, 0.5)
INTS = np.array([1, 0])
BOOLS = np.array([True, False])
COMPLEX = np.array([0.5 + 0j, 0.5])


class Bad(NamedTuple):
    func: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    exc: type[Exception]
    msg: str
    data: bool = False  # a data check: skipped with validate_args=False
    only: str | None = None  # "reference" / "torch" for package-specific checks


ROWS: list[Bad] = []

for fn in ("entropy", "cross_entropy", "kl_divergence"):
    args = (P,) if fn == "entropy" else (P, Q)
    ROWS += [
        Bad(fn, args, {"axis": "0"}, TypeError, f"{fn}: `axis` must be an int; got '0'."),
        Bad(fn, args, {"axis": 1}, ValueError, f"{fn}: `axis` must be in [-1, 0]; got 1."),
        Bad(fn, args, {"base": 1}, ValueError, f"{fn}: `base` must be > 0 and != 1, or None; got 1."),
        Bad(fn, args, {"base": -2.0}, ValueError, f"{fn}: `base` must be > 0 and != 1, or None; got -2.0."),
        Bad(fn, args, {"base": "e"}, TypeError, f"{fn}: `base` must be a real number; got 'e'."),
        Bad(fn, args, {"from_logits": 1}, TypeError, f"{fn}: `from_logits` must be a bool; got 1."),
        Bad(fn, args, {"validate_args": "yes"}, TypeError, f"{fn}: `validate_args` must be a bool; got 'yes'."),
        Bad(fn, (INTS, *args[1:]), {}, TypeError, f"{fn}: `p` must have a floating dtype; got int64."),
        Bad(fn, (COMPLEX, *args[1:]), {}, TypeError, f"{fn}: `p` must be an array of numbers; got dtype complex128."),
        Bad(fn, (np.float64(1.0), *args[1:]), {}, ValueError,
            f"{fn}: `p` must have at least 1 dimensions (..., K); got shape ()."),
        Bad(fn, (f(-0.5, 1.5), *args[1:]), {}, ValueError,
            f"{fn}: `p` must be non-negative and sum to 1 along axis -1; got minimum -0.5 and sums in [1.0, 1.0].",
            data=True),
        Bad(fn, (f(0.5, 0.75), *args[1:]), {}, ValueError,
            f"{fn}: `p` must be non-negative and sum to 1 along axis -1; got minimum 0.5 and sums in [1.25, 1.25].",
            data=True),
        Bad(fn, (np.array([[0.5, 0.25], [0.5, 0.25]]), *[np.full((2, 2), 0.5)] * len(args[1:])), {"axis": 0},
            ValueError, f"{fn}: `p` must be non-negative and sum to 1 along axis 0; got minimum 0.25 and sums in "
                        "[0.5, 1.0].", data=True),
        Bad(fn, (f(math.nan, 0.5), *args[1:]), {}, ValueError,
            f"{fn}: `p` must be non-negative and sum to 1 along axis -1; got minimum nan and sums in [nan, nan].",
            data=True),
        Bad(fn, ([0.5, 0.5], *args[1:]), {}, TypeError, f"{fn}: `p` must be a torch.Tensor; got list.",
            only="torch"),
        Bad(fn, ([[0.5, 0.5], [1.0]], *args[1:]), {}, TypeError, f"{fn}: `p` must be an array of numbers; got list.",
            only="reference"),
    ]
    if fn != "entropy":
        ROWS += [
            Bad(fn, (P, f(0.5, 0.25, 0.25)), {}, ValueError, f"{fn}: `q` must have shape (2,) to match `p`; got (3,)."),
            Bad(fn, (P, INTS), {}, TypeError, f"{fn}: `q` must have a floating dtype; got int64."),
            Bad(fn, (P, f(0.5, 0.75)), {}, ValueError,
                f"{fn}: `q` must be non-negative and sum to 1 along axis -1; got minimum 0.5 and sums in [1.25, 1.25].",
                data=True),
        ]

SL = "smooth_labels"
ROWS += [
    Bad(SL, (T, 1, 0.1), {}, ValueError, f"{SL}: `num_classes` must be >= 2; got 1."),
    Bad(SL, (T, 3.0, 0.1), {}, TypeError, f"{SL}: `num_classes` must be an int; got 3.0."),
    Bad(SL, (T, 3, 1.5), {}, ValueError, f"{SL}: `alpha` must be in [0, 1]; got 1.5."),
    Bad(SL, (T, 3, math.nan), {}, ValueError, f"{SL}: `alpha` must be in [0, 1]; got nan."),
    Bad(SL, (T, 3, "0.1"), {}, TypeError, f"{SL}: `alpha` must be a real number; got '0.1'."),
    Bad(SL, (T, 3, 0.1), {"mode": "both"}, ValueError,
        f"{SL}: `mode` must be one of 'uniform', 'off_target'; got 'both'."),
    Bad(SL, (T, 3, 0.1), {"validate_args": 0}, TypeError, f"{SL}: `validate_args` must be a bool; got 0."),
    Bad(SL, (BOOLS, 3, 0.1), {}, TypeError, f"{SL}: `target` must have an integer or floating dtype; got bool."),
    Bad(SL, (np.array([[0.5 + 0j, 0.5]]), 2, 0.1), {}, TypeError,
        f"{SL}: `target` must be an array of numbers; got dtype complex128."),
    Bad(SL, (np.int64(1), 3, 0.1), {}, ValueError,
        f"{SL}: `target` must have at least 1 dimensions (N, d1, ...); got shape ()."),
    Bad(SL, (np.array([0, 3]), 3, 0.1), {}, ValueError,
        f"{SL}: `target` must hold class indices in [0, 2]; got values in [0, 3].", data=True),
    Bad(SL, (np.array([-1, 0]), 3, 0.1), {}, ValueError,
        f"{SL}: `target` must hold class indices in [0, 2]; got values in [-1, 0].", data=True),
    Bad(SL, (Q, 2, 0.1), {}, ValueError,
        f"{SL}: `target` must have at least 2 dimensions (N, K, d1, ...); got shape (2,)."),
    Bad(SL, (Q[None], 3, 0.1), {}, ValueError,
        f"{SL}: `target` must have num_classes=3 entries along axis 1; got shape (1, 2)."),
    Bad(SL, (f(0.5, 0.75)[None], 2, 0.1), {}, ValueError,
        f"{SL}: `target` must be non-negative and sum to 1 along the class axis (1); got minimum 0.5 and sums in "
        "[1.25, 1.25].", data=True),
]

for fn in ("softmax_cross_entropy", "focal_loss"):
    ROWS += [
        Bad(fn, (X, T), {"ignore_index": 1.0}, TypeError, f"{fn}: `ignore_index` must be an int; got 1.0."),
        Bad(fn, (X, T), {"label_smoothing": 1.5}, ValueError, f"{fn}: `label_smoothing` must be in [0, 1]; got 1.5."),
        Bad(fn, (X, T), {"label_smoothing": -0.1}, ValueError,
            f"{fn}: `label_smoothing` must be in [0, 1]; got -0.1."),
        Bad(fn, (X, T), {"label_smoothing": None}, TypeError,
            f"{fn}: `label_smoothing` must be a real number; got None."),
        Bad(fn, (X, T), {"smoothing_mode": "both"}, ValueError,
            f"{fn}: `smoothing_mode` must be one of 'uniform', 'off_target'; got 'both'."),
        Bad(fn, (X, T), {"reduction": "avg"}, ValueError,
            f"{fn}: `reduction` must be one of 'mean', 'sum', 'none'; got 'avg'."),
        Bad(fn, (X, T), {"reduction": None}, ValueError,
            f"{fn}: `reduction` must be one of 'mean', 'sum', 'none'; got None."),
        Bad(fn, (X, T), {"validate_args": 1}, TypeError, f"{fn}: `validate_args` must be a bool; got 1."),
        Bad(fn, (X.astype(np.int64), T), {}, TypeError, f"{fn}: `logits` must have a floating dtype; got int64."),
        Bad(fn, (X[0], T), {}, ValueError,
            f"{fn}: `logits` must have at least 2 dimensions (N, C, d1, ...); got shape (3,)."),
        Bad(fn, (X, BOOLS), {}, TypeError, f"{fn}: `target` must have an integer or floating dtype; got bool."),
        Bad(fn, (X, T[:, None]), {}, ValueError,
            f"{fn}: `target` must have shape (2,) to match `logits` (2, 3); got (2, 1)."),
        Bad(fn, (X[..., None], T), {}, ValueError,
            f"{fn}: `target` must have shape (2, 1) to match `logits` (2, 3, 1); got (2,)."),
        Bad(fn, (X, np.array([0, 3])), {}, ValueError,
            f"{fn}: `target` must hold class indices in [0, 2] or ignore_index -100; got values in [0, 3].",
            data=True),
        Bad(fn, (X, np.array([-1, 1])), {"ignore_index": 1}, ValueError,
            f"{fn}: `target` must hold class indices in [0, 2] or ignore_index 1; got values in [-1, -1].",
            data=True),
        Bad(fn, (X, Y[:, :2]), {}, ValueError, f"{fn}: `target` must have shape (2, 3) to match `logits`; got (2, 2)."),
        Bad(fn, (X, np.array([[0.25, 0.25, 0.75], [1.0, 0.0, 0.0]])), {}, ValueError,
            f"{fn}: `target` must be non-negative and sum to 1 along the class axis (1); got minimum 0.0 and sums "
            "in [1.0, 1.25].", data=True),
        Bad(fn, (X, np.array([[-0.5, 0.5, 1.0], [1.0, 0.0, 0.0]])), {}, ValueError,
            f"{fn}: `target` must be non-negative and sum to 1 along the class axis (1); got minimum -0.5 and sums "
            "in [1.0, 1.0].", data=True),
        Bad(fn, (X, T), {"weight": np.array([1, 2, 1])}, TypeError,
            f"{fn}: `weight` must have a floating dtype; got int64."),
        Bad(fn, (X, T), {"weight": f(1.0, 2.0)}, ValueError,
            f"{fn}: `weight` must have shape (3,) (one weight per class); got (2,)."),
        Bad(fn, (X, T), {"weight": f(1.0, -0.5, 2.0)}, ValueError,
            f"{fn}: `weight` must hold non-negative values; got values in [-0.5, 2.0].", data=True),
        Bad(fn, (X, T), {"weight": f(1.0, math.nan, 2.0)}, ValueError,
            f"{fn}: `weight` must hold non-negative values; got values in [nan, nan].", data=True),
        # order: options before types, types before shapes
        Bad(fn, (X.astype(np.int64), T), {"reduction": "avg"}, ValueError,
            f"{fn}: `reduction` must be one of 'mean', 'sum', 'none'; got 'avg'."),
        Bad(fn, (X[0].astype(np.int64), T), {}, TypeError, f"{fn}: `logits` must have a floating dtype; got int64."),
        Bad(fn, (X.tolist(), T), {}, TypeError, f"{fn}: `logits` must be a torch.Tensor; got list.", only="torch"),
    ]
ROWS += [
    Bad("focal_loss", (X, T), {"gamma": -1.0}, ValueError, "focal_loss: `gamma` must be >= 0; got -1.0."),
    Bad("focal_loss", (X, T), {"gamma": math.nan}, ValueError, "focal_loss: `gamma` must be >= 0; got nan."),
    Bad("focal_loss", (X, T), {"gamma": "2"}, TypeError, "focal_loss: `gamma` must be a real number; got '2'."),
    Bad("focal_loss", (X, T), {"gamma": True}, TypeError, "focal_loss: `gamma` must be a real number; got True."),
]

SF = "sigmoid_focal_loss"
ROWS += [
    Bad(SF, (X, B), {"gamma": -0.5}, ValueError, f"{SF}: `gamma` must be >= 0; got -0.5."),
    Bad(SF, (X, B), {"alpha": 1.5}, ValueError, f"{SF}: `alpha` must be in [0, 1]; got 1.5."),
    Bad(SF, (X, B), {"alpha": -1}, ValueError, f"{SF}: `alpha` must be in [0, 1]; got -1."),
    Bad(SF, (X, B), {"alpha": "none"}, TypeError, f"{SF}: `alpha` must be a real number; got 'none'."),
    Bad(SF, (X, B), {"reduction": "mean "}, ValueError,
        f"{SF}: `reduction` must be one of 'mean', 'sum', 'none'; got 'mean '."),
    Bad(SF, (X, B), {"validate_args": None}, TypeError, f"{SF}: `validate_args` must be a bool; got None."),
    Bad(SF, (X.astype(np.int64), B), {}, TypeError, f"{SF}: `logits` must have a floating dtype; got int64."),
    Bad(SF, (X, B.astype(np.int64)), {}, TypeError, f"{SF}: `target` must have a floating dtype; got int64."),
    Bad(SF, (X, B.T), {}, ValueError, f"{SF}: `target` must have shape (2, 3) to match `logits`; got (3, 2)."),
    Bad(SF, (X, B * 1.5), {}, ValueError, f"{SF}: `target` must hold values in [0, 1]; got values in [0.0, 1.5].",
        data=True),
    Bad(SF, (X, B - 0.5), {}, ValueError, f"{SF}: `target` must hold values in [0, 1]; got values in [-0.5, 0.5].",
        data=True),
]

F1 = "soft_f1_loss"
ROWS += [
    Bad(F1, (X, T), {"beta": 0}, ValueError, f"{F1}: `beta` must be > 0; got 0."),
    Bad(F1, (X, T), {"beta": "1"}, TypeError, f"{F1}: `beta` must be a real number; got '1'."),
    Bad(F1, (X, T), {"average": "weighted"}, ValueError,
        f"{F1}: `average` must be one of 'macro', 'micro'; got 'weighted'."),
    Bad(F1, (X, T), {"multilabel": 1}, TypeError, f"{F1}: `multilabel` must be a bool; got 1."),
    Bad(F1, (X, T), {"ignore_index": None}, TypeError, f"{F1}: `ignore_index` must be an int; got None."),
    Bad(F1, (X, T), {"eps": -1e-7}, ValueError, f"{F1}: `eps` must be >= 0; got -1e-07."),
    Bad(F1, (X, T), {"validate_args": "no"}, TypeError, f"{F1}: `validate_args` must be a bool; got 'no'."),
    Bad(F1, (X[0], T), {}, ValueError,
        f"{F1}: `logits` must have at least 2 dimensions (N, C, d1, ...); got shape (3,)."),
    Bad(F1, (X.astype(np.int64), T), {}, TypeError, f"{F1}: `logits` must have a floating dtype; got int64."),
    Bad(F1, (X, BOOLS), {}, TypeError, f"{F1}: `target` must have an integer or floating dtype; got bool."),
    Bad(F1, (X, np.array([[1, 0, 1], [0, 1, 1]])), {"multilabel": True}, TypeError,
        f"{F1}: `target` must have a floating dtype (multilabel=True); got int64."),
    Bad(F1, (X, T[:1]), {}, ValueError, f"{F1}: `target` must have shape (2,) to match `logits` (2, 3); got (1,)."),
    Bad(F1, (X, np.array([0, 5])), {}, ValueError,
        f"{F1}: `target` must hold class indices in [0, 2] or ignore_index -100; got values in [0, 5].", data=True),
    Bad(F1, (X, Y.T), {}, ValueError, f"{F1}: `target` must have shape (2, 3) to match `logits`; got (3, 2)."),
    Bad(F1, (X, np.array([[0.25, 0.25, 0.75], [1.0, 0.0, 0.0]])), {}, ValueError,
        f"{F1}: `target` must be non-negative and sum to 1 along the class axis (1); got minimum 0.0 and sums "
        "in [1.0, 1.25].", data=True),
    Bad(F1, (X, B * 1.5), {"multilabel": True}, ValueError,
        f"{F1}: `target` must hold values in [0, 1]; got values in [0.0, 1.5].", data=True),
]

IMPLS = {"reference": ref, "torch": tim}


def _as_torch(value: Any) -> Any:
    return torch.from_numpy(value) if isinstance(value, np.ndarray) else \
        torch.tensor(value) if isinstance(value, np.generic) else value


def _call(impl: str, row: Bad, **extra: Any) -> Any:
    args, kwargs = row.args, {**row.kwargs, **extra}
    if impl == "torch":
        args = tuple(_as_torch(a) for a in args)
        kwargs = {k: _as_torch(v) for k, v in kwargs.items()}
    return getattr(IMPLS[impl], row.func)(*args, **kwargs)


CASES = [(impl, row) for row in ROWS for impl in IMPLS if row.only in (None, impl)]


@pytest.mark.parametrize("impl, row", CASES, ids=[f"{impl}-{row.func}-{n}" for n, (impl, row) in enumerate(CASES)])
def test_bad_input_raises_with_the_message(impl, row):
    with pytest.raises(row.exc, match=f"^{re.escape(row.msg)}$"):
        _call(impl, row)


SKIPPABLE = [(impl, row) for impl, row in CASES if row.data and "class indices" not in row.msg]


@pytest.mark.parametrize("impl, row", SKIPPABLE,
                         ids=[f"{impl}-{row.func}-{n}" for n, (impl, row) in enumerate(SKIPPABLE)])
def test_data_checks_are_skipped_without_validate_args(impl, row):
    """validate_args=False computes on the given values (out-of-range class indices are left out: what
    happens to them is up to the indexing underneath, e.g. F.cross_entropy's own error)."""
    with np.errstate(invalid="ignore"):  # log of a negative "probability": NaN is the honest answer here
        _call(impl, row, validate_args=False)


def test_torch_out_of_range_index_without_validation_is_the_kernels_error():
    with pytest.raises((IndexError, RuntimeError)):
        tim.softmax_cross_entropy(torch.from_numpy(X), torch.tensor([0, 3]), validate_args=False)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_torch_device_mismatch():
    x = torch.from_numpy(X).cuda()
    with pytest.raises(ValueError, match=re.escape(
            "softmax_cross_entropy: `target` must be on the device of `logits` (cuda:0); got cpu.")):
        tim.softmax_cross_entropy(x, torch.from_numpy(T))
    with pytest.raises(ValueError, match=re.escape(
            "focal_loss: `weight` must be on the device of `logits` (cuda:0); got cpu.")):
        tim.focal_loss(x, torch.from_numpy(T).cuda(), weight=torch.from_numpy(W))
    with pytest.raises(ValueError, match=re.escape("kl_divergence: `q` must be on the device of `p` (cuda:0); got cpu.")):
        tim.kl_divergence(torch.from_numpy(P).cuda(), torch.from_numpy(Q))
