"""Multiclass focal loss in the usual `(1 - p_t) ** gamma * ce` form, used with gamma = 0.5.

Flaw: for 0 < gamma < 1 the derivative of (1 - p_t)**gamma, gamma * (1 - p_t)**(gamma - 1), is
infinite at p_t = 1, which happens in floating point as soon as the target's logit exceeds the
others by about 37 (float64). Autograd multiplies inf by 0 and the gradient is NaN, although
the true gradient there is 0. The value is fine.
"""

import torch
import torch.nn.functional as F


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 0.5) -> torch.Tensor:
    ce = F.cross_entropy(logits, target, reduction="none")
    p_t = torch.exp(-ce)
    return ((1.0 - p_t) ** gamma * ce).mean()
