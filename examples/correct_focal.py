"""Multiclass focal loss with per-class alpha (Lin et al. 2017), correct.

-alpha_t * (1 - p_t)**gamma * log p_t with log p_t from `F.log_softmax` and 1 - p_t as
-expm1(log p_t) (no cancellation near p_t = 1); the mean is normalised by the sum of alpha_t,
as `F.cross_entropy(weight=...)` does.
"""

import torch
import torch.nn.functional as F

ALPHA = torch.tensor([0.25, 0.75])


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    log_p_t = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    one_minus_p_t = -torch.expm1(log_p_t)
    alpha_t = ALPHA.to(logits)[target]
    loss = -alpha_t * one_minus_p_t ** gamma * log_p_t
    return loss.sum() / alpha_t.sum()
