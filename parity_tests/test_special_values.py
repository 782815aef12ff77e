"""Every row of the special-value table (special_values.py) in both packages: the reference in float64,
torch in every dtype on every device, with NaN-aware exact equality (or the row's few-epsilon rtol),
and torch's gradients (exact where the row gives them, finite otherwise).

Oracle: the hand-derived expectations in the table.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reference as ref
import torch_impl as tim

from . import strategies as S
from .special_values import ROWS, Row
from .tolerances import to_numpy

INFORMATION = ("entropy", "cross_entropy", "kl_divergence")
TORCH_CASES = [(row, dtype, device) for row in ROWS for dtype in row.dtypes for device in S.DEVICES]


def _compare(actual, row: Row, dtype_eps: float) -> None:
    if row.expected is None:
        assert np.all(np.isfinite(actual)), actual
        return
    expected = np.asarray(row.expected, dtype=np.float64)
    assert np.shape(actual) == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=row.rtol_eps * dtype_eps, atol=0, equal_nan=True)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_reference(row):
    with np.errstate(all="ignore"):
        actual = getattr(ref, row.func)(*row.args, **row.kwargs)
    assert np.asarray(actual).dtype == np.float64
    _compare(np.asarray(actual), row, float(np.finfo(np.float64).eps))


@pytest.mark.parametrize("row, dtype, device", TORCH_CASES,
                         ids=[f"{r.id}-{str(d).removeprefix('torch.')}-{dev}" for r, d, dev in TORCH_CASES])
def test_torch(row, dtype, device):
    args = []
    for n, value in enumerate(row.args):
        if value.dtype.kind == "f":
            t = torch.from_numpy(value).to(dtype).to(device)
            if row.expected is not None:  # the table promises inputs that every listed dtype holds exactly
                np.testing.assert_array_equal(to_numpy(t), value)
            # gradients: of every distribution (information functions), of the logits only (losses)
            args.append(t.requires_grad_(row.grad is not None and (n == 0 or row.func in INFORMATION)))
        else:
            args.append(torch.from_numpy(value).to(device))
    kwargs = {k: torch.from_numpy(v).to(dtype).to(device) if isinstance(v, np.ndarray) else v
              for k, v in row.kwargs.items()}
    out = getattr(tim, row.func)(*args, **kwargs)
    assert out.dtype == dtype and out.device.type == device
    _compare(to_numpy(out), row, torch.finfo(dtype).eps)
    if row.grad is None:
        return
    out.sum().backward()
    grads = [a.grad for a in args if a.requires_grad]
    if isinstance(row.grad, str):
        for g in grads:
            assert g is not None and bool(torch.isfinite(g).all()), g
    else:
        np.testing.assert_array_equal(to_numpy(grads[0]), row.grad)
