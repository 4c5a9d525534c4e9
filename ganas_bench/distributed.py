"""One training spread over processes with torch DistributedDataParallel, launched by `torchrun`.

    torchrun --nproc-per-node 8 --no-python ganas-bench train --arch autogan_cifar10_a --profile cifar10

`Ranks` is this process's place in the job (`SINGLE` outside torchrun) and the few collectives the harness needs.
The rules, the same on CPU (gloo) and GPU (nccl; a combined `cpu:gloo,cuda:nccl` group, so CPU-side messages work too):
- Batch sizes mean the global batch: `d_batch`, `g_batch` and `search_batch` are split evenly over the ranks (they must
  divide). Every rank draws the same global real batch and the same global z (same seeds, same RNG streams) and
  trains on its slice of them; DDP averages the gradients, so a step is the step of the global batch, and the RNG
  streams, the data position and every architecture draw stay identical on all ranks. BatchNorm statistics are per
  rank (DDP broadcasts rank 0's running statistics before each forward), as with the originals' DataParallel.
- Loss values are averaged over the ranks before they are checked (NaN/Inf) or used (dynamic reset, logs), so every
  rank takes the same decision at the same step.
- Metrics and the proxy are computed once, on rank 0, and their results sent to every rank (`on_main`).
- Only rank 0 writes (run directory, checkpoints); the state it writes is the state of every rank, in the format of a
  single-process run, so a checkpoint loads in one process and resumes with the same or another number of ranks.
- The rl controller is updated on every rank from the same drawn tokens and the same broadcast reward (a broadcast of
  one float instead of the controller); the differentiable strategy's architecture gradients are all-reduced (each
  rank's comes from its own slice of the batch; their mean is the global batch's). At every checkpoint the ranks
  compare digests of their state (`check_consistent`) and stop with an error if they ever differ.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from .errors import UserError

#: how long a rank waits for the others at a collective (rank 0 alone computes metrics meanwhile)
TIMEOUT = datetime.timedelta(hours=2)
BUFFER_STATS = ("running_mean", "running_var", "num_batches_tracked")  # per-rank by design; not compared


def under_torchrun() -> bool:
    return all(k in os.environ for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR"))


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    active: bool = False  # a process group exists (torchrun), even with one rank
    sparse: bool = False  # modules wrapped from here use a subset of their parameters per step (a supernet)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # ------------------------------------------------------------------ data parallelism
    def for_supernet(self) -> "Ranks":
        """These ranks, wrapping modules that use one path of their ops per step (DDP's find_unused_parameters)."""
        return dataclasses.replace(self, sparse=True)

    def wrap(self, module: nn.Module, sparse: bool = False) -> nn.Module:
        """`module` under DistributedDataParallel (parameters broadcast from rank 0 now); itself outside torchrun.
        `sparse` (or `for_supernet()`): some parameters get no gradient in some steps (a supernet's unused ops, a D
        frozen during the G step), so DDP looks for them at every forward."""
        if not self.active:
            return module
        from torch.nn.parallel import DistributedDataParallel

        device = next(module.parameters()).device
        ids = None
        if device.type == "cuda":
            ids = [device.index if device.index is not None else torch.cuda.current_device()]
        return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=self.sparse or sparse)

    def local_size(self, global_size: int, what: str) -> int:
        if global_size % self.world_size:
            raise UserError(f"{what} {global_size} does not split over {self.world_size} ranks; accepted: a multiple "
                            f"of {self.world_size} (batch sizes mean the global batch)")
        return global_size // self.world_size

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a global batch (dim 0), in rank order."""
        if self.world_size == 1:
            return batch
        n = self.local_size(batch.shape[0], "global batch")
        return batch[self.rank * n:(self.rank + 1) * n]

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of a 0-d tensor over the ranks (the global batch's loss); the tensor itself outside torchrun."""
        if not self.active:
            return value
        import torch.distributed as dist

        total = value.detach().float().clone()
        dist.all_reduce(total)
        return total / self.world_size

    def mean_grads_(self, tensors) -> None:
        """Replace each tensor (gradients) by its mean over the ranks, in place; None entries are skipped."""
        if not self.active:
            return
        import torch.distributed as dist

        for t in tensors:
            if t is not None:
                dist.all_reduce(t)
                t.div_(self.world_size)

    # ------------------------------------------------------------------ messages
    def broadcast(self, obj: Any) -> Any:
        """Rank 0's `obj` on every rank (pickled; small objects: scores, decisions, states)."""
        if not self.active:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0, device=torch.device("cpu"))
        return box[0]

    def on_main(self, fn: Callable, *args, **kwargs) -> Any:
        """`fn(*args, **kwargs)` on rank 0 only; its result on every rank."""
        if not self.active:
            return fn(*args, **kwargs)
        return self.broadcast(fn(*args, **kwargs) if self.is_main else None)

    def check_consistent(self, state: Any, what: str) -> None:
        """Stop with an error when `state` (nested dicts/lists of tensors and numbers) differs between ranks; per-rank
        BatchNorm statistics are left out."""
        if not self.active or self.world_size == 1:
            return
        import torch.distributed as dist

        digests = [None] * self.world_size
        dist.all_gather_object(digests, state_digest(state))
        if len(set(digests)) != 1:
            raise RuntimeError(f"the ranks' {what} differ ({', '.join(d[:8] for d in digests)}): the data-parallel "
                               "run is no longer one run; stop it and resume from the last checkpoint")

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()


SINGLE = Ranks()
_current = SINGLE


def current() -> Ranks:
    """This process's ranks: set up by `init_from_env` under torchrun, `SINGLE` otherwise."""
    return _current


def init_from_env() -> Ranks:
    """Join the torchrun job this process belongs to (once); `SINGLE` when not started by torchrun."""
    global _current
    if _current.active or not under_torchrun():
        return _current
    import torch.distributed as dist

    local_rank = int(os.environ["LOCAL_RANK"])
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
        backend = "cpu:gloo,cuda:nccl"
    else:
        backend = "gloo"
    dist.init_process_group(backend=backend, timeout=TIMEOUT)
    _current = Ranks(dist.get_rank(), dist.get_world_size(), local_rank, True)
    return _current


def shutdown() -> None:
    global _current
    if _current.active:
        import torch.distributed as dist

        dist.destroy_process_group()
    _current = SINGLE


def state_digest(state: Any) -> str:
    """A digest of the tensors and numbers of a nested state, BatchNorm running statistics left out."""
    h = hashlib.sha256()

    def walk(obj, key: str) -> None:
        if any(key.endswith(name) for name in BUFFER_STATS):
            return
        if isinstance(obj, torch.Tensor):
            h.update(key.encode())
            h.update(obj.detach().cpu().contiguous().numpy().tobytes() if obj.dtype != torch.bfloat16
                     else obj.detach().float().cpu().numpy().tobytes())
        elif isinstance(obj, dict):
            for k in sorted(obj, key=str):
                walk(obj[k], f"{key}.{k}")
        elif isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj):
                walk(item, f"{key}.{i}")
        elif isinstance(obj, (int, float, str, bool)) or obj is None:
            h.update(f"{key}={obj!r};".encode())

    walk(state, "")
    return h.hexdigest()
