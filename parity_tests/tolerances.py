"""The one tolerance table (STYLE.md §9) and the only assertion parity tests use.

Rows are looked up by the torch dtype under test.  The reference result is always ``desired``
(the check ``|actual - desired| <= atol + rtol * |desired|`` is asymmetric).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch
from numpy.typing import NDArray


class Tol(NamedTuple):
    rtol: float
    atol: float


# dtype -> {"value": Tol, "grad": Tol}; 16-bit inputs are computed in float32 and rounded once.
TABLE: dict[torch.dtype, dict[str, Tol]] = {
    torch.float64: {"value": Tol(1e-12, 1e-14), "grad": Tol(1e-10, 1e-12)},  # same math, other op order
    torch.float32: {"value": Tol(1e-5, 1e-6), "grad": Tol(1e-4, 1e-6)},  # ~80 eps over <= 1e3 terms
    torch.float16: {"value": Tol(2e-3, 1e-5), "grad": Tol(4e-3, 1e-4)},  # 1/2 ulp = 4.9e-4, + margin
    torch.bfloat16: {"value": Tol(1.6e-2, 1e-5), "grad": Tol(3.2e-2, 1e-3)},  # 1/2 ulp = 3.9e-3
}

# Per-function loosening, each with its cause: (function, kind) -> dtype -> Tol.
OVERRIDES: dict[tuple[str, str], dict[torch.dtype, Tol]] = {}

FLOAT_DTYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


def tolerance(dtype: torch.dtype, kind: str = "value", func: str | None = None) -> Tol:
    override = OVERRIDES.get((func, kind), {}) if func else {}
    return override.get(dtype, TABLE[dtype][kind])


def to_numpy(x: Any) -> NDArray[np.float64]:
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


def assert_parity(actual: Any, desired: Any, *, dtype: torch.dtype, kind: str = "value",
                  func: str | None = None, err_msg: str = "") -> None:
    """``actual`` (torch, any dtype/device) matches ``desired`` (the float64 reference) per the table."""
    tol = tolerance(dtype, kind, func)
    np.testing.assert_allclose(to_numpy(actual), to_numpy(desired), rtol=tol.rtol, atol=tol.atol,
                               equal_nan=True, err_msg=err_msg)


def quantize(x: NDArray[Any], dtype: torch.dtype, device: str = "cpu") -> tuple[torch.Tensor, NDArray[np.float64]]:
    """The tensor in ``dtype`` on ``device``, and the same rounded values in float64 for the reference."""
    t = torch.from_numpy(np.asarray(x, dtype=np.float64)).to(dtype)
    return t.to(device), t.to(torch.float64).numpy()
