"""Label-smoothed cross-entropy as often written: every entry gets y*(1 - eps) + eps/(K - 1).

Flaw: the smoothed target is (1 - eps) + eps/(K - 1) for the true class and eps/(K - 1) for the
others, so it sums to 1 + eps/(K - 1) instead of 1. The loss is a scaled-up, shifted version of
the real label-smoothed cross-entropy (PyTorch's `label_smoothing`, Szegedy et al. 2016).
"""

import torch
import torch.nn.functional as F


def label_smoothing_cross_entropy(logits: torch.Tensor, target: torch.Tensor, smoothing: float = 0.1) -> torch.Tensor:
    num_classes = logits.shape[1]
    log_probs = F.log_softmax(logits, dim=1)
    one_hot = F.one_hot(target, num_classes).to(logits.dtype)
    smoothed = one_hot * (1.0 - smoothing) + smoothing / (num_classes - 1)
    return -(smoothed * log_probs).sum(dim=1).mean()
