"""Multiclass focal loss (Lin et al. 2017) with the modulating factor computed from a detached p_t.

Flaw: `p_t` is detached "for stability", so (1 - p_t)**gamma is treated as a constant weight.
The value is right, but the gradient misses the term that comes from differentiating the
modulating factor, so training optimises a different objective.
"""

import torch
import torch.nn.functional as F


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    ce = F.cross_entropy(logits, target, reduction="none")
    p_t = torch.exp(-ce).detach()
    return ((1.0 - p_t) ** gamma * ce).mean()
