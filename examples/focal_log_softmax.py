"""Multiclass focal loss computing log-probabilities as log(softmax(x)).

Flaw: softmax underflows to exactly 0 for a class whose logit is far below the maximum
(a difference of about 745 in float64, 104 in float32), and log(0) = -inf. The loss or its
gradient becomes inf or NaN at extreme logits, where `F.log_softmax` stays finite.
"""

import torch
import torch.nn.functional as F


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    probs = F.softmax(logits, dim=1)
    log_probs = torch.log(probs)
    log_p_t = log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
    p_t = probs.gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((1.0 - p_t) ** gamma) * log_p_t).mean()
