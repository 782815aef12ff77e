"""Multiclass focal loss written on the one-hot matrix, then averaged.

Flaw: the (N, C) matrix of one-hot-masked terms is averaged with `.mean()`, which divides by
N * C instead of N: the loss is 1/C of the focal loss (and its gradient too).
"""

import torch
import torch.nn.functional as F


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    log_probs = F.log_softmax(logits, dim=1)
    one_hot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
    probs = log_probs.exp()
    return (-one_hot * (1.0 - probs) ** gamma * log_probs).mean()
