"""nn.Module forms: the same numbers as the functional (torch.equal), buffers that move with .to(),
pickle round-trips, construction-time validation and a readable extra_repr.

Oracle: the functional form itself (the module must add nothing but the stored options).
"""

from __future__ import annotations

import io
import pickle
import re

import numpy as np
import pytest
import torch
from hypothesis import given

from torch_impl import losses, modules

from . import strategies as S
from .torch_cases import torch_case


def _same(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@given(case=S.softmax_loss_case())
def test_softmax_modules_equal_functionals(case, dtype):
    (x, t, kw), _ = torch_case(*case, dtype, "cpu")
    _same(modules.SoftmaxCrossEntropy(**kw)(x, t), losses.softmax_cross_entropy(x, t, **kw))
    _same(modules.FocalLoss(gamma=0.5, **kw)(x, t), losses.focal_loss(x, t, gamma=0.5, **kw))


@given(case=S.sigmoid_loss_case())
def test_sigmoid_focal_module_equals_functional(case):
    (x, t, kw), _ = torch_case(*case, torch.float32, "cpu")
    _same(modules.SigmoidFocalLoss(**kw)(x, t), losses.sigmoid_focal_loss(x, t, **kw))


@given(case=S.soft_f1_case())
def test_soft_f1_module_equals_functional(case):
    (x, t, kw), _ = torch_case(*case, torch.float32, "cpu")
    _same(modules.SoftF1Loss(**kw)(x, t), losses.soft_f1_loss(x, t, **kw))


def test_defaults_are_the_functionals():
    x = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    t = torch.tensor([0, 2])
    y = torch.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]])
    _same(modules.SoftmaxCrossEntropy()(x, t), losses.softmax_cross_entropy(x, t))
    _same(modules.FocalLoss()(x, t), losses.focal_loss(x, t))
    _same(modules.SigmoidFocalLoss()(x, y), losses.sigmoid_focal_loss(x, y))
    _same(modules.SoftF1Loss()(x, t), losses.soft_f1_loss(x, t))


@pytest.mark.parametrize("cls", [modules.SoftmaxCrossEntropy, modules.FocalLoss])
def test_weight_is_a_buffer_that_moves_with_to(cls):
    loss = cls(weight=torch.tensor([1.0, 2.0, 0.5]))
    assert "weight" in dict(loss.named_buffers()) and "weight" in loss.state_dict()
    assert not list(loss.parameters())
    loss = loss.to(torch.float64)
    assert loss.weight.dtype == torch.float64
    x = torch.tensor([[2.0, -1.0, 0.5]], dtype=torch.float64)
    _same(loss(x, torch.tensor([1])), getattr(losses, "focal_loss" if cls is modules.FocalLoss
                                              else "softmax_cross_entropy")(x, torch.tensor([1]), weight=loss.weight))
    for device in S.DEVICES:
        assert loss.to(device).weight.device.type == device


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_module_on_cuda_equals_functional():
    loss = modules.FocalLoss(weight=torch.tensor([1.0, 2.0, 0.5]), label_smoothing=0.1).to("cuda")
    x, t = torch.randn(4, 3, device="cuda"), torch.tensor([0, 1, 2, 1], device="cuda")
    _same(loss(x, t), losses.focal_loss(x, t, weight=loss.weight, label_smoothing=0.1))


@pytest.mark.parametrize("module", [
    modules.SoftmaxCrossEntropy(weight=torch.tensor([1.0, 2.0, 0.5]), ignore_index=1, label_smoothing=0.2,
                                smoothing_mode="off_target", reduction="sum"),
    modules.FocalLoss(gamma=0.5, weight=torch.tensor([1.0, 2.0, 0.5]), label_smoothing=0.1, reduction="none"),
    modules.SigmoidFocalLoss(gamma=1.5, alpha=None, reduction="sum"),
    modules.SoftF1Loss(beta=2.0, average="micro", eps=1e-3),
], ids=lambda m: type(m).__name__)
def test_pickle_round_trip(module):
    x = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    target = torch.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]]) if isinstance(module, modules.SigmoidFocalLoss) \
        else torch.tensor([0, 2])
    clone = pickle.loads(pickle.dumps(module))
    assert repr(clone) == repr(module)
    _same(clone(x, target), module(x, target))
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    buffer.seek(0)
    for key, value in torch.load(buffer).items():
        _same(value, module.state_dict()[key])


def test_extra_repr_shows_the_settings():
    assert repr(modules.FocalLoss(gamma=0.5, weight=torch.ones(3), label_smoothing=0.1)) == (
        "FocalLoss(gamma=0.5, weight=tensor of shape (3,), ignore_index=-100, label_smoothing=0.1, "
        "smoothing_mode='uniform', reduction='mean', validate_args=True)")
    assert repr(modules.SoftmaxCrossEntropy()) == (
        "SoftmaxCrossEntropy(weight=None, ignore_index=-100, label_smoothing=0.0, smoothing_mode='uniform', "
        "reduction='mean', validate_args=True)")
    assert repr(modules.SigmoidFocalLoss(alpha=None)) == (
        "SigmoidFocalLoss(gamma=2.0, alpha=None, reduction='mean', validate_args=True)")
    assert repr(modules.SoftF1Loss(multilabel=True)) == (
        "SoftF1Loss(beta=1.0, average='macro', multilabel=True, ignore_index=-100, eps=1e-07, validate_args=True)")


BAD_OPTIONS = [
    (modules.SoftmaxCrossEntropy, {"label_smoothing": 1.5}, ValueError,
     "SoftmaxCrossEntropy: `label_smoothing` must be in [0, 1]; got 1.5."),
    (modules.SoftmaxCrossEntropy, {"reduction": "avg"}, ValueError,
     "SoftmaxCrossEntropy: `reduction` must be one of 'mean', 'sum', 'none'; got 'avg'."),
    (modules.SoftmaxCrossEntropy, {"weight": np.ones(3)}, TypeError,
     "SoftmaxCrossEntropy: `weight` must be a torch.Tensor; got ndarray."),
    (modules.SoftmaxCrossEntropy, {"weight": torch.ones(2, 3)}, ValueError,
     "SoftmaxCrossEntropy: `weight` must have shape (2,) (one weight per class); got (2, 3)."),
    (modules.FocalLoss, {"gamma": -1.0}, ValueError, "FocalLoss: `gamma` must be >= 0; got -1.0."),
    (modules.FocalLoss, {"weight": torch.ones(3, dtype=torch.int64)}, TypeError,
     "FocalLoss: `weight` must have a floating dtype; got int64."),
    (modules.FocalLoss, {"weight": torch.tensor(1.0)}, ValueError,
     "FocalLoss: `weight` must have at least 1 dimensions (C,); got shape ()."),
    (modules.FocalLoss, {"smoothing_mode": "other"}, ValueError,
     "FocalLoss: `smoothing_mode` must be one of 'uniform', 'off_target'; got 'other'."),
    (modules.SigmoidFocalLoss, {"alpha": 2.0}, ValueError, "SigmoidFocalLoss: `alpha` must be in [0, 1]; got 2.0."),
    (modules.SigmoidFocalLoss, {"gamma": "2"}, TypeError, "SigmoidFocalLoss: `gamma` must be a real number; got '2'."),
    (modules.SoftF1Loss, {"beta": 0.0}, ValueError, "SoftF1Loss: `beta` must be > 0; got 0.0."),
    (modules.SoftF1Loss, {"average": "weighted"}, ValueError,
     "SoftF1Loss: `average` must be one of 'macro', 'micro'; got 'weighted'."),
    (modules.SoftF1Loss, {"multilabel": 1}, TypeError, "SoftF1Loss: `multilabel` must be a bool; got 1."),
    (modules.SoftF1Loss, {"validate_args": None}, TypeError, "SoftF1Loss: `validate_args` must be a bool; got None."),
]


@pytest.mark.parametrize("cls, kwargs, exc, msg", BAD_OPTIONS,
                         ids=[f"{c.__name__}-{next(iter(k))}" for c, k, _, _ in BAD_OPTIONS])
def test_bad_options_fail_at_construction(cls, kwargs, exc, msg):
    with pytest.raises(exc, match=f"^{re.escape(msg)}$"):
        cls(**kwargs)
