"""Label-smoothed cross-entropy (PyTorch's `label_smoothing`), correct, for any (N, C, d1, ...) shape.

The smoothed target (1 - eps) * y + eps / K sums to 1; the loss is written as
(1 - eps) * (-log p_t) + eps * mean_c(-log p_c), with `F.log_softmax` over the class axis.
"""

import torch
import torch.nn.functional as F


def label_smoothing_cross_entropy(logits: torch.Tensor, target: torch.Tensor, smoothing: float = 0.1) -> torch.Tensor:
    log_probs = F.log_softmax(logits, dim=1)
    nll = -log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
    uniform = -log_probs.mean(dim=1)
    return ((1.0 - smoothing) * nll + smoothing * uniform).mean()
