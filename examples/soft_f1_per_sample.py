"""Differentiable (soft) macro-F1 loss, 1 - F1 on soft counts.

Flaw: the soft counts TP, FP, FN are summed over the class axis (dim=1) instead of the batch
axis (dim=0). That gives one "F1" per sample, which is then averaged: a per-sample score, not
the macro F1 over classes that the loss is meant to optimise.
"""

import torch
import torch.nn.functional as F


def soft_f1_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    probs = F.softmax(logits, dim=1)
    y = F.one_hot(target, logits.shape[1]).to(probs.dtype)
    tp = (y * probs).sum(dim=1)
    fp = ((1 - y) * probs).sum(dim=1)
    fn = (y * (1 - probs)).sum(dim=1)
    f1 = 2 * tp / (2 * tp + fp + fn + eps)
    return 1 - f1.mean()
