"""Sigmoid focal loss in the form of `torchvision.ops.sigmoid_focal_loss` (mean reduction), correct.

Binary cross-entropy comes from `F.binary_cross_entropy_with_logits`, which is finite for every
finite logit; works for soft targets in [0, 1] as well.
"""

import torch
import torch.nn.functional as F


def sigmoid_focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0,
                       alpha: float = 0.25) -> torch.Tensor:
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return (alpha_t * loss).mean()
