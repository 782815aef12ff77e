"""Test settings: Hypothesis profiles and the devices under test.

Profiles (``HYPOTHESIS_PROFILE``): ``dev`` (50 examples, the local default), ``ci`` (200 examples,
derandomized; the default when ``CI=true``), ``thorough`` (2000 examples).
"""

from __future__ import annotations

import os

import torch
from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=50, **_COMMON)
settings.register_profile("ci", max_examples=200, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=2000, print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev"))

if torch.cuda.is_available():  # parity against float64 must not be blurred by TF32 matmuls
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

# Test inputs are tiny: intra-op threads only add scheduling overhead (milliseconds per op on a loaded
# 2-core machine, against microseconds of work). The benchmarks, which measure threads, run elsewhere.
torch.set_num_threads(1)
