"""Training on several processes (`torchrun`): which rank this is, each rank's share of a
batch, gradients averaged across ranks, and metrics and stop requests agreed on.

Every family's `training_step` calls its own optimisers, some twice a step (a GAN's D then
G, each on its own parameters), and some clip gradients between backward and step; none
goes through one `forward`, which is what `DistributedDataParallel`'s wrapper needs to arm
its reducer. So the averaging DDP does is done here the same way for every family: a hook
on each parameter fires when its gradient is complete and all-reduces it, before any
clipping or optimiser step sees it, exactly where DDP's reducer would. Buffers (running
statistics) are averaged over the ranks after each step, so every rank's copy stays the
same (DDP broadcasts rank 0's before each forward instead, dropping the others').

A run's step is one global batch of `batch_size` images whatever the number of processes:
each rank trains on its slice (padded like `DistributedSampler` when the batch does not
divide), so a run resumes on any number of processes at the same step, and rank 0 alone
writes the run folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

WORLD_ENV = "WORLD_SIZE"  # set by torchrun for every process it starts


@dataclass(frozen=True)
class Ranks:
    """This process's place among the training processes (world 1: training alone)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Return True on the process that writes the run folder and reports."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Return True when more than one process trains."""
        return self.world > 1


def launched_by_torchrun() -> bool:
    """Return True when the environment says torchrun started more than one process."""
    try:
        return int(os.environ.get(WORLD_ENV, "1")) > 1
    except ValueError:
        return False


def init_from_env(device: str = "auto") -> Ranks:
    """Join the process group torchrun describes in the environment (NCCL when this rank
    trains on CUDA, gloo otherwise) and return this process's Ranks; Ranks() when not
    launched by torchrun. The caller ends the group with `shutdown()`."""
    import torch.distributed as dist

    if not launched_by_torchrun():
        return Ranks()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return Ranks(dist.get_rank(), dist.get_world_size(), local_rank)


def current_ranks() -> Ranks:
    """Return the Ranks of the process group this process has joined (Ranks() if none)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return Ranks()
    return Ranks(dist.get_rank(), dist.get_world_size(),
                 int(os.environ.get("LOCAL_RANK", "0")))


def shutdown(finished: bool = True) -> None:
    """Leave the process group, if this process joined one. `finished`: every rank got
    here after the same work, so they wait for each other first and leave together (rank
    0 ends later, writing the run's last files; a rank that left early died of SIGABRT
    once in CI). After an error no rank waits: another may never come."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def rank_device(device: torch.device, ranks: Ranks) -> torch.device:
    """Return the device this rank trains on: its own GPU (LOCAL_RANK) when training on
    CUDA with several processes, else `device`."""
    if ranks.distributed and device.type == "cuda":
        return torch.device("cuda", ranks.local_rank)
    return device


def share_of_batch(idx: torch.Tensor, ranks: Ranks) -> torch.Tensor:
    """Return this rank's slice of a global batch of indices: every world-th one from its
    rank, the batch first padded by repeating its own start (as DistributedSampler pads)
    so every rank trains on as many images and a plain mean of gradients is exact. A
    rank gets at least 2 images of a batch of 2 or more: batch norm cannot train on one."""
    if not ranks.distributed:
        return idx
    per_rank = max(-(-len(idx) // ranks.world), 2 if len(idx) > 1 else 1)
    padded = per_rank * ranks.world
    if padded > len(idx):
        idx = torch.cat([idx, idx.repeat(padded // len(idx) + 1)[:padded - len(idx)]])
    return idx[ranks.rank::ranks.world]


def join_model(model: nn.Module, ranks: Ranks) -> GradientAverager | None:
    """Make the model the same on every rank and average its gradients from now on;
    return the averager (None on one process)."""
    if not ranks.distributed:
        return None
    broadcast_state(model, ranks)
    return GradientAverager(model, ranks)


def broadcast_state(model: nn.Module, ranks: Ranks) -> None:
    """Give every rank rank 0's weights and buffers (identical seeds build identical
    models; this makes sure, as DDP does when it wraps a model)."""
    if not ranks.distributed:
        return
    import torch.distributed as dist

    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            dist.broadcast(tensor.data, src=0)


def average_buffers(model: nn.Module, ranks: Ranks) -> None:
    """Make every rank's buffers agree after a step: running statistics (floating point:
    batch-norm moments, an autoencoder's code moments, loss-by-timestep sums) become their
    mean over the ranks, as if measured on the global batch (exact for means; a spread
    becomes the mean of the ranks' spreads); counters (integers) take rank 0's value."""
    if not ranks.distributed:
        return
    import torch.distributed as dist

    for buffer in model.buffers():
        if buffer.dtype.is_floating_point:
            dist.all_reduce(buffer.data, op=dist.ReduceOp.SUM)
            buffer.data.div_(ranks.world)
        else:
            dist.broadcast(buffer.data, src=0)


class GradientAverager:
    """Averages each parameter's gradient across ranks as soon as backward completes it
    (every rank runs the same graph, so the collectives meet in the same order)."""

    def __init__(self, model: nn.Module, ranks: Ranks) -> None:
        self.ranks = ranks
        self._handles = [p.register_post_accumulate_grad_hook(self._average)
                         for p in model.parameters() if p.requires_grad]

    def _average(self, param: torch.Tensor) -> None:
        import torch.distributed as dist

        if param.grad is None:
            return
        dist.all_reduce(param.grad, op=dist.ReduceOp.SUM)
        param.grad.div_(self.ranks.world)

    def remove(self) -> None:
        """Take the hooks off the parameters."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def agree(metrics: dict[str, torch.Tensor], stop: bool, ranks: Ranks
          ) -> tuple[dict[str, torch.Tensor], bool]:
    """Return the metrics averaged over the ranks (each rank's batch share is the same
    size), and whether any rank asked to stop: all ranks then stop after the same step.
    One collective a step; on one process, the arguments unchanged."""
    if not ranks.distributed:
        return metrics, stop
    import torch.distributed as dist

    keys = [k for k, v in metrics.items() if isinstance(v, torch.Tensor) and v.numel() == 1]
    device = next((metrics[k].device for k in keys), torch.device("cpu"))
    packed = torch.stack([metrics[k].detach().float().reshape(()) for k in keys]
                         + [torch.tensor(float(stop), device=device)]) \
        if keys else torch.tensor([float(stop)], device=device)
    flag = packed[-1:].clone()
    dist.all_reduce(packed, op=dist.ReduceOp.SUM)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    agreed = dict(metrics)
    for i, key in enumerate(keys):
        agreed[key] = packed[i] / ranks.world
    return agreed, bool(flag.item() > 0)


def barrier(ranks: Ranks) -> None:
    """Wait until every rank reaches this point (rank 0 ends epochs alone)."""
    if ranks.distributed:
        import torch.distributed as dist

        dist.barrier()


def seed_rank_stream(ranks: Ranks) -> None:
    """Give ranks other than 0 their own random stream from here on (noise, timesteps,
    latents): drawn from the shared stream, so it follows the run's seed, yet distinct per
    rank. Rank 0 keeps the run's stream."""
    if ranks.distributed and ranks.rank > 0:
        base = int(torch.randint(0, 2**62, (1,)).item())
        torch.manual_seed(base + ranks.rank)
