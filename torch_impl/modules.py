"""``nn.Module`` forms of the losses: they hold the keyword arguments and call the functional form.

Options are validated at construction with the functionals' own checkers; tensors (class weights)
are buffers, so ``.to()`` moves them; ``forward`` is one call of the functional.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from . import _checks as C
from . import losses
from .losses import (
    Reduction,
    _check_sigmoid_focal_options,
    _check_soft_f1_options,
    _check_softmax_options,
)

__all__ = ["SoftmaxCrossEntropy", "FocalLoss", "SigmoidFocalLoss", "SoftF1Loss"]


def _checked_weight(func: str, weight: Any) -> Tensor | None:
    if weight is None:
        return None
    w = C.as_float(func, "weight", weight)
    C.check_ndim_at_least(func, "weight", w.shape, 1, "(C,)")
    C.check_shape(func, "weight", w.shape, w.shape[:1], "(one weight per class)")
    return w


def _weight_repr(weight: Tensor | None) -> str:
    return "None" if weight is None else f"tensor of shape {tuple(weight.shape)}"


class SoftmaxCrossEntropy(torch.nn.Module):
    """Module form of :func:`torch_impl.losses.softmax_cross_entropy`; same math, defaults and conventions."""

    weight: Tensor | None

    def __init__(self, *, weight: Tensor | None = None, ignore_index: int = -100, label_smoothing: float = 0.0,
                 smoothing_mode: str = "uniform", reduction: Reduction = "mean", validate_args: bool = True):
        super().__init__()
        func = type(self).__name__
        _check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
        self.register_buffer("weight", _checked_weight(func, weight))
        self.ignore_index, self.label_smoothing, self.smoothing_mode = ignore_index, label_smoothing, smoothing_mode
        self.reduction, self.validate_args = reduction, validate_args

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return losses.softmax_cross_entropy(logits, target, weight=self.weight, ignore_index=self.ignore_index,
                                            label_smoothing=self.label_smoothing,
                                            smoothing_mode=self.smoothing_mode, reduction=self.reduction,
                                            validate_args=self.validate_args)

    def extra_repr(self) -> str:
        return (f"weight={_weight_repr(self.weight)}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, smoothing_mode={self.smoothing_mode!r}, "
                f"reduction={self.reduction!r}, validate_args={self.validate_args}")


class FocalLoss(torch.nn.Module):
    """Module form of :func:`torch_impl.losses.focal_loss`; same math, defaults and conventions."""

    weight: Tensor | None

    def __init__(self, *, gamma: float = 2.0, weight: Tensor | None = None, ignore_index: int = -100,
                 label_smoothing: float = 0.0, smoothing_mode: str = "uniform", reduction: Reduction = "mean",
                 validate_args: bool = True):
        super().__init__()
        func = type(self).__name__
        C.check_nonnegative(func, "gamma", gamma)
        _check_softmax_options(func, ignore_index, label_smoothing, smoothing_mode, reduction, validate_args)
        self.register_buffer("weight", _checked_weight(func, weight))
        self.gamma, self.ignore_index, self.label_smoothing = gamma, ignore_index, label_smoothing
        self.smoothing_mode, self.reduction, self.validate_args = smoothing_mode, reduction, validate_args

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return losses.focal_loss(logits, target, gamma=self.gamma, weight=self.weight,
                                 ignore_index=self.ignore_index, label_smoothing=self.label_smoothing,
                                 smoothing_mode=self.smoothing_mode, reduction=self.reduction,
                                 validate_args=self.validate_args)

    def extra_repr(self) -> str:
        return (f"gamma={self.gamma}, weight={_weight_repr(self.weight)}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, smoothing_mode={self.smoothing_mode!r}, "
                f"reduction={self.reduction!r}, validate_args={self.validate_args}")


class SigmoidFocalLoss(torch.nn.Module):
    """Module form of :func:`torch_impl.losses.sigmoid_focal_loss`; same math, defaults and conventions."""

    def __init__(self, *, gamma: float = 2.0, alpha: float | None = 0.25, reduction: Reduction = "mean",
                 validate_args: bool = True):
        super().__init__()
        _check_sigmoid_focal_options(type(self).__name__, gamma, alpha, reduction, validate_args)
        self.gamma, self.alpha, self.reduction, self.validate_args = gamma, alpha, reduction, validate_args

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return losses.sigmoid_focal_loss(logits, target, gamma=self.gamma, alpha=self.alpha,
                                         reduction=self.reduction, validate_args=self.validate_args)

    def extra_repr(self) -> str:
        return (f"gamma={self.gamma}, alpha={self.alpha}, reduction={self.reduction!r}, "
                f"validate_args={self.validate_args}")


class SoftF1Loss(torch.nn.Module):
    """Module form of :func:`torch_impl.losses.soft_f1_loss`; same math, defaults and conventions."""

    def __init__(self, *, beta: float = 1.0, average: str = "macro", multilabel: bool = False,
                 ignore_index: int = -100, eps: float = 1e-7, validate_args: bool = True):
        super().__init__()
        _check_soft_f1_options(type(self).__name__, beta, average, multilabel, ignore_index, eps, validate_args)
        self.beta, self.average, self.multilabel = beta, average, multilabel
        self.ignore_index, self.eps, self.validate_args = ignore_index, eps, validate_args

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return losses.soft_f1_loss(logits, target, beta=self.beta, average=self.average, multilabel=self.multilabel,
                                   ignore_index=self.ignore_index, eps=self.eps, validate_args=self.validate_args)

    def extra_repr(self) -> str:
        return (f"beta={self.beta}, average={self.average!r}, multilabel={self.multilabel}, "
                f"ignore_index={self.ignore_index}, eps={self.eps}, validate_args={self.validate_args}")
