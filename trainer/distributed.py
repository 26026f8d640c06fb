"""Data-parallel training under torchrun, with no code change beyond the launcher.

``torchrun --nproc_per_node=N -m trainer parts ...`` starts N processes and gives each
``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``. When
``WORLD_SIZE`` > 1, :func:`setup` joins the process group from those variables (``nccl`` for
``--device cuda``, one GPU per process, ``cuda:LOCAL_RANK``; ``gloo`` for ``--device cpu``);
otherwise nothing changes and a plain ``python -m trainer ...`` runs as before.

Each rank takes its deterministic share of every epoch's batches (:func:`shard`, the way
``DistributedSampler`` deals indices), the gradients are averaged by DistributedDataParallel,
and only rank 0 prints progress and writes checkpoints, exports and the manifest.

torch is imported only by the functions that need it, so the tasks without torch (and the
command line) can ask :func:`world_size` and :func:`is_main_process`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import torch

Item = TypeVar("Item")


@dataclass(frozen=True)
class Context:
    """Where this process stands: rank ``rank`` of ``world`` (0 of 1 when not distributed)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owns_group: bool = False  # this process group was started by setup(), so teardown() ends it

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def world_size() -> int:
    """``WORLD_SIZE`` from torchrun, 1 when not launched by it."""
    return int(os.environ.get("WORLD_SIZE") or 1)


def is_main_process() -> bool:
    """True except on the ranks > 0 of a torchrun launch."""
    return int(os.environ.get("RANK") or 0) == 0


def check_device(device: str) -> None:
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device cuda, but this torch ({torch.__version__}) sees no CUDA device; "
                         "use --device cpu")


def setup(device: str) -> tuple[Context, torch.device]:
    """Join torchrun's process group when ``WORLD_SIZE`` > 1; return the context and the
    device this process trains on."""
    check_device(device)
    world = world_size()
    import torch
    from torch import distributed as dist

    if world <= 1:
        return Context(), torch.device(device)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK") or 0)
    if device == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise SystemExit(f"rank {rank}: LOCAL_RANK {local_rank} but only {torch.cuda.device_count()} "
                             "CUDA device(s); use --nproc_per_node up to the GPU count")
        torch.cuda.set_device(local_rank)
        target, backend = torch.device("cuda", local_rank), "nccl"
    else:
        target, backend = torch.device("cpu"), "gloo"
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group(backend, init_method="env://", rank=rank, world_size=world)
    return Context(rank, world, local_rank, owns), target


def teardown(context: Context) -> None:
    from torch import distributed as dist

    if context.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def shard(items: Sequence[Item], rank: int, world: int) -> list[Item]:
    """This rank's share of one epoch's ``items`` (batches): every ``world``-th from ``rank``
    on, the list padded by wrapping around so that every rank takes the same number of steps
    (DistributedDataParallel needs that), as ``DistributedSampler`` does. One process: all."""
    if world <= 1 or not items:
        return list(items)
    steps = math.ceil(len(items) / world)
    return [items[(step * world + rank) % len(items)] for step in range(steps)]


def sum_across(values: Sequence[float], context: Context, device: torch.device) -> list[float]:
    """Element-wise sums over all ranks (the values themselves when not distributed)."""
    if not context.distributed:
        return list(values)
    import torch
    from torch import distributed as dist

    tensor = torch.tensor(list(values), dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def barrier(context: Context) -> None:
    if context.distributed:
        from torch import distributed as dist

        dist.barrier()


class NullStream:
    """Where the progress of ranks > 0 goes."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def wrap(model: torch.nn.Module, context: Context, device: torch.device) -> Any:
    """The module to call in training: DistributedDataParallel around ``model`` when
    distributed (parameters and buffers broadcast from rank 0), ``model`` itself otherwise."""
    if not context.distributed:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
