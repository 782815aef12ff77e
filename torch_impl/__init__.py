"""lossref's PyTorch implementation: the functions of ``reference`` with autograd, on any device.

Same public names and signatures as ``reference``; results match it within the tolerance table
of ``parity_tests/tolerances.py``.
"""

from __future__ import annotations

from . import information, losses, metrics, smoothing
from .information import *  # noqa: F403
from .losses import *  # noqa: F403
from .metrics import *  # noqa: F403
from .smoothing import *  # noqa: F403

__all__ = [*information.__all__, *smoothing.__all__, *losses.__all__, *metrics.__all__]
