"""F1Score under torch.distributed: two CPU processes on the gloo backend over 127.0.0.1.

Each rank feeds its own batches (different sizes, classes seen by one rank only, ignored positions);
``compute()`` on every rank must equal ``fbeta_score`` on the concatenation of all ranks' data (the
oracle: the functional on all data, itself checked against scikit-learn), bit for bit, must differ from
the rank's local-only value (so the all-reduce really happened), and must leave the local counts alone.
"""

from __future__ import annotations

import datetime
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import reference.metrics as ref
import torch_impl.metrics as tim
from torch_impl.metrics import F1Score

from .tolerances import assert_parity

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")

WORLD = 2
K = 5
NAN = float("nan")
CONFIGS: list[dict[str, Any]] = [
    {"average": "macro"},
    {"average": None},
    {"average": "weighted", "zero_division": NAN},
    {"average": "micro", "beta": 2.0},
    {"average": None, "labels": [3, 0, 4]},
    {"average": "macro", "beta": 0.5, "ignore_index": -100},
]


def _rank_batches(rank: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Rank 0: targets in {0, 1, 2}, index preds; rank 1: targets in {2, 3} or ignored, score preds."""
    gen = torch.Generator().manual_seed(2024 + rank)
    batches = []
    for size in ([7, 3, 11] if rank == 0 else [5, 9]):
        if rank == 0:
            target = torch.randint(0, 3, (size,), generator=gen)
            preds: torch.Tensor = torch.randint(0, K, (size,), generator=gen)
        else:
            target = torch.randint(2, 4, (size,), generator=gen)
            target[torch.rand(size, generator=gen) < 0.2] = -100
            preds = torch.randn(size, K, generator=gen)
        batches.append((preds, target))
    return batches


def _prepare(rank: int, config: dict[str, Any]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    batches = _rank_batches(rank)
    if config.get("ignore_index") is None:  # no ignore_index: the ignored positions become class 3
        batches = [(p, torch.where(t == -100, torch.full_like(t, 3), t)) for p, t in batches]
    return [(p.argmax(dim=1) if p.is_floating_point() else p, t) for p, t in batches]


def _worker(rank: int, world: int, port: int, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=60))
    try:
        results = []
        for config in CONFIGS:
            metric = F1Score(K, **config)
            for preds, target in _prepare(rank, config):
                metric.update(preds, target)
            local = metric.confmat.clone()
            results.append(metric.compute())
            if not torch.equal(metric.confmat, local):
                raise AssertionError("compute() changed the local counts")
            results.append(tim.fbeta_score(*map(torch.cat, zip(*_prepare(rank, config))), K,
                                           beta=config.get("beta", 1.0),
                                           **{k: v for k, v in config.items() if k != "beta"}))
        torch.save(results, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_compute_all_reduces_over_ranks(tmp_path: Path) -> None:
    assert not dist.is_initialized()
    context = mp.spawn(_worker, args=(WORLD, _free_port(), str(tmp_path)), nprocs=WORLD, join=False)
    deadline = time.monotonic() + 180
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail("the two gloo workers did not finish within 180 s")
    per_rank = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD)]
    for i, config in enumerate(CONFIGS):
        everything = [b for r in range(WORLD) for b in _prepare(r, config)]
        preds, target = (torch.cat(x) for x in zip(*everything))
        options = {k: v for k, v in config.items() if k != "beta"}
        expected = tim.fbeta_score(preds, target, K, beta=config.get("beta", 1.0), **options)
        assert_parity(expected, ref.fbeta_score(preds.numpy(), target.numpy(), K, beta=config.get("beta", 1.0),
                                                **options), dtype=torch.float32)
        local_differs = []
        for rank in range(WORLD):
            synced, local_only = per_rank[rank][2 * i], per_rank[rank][2 * i + 1]
            torch.testing.assert_close(synced, expected, rtol=0, atol=0, equal_nan=True)
            local_differs.append(synced.shape != local_only.shape
                                 or not np.allclose(synced.numpy(), local_only.numpy(), equal_nan=True))
        assert any(local_differs), f"{config}: every rank's synced value equals its local-only value"
