"""Cross-entropy for dense prediction (segmentation), flattening the logits first.

Flaw: `logits.reshape(-1, C)` on an (N, C, L) tensor does not give one row of C class scores per
position (that needs the class axis moved last first: `logits.movedim(1, -1).reshape(-1, C)`).
For plain (N, C) logits it is correct, so only a search with spatial dimensions catches it.
"""

import torch
import torch.nn.functional as F


def segmentation_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    num_classes = logits.shape[1]
    return F.cross_entropy(logits.reshape(-1, num_classes), target.reshape(-1))
