"""The special-value table: one row per convention in the docstrings (``Conventions:``), per package.

Every row is (function, positional arguments as float64/int64 arrays, options, expected value, gradient
expectation, dtypes).  The expected values are derived by hand in each row's comment; they are exact in
every listed dtype (the inputs are chosen to be representable: 8192 and 16384 are powers of two, 1e4 is
exact in float16 but not in bfloat16, so rows with 1e4 only demand finiteness).  ``rtol_eps`` > 0 allows
that many machine epsilons of the dtype (for results like log C that no dtype holds exactly).

Gradient expectations (torch only): ``None`` (not checked), ``"finite"`` (every entry finite, also the
gradients of probability arguments), or an array (the exact gradient of the logits, cotangent 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

ALL = (torch.float64, torch.float32, torch.float16, torch.bfloat16)
EXACT_1E4 = (torch.float64, torch.float32, torch.float16)  # bfloat16 rounds 1e4 to 9984
INF, NAN = math.inf, math.nan


@dataclass(frozen=True)
class Row:
    id: str
    func: str
    args: tuple[np.ndarray, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    expected: Any = None  # None: only "finite" is demanded
    grad: Any = None
    dtypes: tuple[torch.dtype, ...] = ALL
    rtol_eps: float = 0.0


def f(*values: Any) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def i(*values: Any) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _uniform_rows() -> list[Row]:
    """Equal logits at a large offset: softmax is exactly uniform, so H = CE = log C (C = 5) and
    focal = (1 - 1/C)^gamma log C; a naive m + log sum exp(x - m) - x_t loses every digit here."""
    rows = []
    for offset, dtypes in ((1e6, (torch.float64, torch.float32)), (4096.0, (torch.float16,)),
                           (256.0, (torch.bfloat16,))):
        x = np.full((2, 5), offset)
        rows += [
            Row(f"ce-uniform-{offset:g}", "softmax_cross_entropy", (x, i(0, 4)), {}, math.log(5), "finite",
                dtypes, 2),
            Row(f"focal-uniform-{offset:g}", "focal_loss", (x, i(0, 4)), {"gamma": 2.0}, 0.64 * math.log(5),
                "finite", dtypes, 2),
            Row(f"entropy-uniform-logits-{offset:g}", "entropy", (np.full(5, offset),), {"from_logits": True},
                math.log(5), "finite", dtypes, 2),
        ]
    return rows


def _pt_to_one_rows() -> list[Row]:
    """p_t -> 1 with 0 < gamma < 1: d/dp (1 - p)^gamma blows up, the focal term's derivative does not.
    Logit gaps 10 .. 1e4 take p_t from 1 - 4.5e-5 to exactly 1 in every dtype."""
    rows = []
    for gap in (10.0, 17.0, 40.0, 1e4):
        for gamma in (0.1, 0.5, 0.9):
            for opts in ({}, {"label_smoothing": 0.1}):
                rows.append(Row(f"focal-pt-to-1-gap{gap:g}-gamma{gamma}-{len(opts)}", "focal_loss",
                                (f([gap, 0.0, 0.0]), i(0)), {"gamma": gamma, **opts}, None, "finite"))
            rows.append(Row(f"focal-pt-to-1-probs-gap{gap:g}-gamma{gamma}", "focal_loss",
                            (f([gap, 0.0]), f([1.0, 0.0])), {"gamma": gamma}, None, "finite"))
            for validate in (True, False):
                rows.append(Row(f"sigmoid-focal-pt-to-1-x{gap:g}-gamma{gamma}-{validate}", "sigmoid_focal_loss",
                                (f(gap, -gap), f(1.0, 0.0)), {"gamma": gamma, "validate_args": validate}, None,
                                "finite"))
    return rows


ROWS: list[Row] = [
    # ------------------------------------------------------------------ information
    # one-hot: every term is 1 log 1 = 0 or 0 log 0 := 0
    Row("entropy-one-hot", "entropy", (f(0.0, 1.0, 0.0),), {}, 0.0, "finite"),
    # 0 log 0 = 0 next to two halves: -2 * 0.5 log 0.5 = log 2 (one rounding of log 2 in the output dtype)
    Row("entropy-zero-entry", "entropy", (f(0.5, 0.5, 0.0),), {}, math.log(2), "finite", rtol_eps=1),
    # H(p, q) with q = 0 where p > 0: -1 * log 0 = +inf
    Row("ce-q-zero", "cross_entropy", (f(1.0, 0.0), f(0.0, 1.0)), {}, INF),
    Row("kl-q-zero", "kl_divergence", (f(0.5, 0.5), f(1.0, 0.0)), {}, INF),
    # p = 0 where q = 0: the term is 0 log 0 = 0, the other 1 log 1 = 0
    Row("ce-zero-log-zero", "cross_entropy", (f(0.0, 1.0), f(0.0, 1.0)), {}, 0.0, "finite"),
    Row("kl-zero-log-zero", "kl_divergence", (f(1.0, 0.0), f(1.0, 0.0)), {}, 0.0, "finite"),
    # KL((1, 0) || (1/2, 1/2)) = 1 log 2 + 0 log 0 = log 2
    Row("kl-half", "kl_divergence", (f(1.0, 0.0), f(0.5, 0.5)), {}, math.log(2), "finite", rtol_eps=1),
    # logits (0, -1e4): p = (1, e^-1e4) = (1, 0) in every dtype, so H = 0 and CE against (-1e4, 0) is 1e4
    Row("entropy-logits-1e4", "entropy", (f(0.0, -1e4),), {"from_logits": True}, 0.0, "finite", EXACT_1E4),
    Row("ce-logits-1e4", "cross_entropy", (f(0.0, -1e4), f(-1e4, 0.0)), {"from_logits": True}, None, "finite"),
    Row("ce-logits-8192", "cross_entropy", (f(0.0, -8192.0), f(-8192.0, 0.0)), {"from_logits": True}, 8192.0,
        "finite"),
    Row("kl-logits-8192", "kl_divergence", (f(0.0, -8192.0), f(-8192.0, 0.0)), {"from_logits": True}, 8192.0,
        "finite"),
    # NaN propagates (xlogy's convention, STYLE.md section 6), in p as in q
    Row("entropy-nan", "entropy", (f(NAN, 0.5),), {"validate_args": False}, NAN),
    Row("ce-nan-p", "cross_entropy", (f(NAN, 0.5), f(0.5, 0.5)), {"validate_args": False}, NAN),
    Row("ce-nan-q", "cross_entropy", (f(0.5, 0.5), f(NAN, 0.5)), {"validate_args": False}, NAN),
    Row("kl-nan-p", "kl_divergence", (f(NAN, 0.5), f(0.5, 0.5)), {"validate_args": False}, NAN),
    Row("kl-nan-q", "kl_divergence", (f(0.5, 0.5), f(NAN, 0.5)), {"validate_args": False}, NAN),
    # ------------------------------------------------------------------ softmax losses
    # logits (8192, -8192): log p = (0, -16384) exactly; d/dx = p - onehot
    Row("ce-8192-right", "softmax_cross_entropy", (f([8192.0, -8192.0]), i(0)), {}, 0.0, f([0.0, 0.0])),
    Row("ce-8192-wrong", "softmax_cross_entropy", (f([8192.0, -8192.0]), i(1)), {}, 16384.0,
        f([1.0, -1.0])),
    Row("ce-1e4", "softmax_cross_entropy", (f([1e4, -1e4]), i(1)), {"label_smoothing": 0.2}, None, "finite"),
    # focal at p_t = 1: the term and its gradient are 0; at p_t = 0: (1 - 0)^g = 1, so it is the CE, and
    # f'(u) = -(1 - p)^g (1 - g p u / (1 - p)) = -1 at p = 0, the gradient is that of the CE
    Row("focal-8192-right", "focal_loss", (f([8192.0, -8192.0]), i(0)), {"gamma": 0.5}, 0.0, f([0.0, 0.0])),
    Row("focal-8192-wrong", "focal_loss", (f([8192.0, -8192.0]), i(1)), {"gamma": 2.0}, 16384.0,
        f([1.0, -1.0])),
    Row("focal-1e4", "focal_loss", (f([1e4, -1e4, 0.0]), i(2)), {"gamma": 0.5, "label_smoothing": 0.1,
                                                                          "weight": f(1.0, 2.0, 0.5)}, None, "finite"),
    # probability target 0 against log p = -inf: 0 * log 0 = 0 (value 0, gradient p - y = 0)
    Row("ce-probs-zero-log-zero", "softmax_cross_entropy", (f([0.0, -INF]), f([1.0, 0.0])), {}, 0.0,
        f([0.0, 0.0])),
    # probability target > 0 against p = 0: +inf
    Row("ce-probs-q-zero", "softmax_cross_entropy", (f([0.0, -INF]), f([0.5, 0.5])), {}, INF),
    # index target: a -inf logit elsewhere changes nothing, log p_t = 0
    Row("ce-index-neg-inf-other", "softmax_cross_entropy", (f([0.0, -INF]), i(0)), {}, 0.0, f([0.0, 0.0])),
    Row("ce-nan", "softmax_cross_entropy", (f([NAN, 0.0]), i(1)), {}, NAN),
    Row("ce-pos-inf", "softmax_cross_entropy", (f([INF, 0.0]), i(0)), {}, NAN),
    # empty batch / everything ignored: "mean" is 0/0 = NaN, "sum" is 0, "none" is empty or zeros
    Row("ce-empty-mean", "softmax_cross_entropy", (np.zeros((0, 3)), i()), {}, NAN),
    Row("ce-empty-sum", "softmax_cross_entropy", (np.zeros((0, 3)), i()), {"reduction": "sum"}, 0.0),
    Row("ce-empty-none", "softmax_cross_entropy", (np.zeros((0, 3)), i()), {"reduction": "none"}, f()),
    Row("ce-empty-probs-mean", "softmax_cross_entropy", (np.zeros((0, 3)), np.zeros((0, 3))), {}, NAN),
    Row("focal-empty-mean", "focal_loss", (np.zeros((0, 3)), i()), {"label_smoothing": 0.1}, NAN),
    Row("ce-all-ignored-mean", "softmax_cross_entropy", (np.zeros((2, 3)), i(-100, -100)), {}, NAN),
    Row("ce-all-ignored-none", "softmax_cross_entropy", (np.zeros((2, 3)), i(-100, -100)),
        {"reduction": "none", "label_smoothing": 0.3}, f(0.0, 0.0)),
    Row("focal-all-ignored-mean", "focal_loss", (np.zeros((2, 3)), i(-100, -100)), {"label_smoothing": 0.3}, NAN),
    # ------------------------------------------------------------------ sigmoid focal
    # p_t = 1 at |x| = 1e4 (and at x = +inf): 0 with zero gradient
    Row("sigmoid-focal-1e4-right", "sigmoid_focal_loss", (f(1e4, -1e4), f(1.0, 0.0)), {"gamma": 0.5}, 0.0,
        f(0.0, 0.0), EXACT_1E4),
    Row("sigmoid-focal-inf-right", "sigmoid_focal_loss", (f(INF, -INF), f(1.0, 0.0)), {}, 0.0, f(0.0, 0.0)),
    Row("bce-inf-right", "sigmoid_focal_loss", (f(INF, -INF), f(1.0, 0.0)), {"gamma": 0.0, "alpha": None}, 0.0,
        f(0.0, 0.0)),
    # p_t = 0 at x = -8192, y = 1: (1 - 0)^2 * 8192; d/dx = q^g (g (1 - 2y) p ce + p - y) with p = 0: -1
    Row("sigmoid-focal-8192-wrong", "sigmoid_focal_loss", (f(-8192.0), f(1.0)), {"alpha": None}, 8192.0, f(-1.0)),
    # the same 0/1 rows through the general (soft-target) form, which validate_args=False takes in torch
    Row("sigmoid-focal-1e4-right-general", "sigmoid_focal_loss", (f(1e4, -1e4), f(1.0, 0.0)),
        {"gamma": 0.5, "validate_args": False}, 0.0, f(0.0, 0.0), EXACT_1E4),
    Row("sigmoid-focal-inf-right-general", "sigmoid_focal_loss", (f(INF, -INF), f(1.0, 0.0)),
        {"validate_args": False}, 0.0, f(0.0, 0.0)),
    Row("sigmoid-focal-8192-wrong-general", "sigmoid_focal_loss", (f(-8192.0), f(1.0)),
        {"alpha": None, "validate_args": False}, 8192.0, f(-1.0)),
    # x = -inf with y = 1: p_t = 0, the loss is +inf and the gradient its limit -alpha_t = -0.25
    Row("sigmoid-focal-neg-inf-wrong", "sigmoid_focal_loss", (f(-INF), f(1.0)), {}, INF, f(-0.25)),
    Row("sigmoid-focal-neg-inf-wrong-general", "sigmoid_focal_loss", (f(-INF), f(1.0)), {"validate_args": False},
        INF, f(-0.25)),
    Row("sigmoid-focal-1e4-soft", "sigmoid_focal_loss", (f(1e4, -1e4), f(0.5, 0.25)), {"gamma": 0.5}, None,
        "finite"),
    Row("sigmoid-focal-empty-mean", "sigmoid_focal_loss", (f(), f()), {}, NAN),
    Row("sigmoid-focal-empty-sum", "sigmoid_focal_loss", (f(), f()), {"reduction": "sum"}, 0.0),
    Row("sigmoid-focal-nan", "sigmoid_focal_loss", (f(NAN), f(1.0)), {}, NAN),
    # ------------------------------------------------------------------ soft F1
    # empty batch: every count is 0, so F_c = 0 / eps = 0 and the loss is 1; with eps = 0 it is 0/0
    Row("soft-f1-empty", "soft_f1_loss", (np.zeros((0, 3)), i()), {}, 1.0),
    Row("soft-f1-empty-eps0", "soft_f1_loss", (np.zeros((0, 3)), i()), {"eps": 0.0}, NAN),
    Row("soft-f1-all-ignored", "soft_f1_loss", (np.zeros((2, 3)), i(-100, -100)), {}, 1.0),
    # logits (8192, -8192) on the right class: P is one-hot = Y, TP = 1, FP = FN = 0, F = 1/(1 + eps)
    Row("soft-f1-perfect", "soft_f1_loss", (f([8192.0, -8192.0]), i(0)), {"eps": 0.0, "average": "micro"},
        0.0, f([0.0, 0.0])),
    Row("soft-f1-1e4", "soft_f1_loss", (f([1e4, -1e4]), i(1)), {}, None, "finite"),
    *_uniform_rows(),
    *_pt_to_one_rows(),
]
