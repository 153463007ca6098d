"""torchrun support: one process per device, rank 0 logs and saves, the rest only compute."""

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..utils.device import select_device


@dataclass(frozen=True)
class Distributed:
    rank: int
    world_size: int
    device: torch.device
    cpu_group: object = None  # a gloo group for small flags, so no GPU sync is forced

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum a tensor over all processes (a no-op on one)."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def all_agree(self, flag: bool) -> bool:
        """True only if every process says True: ranks must skip a step together or not at all."""
        if not self.enabled:
            return flag
        votes = torch.tensor([int(flag)])
        dist.all_reduce(votes, op=dist.ReduceOp.MIN, group=self.cpu_group)
        return bool(votes.item())


def setup(device_name: str) -> Distributed:
    """Join the process group when started by torchrun (WORLD_SIZE > 1), else run alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Distributed(0, 1, select_device(device_name))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    device = select_device(device_name)
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    cpu_group = dist.new_group(backend="gloo") if device.type == "cuda" else None
    return Distributed(rank, world_size, device, cpu_group)


def teardown(context: Distributed) -> None:
    if context.enabled and dist.is_initialized():
        dist.destroy_process_group()
