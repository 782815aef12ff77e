"""The two packages expose the same public names, in the same order, with the same parameters.

Oracle: ``reference`` itself (the executable specification).  Annotations differ by design (array-likes
vs tensors), so the comparison is per parameter: (name, kind, default).
"""

from __future__ import annotations

import inspect

import pytest

import reference
import torch_impl

MODULES = ["information", "smoothing", "losses", "metrics"]


def _params(func):
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


def test_top_level_names_are_equal():
    assert reference.__all__ == torch_impl.__all__
    assert len(set(reference.__all__)) == len(reference.__all__)


@pytest.mark.parametrize("module", MODULES)
def test_module_names_are_equal(module):
    assert getattr(reference, module).__all__ == getattr(torch_impl, module).__all__


@pytest.mark.parametrize("module, name", [(m, n) for m in MODULES for n in getattr(reference, m).__all__])
def test_signatures_are_equal(module, name):
    ref_obj = getattr(getattr(reference, module), name)
    torch_obj = getattr(getattr(torch_impl, module), name)
    if inspect.isclass(ref_obj):  # a class in both packages: compare the constructors
        assert inspect.isclass(torch_obj)
        ref_obj, torch_obj = ref_obj.__init__, torch_obj.__init__
    assert _params(ref_obj) == _params(torch_obj)
    assert getattr(torch_impl, name) is getattr(getattr(torch_impl, module), name)


@pytest.mark.parametrize("name", [n for m in ["information", "smoothing", "losses"] for n in
                                  getattr(reference, m).__all__])
def test_every_function_takes_validate_args_last(name):
    last = list(inspect.signature(getattr(torch_impl, name)).parameters.values())[-1]
    assert (last.name, last.kind, last.default) == ("validate_args", inspect.Parameter.KEYWORD_ONLY, True)


@pytest.mark.parametrize("name", ["SoftmaxCrossEntropy", "FocalLoss", "SigmoidFocalLoss", "SoftF1Loss"])
def test_module_constructors_mirror_their_functional(name):
    """Every option of the functional (after the two data arguments) is a constructor keyword with its default."""
    from torch_impl import losses, modules

    functional = {"SoftmaxCrossEntropy": losses.softmax_cross_entropy, "FocalLoss": losses.focal_loss,
                  "SigmoidFocalLoss": losses.sigmoid_focal_loss, "SoftF1Loss": losses.soft_f1_loss}[name]
    assert _params(getattr(modules, name).__init__)[1:] == _params(functional)[2:]


@pytest.mark.parametrize("module", ["information", "smoothing", "losses"])
def test_torch_docstring_examples_run(module):
    """The ``Examples:`` of every torch docstring are doctests that pass (the oracle is the hand-derived
    value in each example's comment)."""
    import doctest

    result = doctest.testmod(getattr(torch_impl, module), verbose=False)
    assert result.attempted > 0 and result.failed == 0
