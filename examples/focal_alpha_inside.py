"""Multiclass focal loss with per-class alpha weights, alpha put inside the power.

Flaw: the paper's loss is -alpha_t * (1 - p_t)**gamma * log(p_t); here alpha_t multiplies
(1 - p_t) before the power, so the weight becomes alpha_t**gamma. The weighted mean is
normalised correctly (by the sum of alpha_t), so only the weighting is wrong.
"""

import torch
import torch.nn.functional as F

ALPHA = torch.tensor([0.25, 0.75])


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    log_p_t = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    p_t = log_p_t.exp()
    alpha_t = ALPHA.to(logits)[target]
    loss = -((alpha_t * (1.0 - p_t)) ** gamma) * log_p_t
    return loss.sum() / alpha_t.sum()
