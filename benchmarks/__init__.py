"""``python -m benchmarks``: lossref's NumPy reference and torch implementation against the built-ins.

Times, per operation x size x device, the float64 NumPy reference, ``torch_impl`` (forward and
forward+backward) and the built-in anchor on the same device (``F.cross_entropy`` for the softmax
losses, ``F.binary_cross_entropy_with_logits`` for the sigmoid focal loss, scikit-learn and
torchmetrics for F1), with ``torch.utils.benchmark``; reports medians, ratios to the anchor,
achieved GB/s, parity error against the reference and peak memory. See ``python -m benchmarks -h``.

Modules: ``cases`` (operations, seeded inputs, anchors), ``measure`` (timing, memory, parity),
``report`` (environment record, table, JSON, Markdown, plot), ``__main__`` (command line).
"""
