"""Binary / multi-label sigmoid focal loss with binary cross-entropy written out by hand.

Flaw: `-(t * log(p) + (1 - t) * log(1 - p))` with p = sigmoid(x) takes log(0) = -inf once p
rounds to 0 or 1 (|x| above about 37 in float64), and 0 * (-inf) = NaN; in the
gradient it is inf * 0. `F.binary_cross_entropy_with_logits` (log-sigmoid form) stays finite.
"""

import torch


def sigmoid_focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0,
                       alpha: float = 0.25) -> torch.Tensor:
    p = torch.sigmoid(logits)
    ce = -(target * torch.log(p) + (1.0 - target) * torch.log(1.0 - p))
    p_t = p * target + (1.0 - p) * (1.0 - target)
    alpha_t = alpha * target + (1.0 - alpha) * (1.0 - target)
    return (alpha_t * (1.0 - p_t) ** gamma * ce).mean()
