"""Class-weighted cross-entropy, averaged over the batch.

Flaw: `F.cross_entropy(..., weight=w)` with reduction "mean" divides by the sum of the weights of
the targets, sum_i w[t_i], not by N. Averaging the weighted per-sample losses over N gives a
different number whenever the weights are not all 1 (and changes the effective learning rate
with the class mix of each batch).
"""

import torch
import torch.nn.functional as F

CLASS_WEIGHTS = torch.tensor([1.0, 2.0, 3.0])


def weighted_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    w = CLASS_WEIGHTS.to(logits)
    per_sample = F.cross_entropy(logits, target, reduction="none") * w[target]
    return per_sample.mean()
