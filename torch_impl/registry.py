"""Losses from a config string: ``make_loss("focal:gamma=2,label_smoothing=0.1")``.

A *spec* is a loss name (``"focal"``), a name with settings (``"focal:gamma=2,weight=[1,2,3]"``)
or a dict (``{"name": "focal", "gamma": 2}``).  Names are ``cross_entropy``, ``focal``,
``sigmoid_focal`` and ``soft_f1``; the functional names (``softmax_cross_entropy``, ...) are
accepted too.  Settings are the keyword arguments of the loss's module (``torch_impl.modules``).

Values in a string spec are parsed as Python literals would be, without ``eval``:
integers and floats (``2``, ``0.1``, ``1e-7``, ``inf``), booleans (``true``/``True``),
``None`` (``none``/``None``/``null``; for a setting that takes strings, such as ``reduction``,
these words mean the string ``"none"``), lists in brackets (``[1,2,3]``: commas inside brackets
or quotes do not separate settings), quoted strings (``'mean'``) and bare words (``mean``).
List (or NumPy array) values of tensor settings (``weight``) become floating tensors.

Example::

    loss_fn = make_loss("focal:gamma=2,label_smoothing=0.1")          # a torch_impl.modules.FocalLoss
    loss_fn = make_loss({"name": "cross_entropy", "weight": [1, 2, 3]})
    parser = argparse.ArgumentParser()
    add_loss_argument(parser, default="cross_entropy")
    args = parser.parse_args(["--loss", "sigmoid_focal:alpha=None"])   # args.loss is the module
"""

from __future__ import annotations

import argparse
import difflib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from . import modules

__all__ = ["make_loss", "loss_names", "loss_settings", "add_loss_argument", "resolve_loss_name",
           "parse_value", "parse_spec", "none_words_as_strings"]


@dataclass(frozen=True)
class LossEntry:
    """One registered loss: its short name, functional name and module class."""

    name: str
    function: str
    module: type[nn.Module]


_ENTRIES: tuple[LossEntry, ...] = (
    LossEntry("cross_entropy", "softmax_cross_entropy", modules.SoftmaxCrossEntropy),
    LossEntry("focal", "focal_loss", modules.FocalLoss),
    LossEntry("sigmoid_focal", "sigmoid_focal_loss", modules.SigmoidFocalLoss),
    LossEntry("soft_f1", "soft_f1_loss", modules.SoftF1Loss),
)
_BY_NAME: dict[str, LossEntry] = {**{e.name: e for e in _ENTRIES}, **{e.function: e for e in _ENTRIES}}

_NONE_WORDS = ("none", "None", "null")
_TRUE_WORDS = ("true", "True")
_FALSE_WORDS = ("false", "False")


def _hint(value: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def loss_names() -> list[str]:
    """The short names of the registered losses, in a fixed order."""
    return [e.name for e in _ENTRIES]


def resolve_loss_name(name: Any, func: str = "make_loss") -> LossEntry:
    """The registry entry for a short or functional name; ``ValueError`` (with a hint) otherwise."""
    if isinstance(name, str) and name.strip() in _BY_NAME:
        return _BY_NAME[name.strip()]
    valid = list(_BY_NAME)
    choices = ", ".join(repr(n) for n in valid)
    hint = _hint(name, valid) if isinstance(name, str) else ""
    raise ValueError(f"{func}: `name` must be one of {choices}; got {name!r}.{hint}")


def loss_settings(name: str) -> dict[str, Any]:
    """Setting -> default of a loss (the keyword-only arguments of its module)."""
    entry = resolve_loss_name(name, "loss_settings")
    params = inspect.signature(entry.module.__init__).parameters.values()
    return {p.name: p.default for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _is_tensor_setting(entry: LossEntry, key: str) -> bool:
    param = inspect.signature(entry.module.__init__).parameters[key]
    return key == "weight" or "Tensor" in str(param.annotation)


# ----------------------------------------------------------------------------- parsing
def _split_top_level(text: str, func: str) -> list[str]:
    """Split ``text`` at commas outside brackets and quotes."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth < 0:
                raise ValueError(f"{func}: `spec` must have balanced brackets; got {text!r}.")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth or quote:
        raise ValueError(f"{func}: `spec` must have balanced brackets and quotes; got {text!r}.")
    parts.append(text[start:])
    return parts


def parse_value(text: str) -> Any:
    """A setting's value from its text: number, bool, None, list, quoted or bare string."""
    s = text.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    if len(s) >= 2 and (s[0], s[-1]) in (("[", "]"), ("(", ")")):
        inner = s[1:-1].strip()
        return [] if not inner else [parse_value(p) for p in _split_top_level(inner, "parse_value")]
    if s in _NONE_WORDS:
        return None
    if s in _TRUE_WORDS:
        return True
    if s in _FALSE_WORDS:
        return False
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"name:k=v,k=v"`` -> ``(name, {k: v, ...})`` with values parsed by :func:`parse_value`."""
    if not isinstance(spec, str):
        raise TypeError(f"parse_spec: `spec` must be a str; got {type(spec).__name__}.")
    name, _, rest = spec.partition(":")
    settings: dict[str, Any] = {}
    if rest.strip():
        for item in _split_top_level(rest, "make_loss"):
            key, eq, value = item.partition("=")
            key = key.strip()
            if not eq or not key:
                raise ValueError(f"make_loss: each setting in `spec` must be key=value; got {item.strip()!r}.")
            if key in settings:
                raise ValueError(f"make_loss: each setting in `spec` must appear once; got {key!r} twice.")
            settings[key] = parse_value(value)
    return name.strip(), settings


def none_words_as_strings(name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Read a ``None`` parsed from text as the string ``"none"`` where the setting takes strings.

    ``reduction=none`` in a spec means ``reduction="none"``, not ``reduction=None``: a setting whose
    default is a string never takes ``None``.  Applied to settings parsed from text only.
    """
    defaults = loss_settings(name)
    return {k: "none" if v is None and isinstance(defaults.get(k), str) else v for k, v in settings.items()}


def _coerce(entry: LossEntry, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Check the setting names against the module and turn list values of tensor settings into tensors."""
    valid = list(loss_settings(entry.name))
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in valid:
            choices = ", ".join(valid)
            raise ValueError(f"make_loss: `{entry.name}` settings must be among {choices}; "
                             f"got {key!r}.{_hint(key, valid)}")
        if isinstance(value, (list, tuple, np.ndarray)) and _is_tensor_setting(entry, key):
            try:
                value = torch.tensor(np.asarray(value).tolist(), dtype=torch.get_default_dtype())
            except (TypeError, ValueError) as err:
                raise ValueError(f"make_loss: `{key}` must be a list of numbers; got {value!r}.") from err
        out[key] = value
    return out


def make_loss(spec: str | Mapping[str, Any], **overrides: Any) -> nn.Module:
    """Build a loss module from a spec; ``overrides`` replace settings given in the spec.

    Args:
        spec: ``"name"``, ``"name:k=v,k=v"`` or ``{"name": ..., k: v}``.
        overrides: settings that take precedence over those in ``spec``.
    Returns:
        The module (``torch_impl.modules``) built with the merged settings.
    Raises:
        ValueError: unknown loss name or setting (the message lists the valid ones and the
            closest match), a malformed string, or a setting value the module rejects.
        TypeError: ``spec`` is neither a str nor a mapping, or a value has the wrong type.
    """
    if isinstance(spec, str):
        name, settings = parse_spec(spec)
        settings = none_words_as_strings(resolve_loss_name(name).name, settings)
    elif isinstance(spec, Mapping):
        if "name" not in spec:
            raise ValueError(f"make_loss: `spec` must have a 'name' key; got keys {sorted(spec)!r}.")
        settings = {k: v for k, v in spec.items() if k != "name"}
        name = spec["name"]
    else:
        raise TypeError(f"make_loss: `spec` must be a str or a mapping; got {type(spec).__name__}.")
    entry = resolve_loss_name(name)
    settings.update(overrides)
    return entry.module(**_coerce(entry, settings))


def _loss_type(text: str) -> nn.Module:
    try:
        return make_loss(text)
    except (TypeError, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def add_loss_argument(parser: argparse.ArgumentParser, default: str | None = "cross_entropy",
                      *, flag: str = "--loss") -> argparse.Action:
    """Add ``--loss SPEC`` to ``parser``; the parsed attribute is the loss module.

    The default spec is built like a given one (argparse converts string defaults), so
    ``args.loss`` is always a module unless ``default`` is None.
    """
    names = ", ".join(loss_names())
    return parser.add_argument(
        flag, type=_loss_type, default=default, metavar="SPEC",
        help=f"loss as NAME[:key=value,...] with NAME one of {names} (default: {default}); "
             "`lossref list` shows every setting.")
