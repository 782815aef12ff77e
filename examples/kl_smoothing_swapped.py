"""Label smoothing through `F.kl_div`, with the arguments swapped.

`F.kl_div(input, target)` expects `input` = the model's log-probabilities and `target` = the
smoothed labels, and computes KL(target || model). Here the two are swapped, which computes
KL(model || smoothed labels): a different function with a different gradient. (Even in the right
order KL differs from the smoothed cross-entropy by the constant H(smoothed labels).)
"""

import torch
import torch.nn.functional as F


def label_smoothing_kl(logits: torch.Tensor, target: torch.Tensor, smoothing: float = 0.1) -> torch.Tensor:
    num_classes = logits.shape[1]
    smoothed = F.one_hot(target, num_classes).to(logits.dtype) * (1.0 - smoothing) + smoothing / num_classes
    return F.kl_div(smoothed.log(), F.softmax(logits, dim=1), reduction="batchmean")
