"""The ``lossref`` command line.

``lossref verify MODULE:FUNC --against NAME [--param KEY=VALUE ...] [--examples N] [--no-grad]``
checks the user's loss ``FUNC`` (from a dotted module, or a path to a ``.py`` file) against
lossref's float64 reference and exits 0 (match), 1 (mismatch) or 2 (usage error).
``lossref list`` prints the losses and their settings.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from .registry import _ENTRIES, loss_names, loss_settings, none_words_as_strings, parse_value, resolve_loss_name

EXIT_MATCH, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2
_DTYPES = {"float64": torch.float64, "float32": torch.float32, "float16": torch.float16,
           "bfloat16": torch.bfloat16}


class UsageError(Exception):
    """A problem with the command line or the named function (exit code 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lossref", description="Check loss implementations against lossref's float64 reference.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{verify,list}")
    v = sub.add_parser("verify", help="check MODULE:FUNC against a lossref loss",
                       description="Search for inputs where FUNC(logits, target) differs from the reference "
                                   "loss in value or gradient; exit 0 on a match, 1 on a mismatch, 2 on a "
                                   "usage error.")
    v.add_argument("target", metavar="MODULE:FUNC",
                   help="the function to check: a dotted module or a path to a .py file, then ':' and its name")
    v.add_argument("--against", required=True, metavar="NAME",
                   help=f"lossref loss to compare with ({', '.join(loss_names())}, or a functional name)")
    v.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting of the lossref loss that FUNC implements (repeatable), e.g. gamma=2, "
                        "weight=[1,2,3], alpha=None")
    v.add_argument("--examples", type=int, default=200, metavar="N", help="inputs to try (default 200)")
    v.add_argument("--no-grad", action="store_true", help="compare values only")
    v.add_argument("--targets", choices=("index", "probs"), default="index",
                   help="class-index targets (default) or probability targets")
    v.add_argument("--spatial-dims", type=int, default=0, metavar="K",
                   help="extra dimensions after the class axis: logits (N, C, d1..dK) (default 0)")
    v.add_argument("--dtype", choices=tuple(_DTYPES), default="float64", help="dtype of the logits given to FUNC")
    v.add_argument("--device", default="cpu", help="device of the tensors given to FUNC (default cpu)")
    v.add_argument("--seed", type=int, default=None, help="seed for a reproducible search")
    v.add_argument("--rtol", type=float, default=None, help="relative tolerance (default: by dtype)")
    v.add_argument("--atol", type=float, default=None, help="absolute tolerance (default: by dtype)")
    sub.add_parser("list", help="show the losses and their settings",
                   description="Show the losses `--against` and `make_loss` accept, with their settings.")
    return parser


def load_function(spec: str) -> Callable[..., Any]:
    """``"pkg.mod:func"`` or ``"path/to/file.py:func"`` (``func`` may be dotted) -> the callable."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise UsageError(f"expected MODULE:FUNC, got {spec!r}")
    if module_part.endswith(".py") or os.sep in module_part or "/" in module_part:
        path = Path(module_part)
        if not path.is_file():
            raise UsageError(f"no such file: {module_part}")
        name = f"_lossref_user_{path.stem}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise UsageError(f"cannot import {module_part}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        sys.path.insert(0, str(path.resolve().parent))  # so the file can import its neighbours
        try:
            module_spec.loader.exec_module(module)
        except Exception as err:
            raise UsageError(f"importing {module_part} raised {type(err).__name__}: {err}") from err
    else:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_part)
        except ModuleNotFoundError as err:
            raise UsageError(f"no module named {module_part!r} ({err})") from err
        except Exception as err:
            raise UsageError(f"importing {module_part} raised {type(err).__name__}: {err}") from err
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{module_part} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{spec} is not callable (got {type(obj).__name__})")
    return obj  # type: ignore[no-any-return]


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"--param must be KEY=VALUE, got {item!r}")
        params[key.strip()] = parse_value(value)
    return params


def _cmd_verify(args: argparse.Namespace) -> int:
    try:
        from .verify import verify_loss  # imports hypothesis and the reference only when needed
    except ImportError as err:
        raise UsageError(str(err)) from err

    func = load_function(args.target)
    try:
        params = none_words_as_strings(resolve_loss_name(args.against, "--against").name,
                                       _parse_params(args.param))
        report = verify_loss(func, args.against, params=params, max_examples=args.examples,
                             check_grad=not args.no_grad, targets=args.targets, spatial_dims=args.spatial_dims,
                             dtype=_DTYPES[args.dtype], device=args.device, rtol=args.rtol, atol=args.atol,
                             seed=args.seed)
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from err
    report.candidate = args.target
    print(report)
    return EXIT_MATCH if report.passed else EXIT_MISMATCH


def _cmd_list() -> int:
    for entry in _ENTRIES:
        print(f"{entry.name}  (also: {entry.function}; module torch_impl.modules.{entry.module.__name__})")
        for key, default in loss_settings(entry.name).items():
            print(f"    {key} = {default!r}")
    print("\nspec: NAME[:key=value,...], e.g. focal:gamma=2,weight=[1,2,3]  or  --param key=value")
    return EXIT_MATCH


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lossref`` console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error, as argparse does
    try:
        if args.command == "list":
            return _cmd_list()
        return _cmd_verify(args)
    except UsageError as err:
        print(f"lossref: error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
