"""torch_impl.registry: spec parsing, errors with close-match hints, argparse, and round trips.

Oracle for the round trips: the functional of ``torch_impl.losses`` called directly with the
same settings; the module built from a string or a dict must give exactly (``torch.equal``) its
result, in value and in gradient.
"""

from __future__ import annotations

import argparse
import inspect
import math
import re
from typing import Any

import numpy as np
import pytest
import torch

from torch_impl import losses, modules
from torch_impl.registry import add_loss_argument, loss_names, loss_settings, make_loss, parse_spec, parse_value

NAMES = ["cross_entropy", "focal", "sigmoid_focal", "soft_f1"]
FUNCTIONS = {"cross_entropy": "softmax_cross_entropy", "focal": "focal_loss",
             "sigmoid_focal": "sigmoid_focal_loss", "soft_f1": "soft_f1_loss"}
MODULES = {"cross_entropy": modules.SoftmaxCrossEntropy, "focal": modules.FocalLoss,
           "sigmoid_focal": modules.SigmoidFocalLoss, "soft_f1": modules.SoftF1Loss}
ALL_NAMES = ", ".join(repr(n) for n in [*NAMES, *FUNCTIONS.values()])


# ----------------------------------------------------------------------------- parsing
@pytest.mark.parametrize("text, expected", [
    ("2", 2), ("-100", -100), ("0.1", 0.1), ("1e-7", 1e-7), (" 2.5 ", 2.5), ("inf", math.inf),
    ("true", True), ("True", True), ("false", False), ("False", False),
    ("None", None), ("none", None), ("null", None),
    ("[1,2,3]", [1, 2, 3]), ("[0.25, 0.75]", [0.25, 0.75]), ("[]", []), ("[[1,2],[3]]", [[1, 2], [3]]),
    ("(1,2)", [1, 2]), ("mean", "mean"), ("'mean'", "mean"), ('"a,b"', "a,b"), ("'1'", "1"),
])
def test_parse_value(text: str, expected: Any) -> None:
    got = parse_value(text)
    assert got == expected and type(got) is type(expected)


def test_parse_spec_keeps_lists_and_quoted_commas_together() -> None:
    name, settings = parse_spec(" focal : gamma=2, weight=[1, 2,3] ,label_smoothing=0.1,smoothing_mode='off_target'")
    assert name == "focal"
    assert settings == {"gamma": 2, "weight": [1, 2, 3], "label_smoothing": 0.1, "smoothing_mode": "off_target"}
    assert parse_spec("soft_f1") == ("soft_f1", {})
    assert parse_spec("soft_f1:") == ("soft_f1", {})


@pytest.mark.parametrize("spec, msg", [
    ("focal:gamma", "make_loss: each setting in `spec` must be key=value; got 'gamma'."),
    ("focal:=2", "make_loss: each setting in `spec` must be key=value; got '=2'."),
    ("focal:gamma=1,gamma=2", "make_loss: each setting in `spec` must appear once; got 'gamma' twice."),
    ("focal:weight=[1,2", "make_loss: `spec` must have balanced brackets and quotes; got 'weight=[1,2'."),
    ("focal:weight=1,2]", "make_loss: `spec` must have balanced brackets; got 'weight=1,2]'."),
    ("focal:smoothing_mode='uniform", "make_loss: `spec` must have balanced brackets and quotes; "
                                      "got \"smoothing_mode='uniform\"."),
])
def test_malformed_spec(spec: str, msg: str) -> None:
    with pytest.raises(ValueError, match=re.escape(msg)):
        make_loss(spec)


# ----------------------------------------------------------------------------- names and errors
def test_loss_names() -> None:
    assert loss_names() == NAMES


@pytest.mark.parametrize("name", [*NAMES, *FUNCTIONS.values()])
def test_every_name_and_functional_name_builds_its_module(name: str) -> None:
    short = name if name in MODULES else next(k for k, v in FUNCTIONS.items() if v == name)
    assert type(make_loss(name)) is MODULES[short]
    assert type(make_loss({"name": name})) is MODULES[short]


@pytest.mark.parametrize("spec, hint", [("focla", " Did you mean 'focal'?"), ("crossentropy", " Did you mean 'cross_entropy'?"),
                                        ("dice", ""), ({"name": "softf1"}, " Did you mean 'soft_f1'?")])
def test_unknown_name_lists_valid_names_with_hint(spec: Any, hint: str) -> None:
    given = spec["name"] if isinstance(spec, dict) else spec
    msg = f"make_loss: `name` must be one of {ALL_NAMES}; got {given!r}.{hint}"
    with pytest.raises(ValueError, match=re.escape(msg) + "$"):
        make_loss(spec)


def test_unknown_setting_lists_valid_settings_with_hint() -> None:
    valid = ", ".join(loss_settings("focal"))
    msg = f"make_loss: `focal` settings must be among {valid}; got 'gama'. Did you mean 'gamma'?"
    with pytest.raises(ValueError, match=re.escape(msg) + "$"):
        make_loss("focal:gama=2")
    with pytest.raises(ValueError, match=re.escape("got 'alpha'.")):
        make_loss({"name": "cross_entropy", "alpha": 0.5})


def test_bad_spec_types() -> None:
    with pytest.raises(TypeError, match=re.escape("make_loss: `spec` must be a str or a mapping; got int.")):
        make_loss(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape("make_loss: `spec` must have a 'name' key; got keys ['gamma'].")):
        make_loss({"gamma": 2})
    with pytest.raises(ValueError, match=re.escape("make_loss: `weight` must be a list of numbers; got ['a', 'b'].")):
        make_loss("cross_entropy:weight=[a,b]")


def test_values_the_module_rejects_raise_its_error() -> None:
    with pytest.raises(ValueError, match=re.escape("`gamma` must be >= 0; got -1.")):
        make_loss("focal:gamma=-1")
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        make_loss("sigmoid_focal:reduction=avg")


def test_loss_settings_are_the_module_keywords() -> None:
    for name in NAMES:
        settings = loss_settings(name)
        fn = getattr(losses, FUNCTIONS[name])
        kw = {p.name: p.default for p in inspect.signature(fn).parameters.values()
              if p.kind is inspect.Parameter.KEYWORD_ONLY}
        for key, default in settings.items():  # same defaults as the functional (API.md)
            assert key in kw and kw[key] == default, (name, key)
        assert set(kw) - set(settings) <= {"validate_args"}


# ----------------------------------------------------------------------------- round trips
def _inputs(name: str, settings: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(7)
    logits = torch.from_numpy(rng.normal(0.0, 3.0, (6, 3, 2)))
    if name == "sigmoid_focal" or (name == "soft_f1" and settings.get("multilabel")):
        return logits, torch.from_numpy(rng.integers(0, 2, (6, 3, 2)).astype(np.float64))
    return logits, torch.tensor([[0, 1], [2, 2], [1, 0], [2, 1], [0, 0], [1, 2]])


def _as_functional_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: torch.tensor(v, dtype=torch.get_default_dtype()) if isinstance(v, list) else v
            for k, v in settings.items()}


# One row per setting, each with a value different from the default (and a few combinations).
ROUND_TRIPS: list[tuple[str, str, dict[str, Any]]] = [
    ("cross_entropy", "weight=[1,2,3]", {"weight": [1.0, 2.0, 3.0]}),
    ("cross_entropy", "ignore_index=2", {"ignore_index": 2}),
    ("cross_entropy", "label_smoothing=0.2", {"label_smoothing": 0.2}),
    ("cross_entropy", "label_smoothing=0.2,smoothing_mode=off_target", {"label_smoothing": 0.2, "smoothing_mode": "off_target"}),
    ("cross_entropy", "reduction=none", {"reduction": "none"}),
    ("cross_entropy", "reduction='sum',weight=[0.5, 1, 2]", {"reduction": "sum", "weight": [0.5, 1.0, 2.0]}),
    ("cross_entropy", "validate_args=false", {"validate_args": False}),
    ("focal", "gamma=0.5", {"gamma": 0.5}),
    ("focal", "gamma=3,weight=[0.25,0.5,0.25]", {"gamma": 3, "weight": [0.25, 0.5, 0.25]}),
    ("focal", "ignore_index=0", {"ignore_index": 0}),
    ("focal", "label_smoothing=0.1", {"label_smoothing": 0.1}),
    ("focal", "label_smoothing=0.1,smoothing_mode=\"off_target\"", {"label_smoothing": 0.1, "smoothing_mode": "off_target"}),
    ("focal", "reduction=none", {"reduction": "none"}),
    ("focal", "reduction=sum", {"reduction": "sum"}),
    ("focal", "validate_args=False", {"validate_args": False}),
    ("sigmoid_focal", "gamma=1", {"gamma": 1}),
    ("sigmoid_focal", "alpha=None", {"alpha": None}),
    ("sigmoid_focal", "alpha=0.5,gamma=0", {"alpha": 0.5, "gamma": 0}),
    ("sigmoid_focal", "reduction=none", {"reduction": "none"}),
    ("sigmoid_focal", "reduction=sum", {"reduction": "sum"}),
    ("sigmoid_focal", "validate_args=false", {"validate_args": False}),
    ("soft_f1", "beta=2", {"beta": 2}),
    ("soft_f1", "average=micro", {"average": "micro"}),
    ("soft_f1", "multilabel=true", {"multilabel": True}),
    ("soft_f1", "multilabel=true,average=micro,beta=0.5", {"multilabel": True, "average": "micro", "beta": 0.5}),
    ("soft_f1", "ignore_index=1", {"ignore_index": 1}),
    ("soft_f1", "eps=1e-3", {"eps": 1e-3}),
    ("soft_f1", "validate_args=False", {"validate_args": False}),
]


def _rows(name: str) -> list[dict[str, Any]]:
    return [s for n, _, s in ROUND_TRIPS if n == name]


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_table_covers_every_setting(name: str) -> None:
    covered = {key for settings in _rows(name) for key in settings}
    assert covered == set(loss_settings(name))


def _check_equal(module: torch.nn.Module, name: str, settings: dict[str, Any]) -> None:
    x, t = _inputs(name, settings)
    expected_x = x.clone().requires_grad_(True)
    expected = getattr(losses, FUNCTIONS[name])(expected_x, t, **_as_functional_kwargs(settings))
    got_x = x.clone().requires_grad_(True)
    got = module(got_x, t)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert torch.equal(got, expected)
    expected.sum().backward()
    got.sum().backward()
    assert torch.equal(got_x.grad, expected_x.grad)


@pytest.mark.parametrize("name, text, settings", ROUND_TRIPS, ids=[f"{n}:{t}" for n, t, _ in ROUND_TRIPS])
def test_round_trip_from_string_and_dict(name: str, text: str, settings: dict[str, Any]) -> None:
    from_string = make_loss(f"{name}:{text}")
    from_functional_name = make_loss(f"{FUNCTIONS[name]}:{text}")
    from_dict = make_loss({"name": name, **settings})
    from_overrides = make_loss(name, **settings)
    for module in (from_string, from_functional_name, from_dict, from_overrides):
        assert type(module) is MODULES[name]
        _check_equal(module, name, settings)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_equal_the_functional_defaults(name: str) -> None:
    _check_equal(make_loss(name), name, {})


def test_weight_may_be_an_array_or_a_tensor() -> None:
    for weight in (np.array([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0]), (1, 2, 3)):
        _check_equal(make_loss({"name": "focal", "weight": weight}), "focal", {"weight": [1.0, 2.0, 3.0]})


def test_overrides_take_precedence() -> None:
    _check_equal(make_loss("focal:gamma=2,reduction=sum", gamma=0.5), "focal", {"gamma": 0.5, "reduction": "sum"})
    _check_equal(make_loss({"name": "focal", "gamma": 2}, gamma=1), "focal", {"gamma": 1})


def test_weight_is_a_buffer_that_follows_to() -> None:
    loss = make_loss("cross_entropy:weight=[1,2,3]")
    weights = [b for b in loss.buffers()]
    assert len(weights) == 1 and weights[0].tolist() == [1.0, 2.0, 3.0]
    assert [b.dtype for b in loss.to(torch.float64).buffers()] == [torch.float64]


# ----------------------------------------------------------------------------- argparse
def test_add_loss_argument_parses_to_a_module() -> None:
    parser = argparse.ArgumentParser()
    add_loss_argument(parser, default="focal:gamma=0.5")
    args = parser.parse_args([])
    _check_equal(args.loss, "focal", {"gamma": 0.5})
    args = parser.parse_args(["--loss", "cross_entropy:weight=[1,2,3],label_smoothing=0.1"])
    _check_equal(args.loss, "cross_entropy", {"weight": [1.0, 2.0, 3.0], "label_smoothing": 0.1})
    assert "--loss SPEC" in parser.format_help()


def test_add_loss_argument_reports_bad_specs_as_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="train")
    add_loss_argument(parser)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["--loss", "focal:gama=2"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "train: error: argument --loss: make_loss: `focal` settings must be among" in err
    assert "Did you mean 'gamma'?" in err
