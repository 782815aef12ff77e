"""The metrics modules mirror each other: names, order, parameters, docstrings; their doctests run."""

from __future__ import annotations

import doctest
import inspect
from typing import Any

import pytest

import reference.metrics as ref
import torch_impl.metrics as tim
from torch_impl.metrics import F1Score

SECTIONS = ("Math:", "Args:", "Returns:", "Conventions:", "Raises:", "References:", "Examples:")


def test_same_public_names_in_the_same_order() -> None:
    assert ref.__all__ == tim.__all__ == ["confusion_matrix", "precision_recall_fscore", "f1_score", "fbeta_score",
                                          "accuracy", "multilabel_f1_score"]
    # F1Score is torch-only: importable from torch_impl.metrics, kept out of the mirrored __all__
    assert "F1Score" not in tim.__all__ and tim.F1Score is F1Score


def _params(func: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


@pytest.mark.parametrize("name", ref.__all__)
def test_same_parameters(name: str) -> None:
    ref_params, tim_params = _params(getattr(ref, name)), _params(getattr(tim, name))
    assert ref_params == tim_params
    assert ref_params[-1][:2] == ("validate_args", inspect.Parameter.KEYWORD_ONLY) and ref_params[-1][2] is True


@pytest.mark.parametrize("name", ref.__all__)
def test_docstrings_match_except_examples(name: str) -> None:
    ref_doc, tim_doc = getattr(ref, name).__doc__, getattr(tim, name).__doc__
    for section in SECTIONS:
        assert section in ref_doc, f"{name}: no {section} section"
    assert ref_doc.split("    Examples:")[0] == tim_doc.split("    Examples:")[0]


def test_f1score_docstring_explains_per_batch_averaging() -> None:
    doc = F1Score.__doc__
    assert doc is not None and "Why not average per-batch F1" in doc
    for section in SECTIONS[1:]:
        assert section in doc


@pytest.mark.parametrize("module", [ref, tim], ids=["reference", "torch"])
def test_doctests(module: Any) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= len(module.__all__) and result.failed == 0
