"""lossref's executable specification: every loss and metric in plain NumPy float64.

Never imports torch.  ``torch_impl`` exposes the same names with the same signatures.
"""

from __future__ import annotations

from . import information, losses, metrics, smoothing
from .information import *  # noqa: F403
from .losses import *  # noqa: F403
from .metrics import *  # noqa: F403
from .smoothing import *  # noqa: F403

__all__ = [*information.__all__, *smoothing.__all__, *losses.__all__, *metrics.__all__]
