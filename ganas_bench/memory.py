"""Will a run fit in memory? A lower bound from the widths and batch sizes alone, checked before anything is built or
written: a width or batch far too big must be one line naming the limit, not an allocator traceback in a run that has
already started.

The bound counts only what every generator and discriminator of every space here must hold (4 bytes per float):
- parameters: G's first projection, latent_dim -> bottom_width^2 x G width (AutoGAN's one Linear; AdversarialNAS splits
  z over three projections to larger maps, which only adds), held as weights, gradients, two Adam moments and the EMA
  copy (5 copies);
- activations kept for the backward pass at full resolution (image_size^2): two feature maps of the G width in G's last
  block (its RGB head's input and the activation of it) and two of the D width in D's first block. A D step holds D's
  on a real and a fake batch of d_batch images; a G step G's and D's on g_batch images; the larger step counts;
- evaluation (in host memory): the feature rows torch-fidelity keeps for n_fake samples (proxy_samples in a search)
  (Inception: 2,048 pool features + 1,008 logits; the digits classifier: 128 + 10) and KID's three kernel matrices of
  kid_subset_size^2 doubles.
Everything else (the cells, a supernet's every op, D's optimiser, kernel workspaces) only adds to it, so what is
refused cannot fit, and the papers' settings pass by a wide margin (cifar10 at final widths: about 0.4 GB).

The limit is the memory of the device the run trains on: a CUDA device's total memory, else the machine's physical
RAM (evaluation features are always compared with the RAM). Where neither can be read, nothing is refused.
"""
from __future__ import annotations

import os

from .errors import UserError

FLOAT_BYTES = 4
PARAM_COPIES = 5  # weights, gradients, Adam's two moments, the EMA of G
FEATURES_PER_SAMPLE = {"inception-v3-compat": 2048 + 1008, "digits-classifier": 128 + 10}


def training_bytes(latent_dim: int, bottom_width: int, gf_dim: int, df_dim: int, image_size: int, g_batch: int,
                   d_batch: int) -> int:
    """Lower bound of the memory one training step needs (see the module docstring)."""
    params = latent_dim * bottom_width**2 * gf_dim * PARAM_COPIES
    pixels = image_size**2
    d_step = 2 * d_batch * 2 * df_dim * pixels
    g_step = g_batch * 2 * (gf_dim + df_dim) * pixels
    return FLOAT_BYTES * (params + max(d_step, g_step))


def evaluation_bytes(n_fake: int, kid_subset_size: int, backbone: str) -> int:
    """Lower bound of the host memory IS/FID/KID of n_fake samples needs."""
    return FLOAT_BYTES * n_fake * FEATURES_PER_SAMPLE.get(backbone, 0) + 3 * 8 * kid_subset_size**2


def host_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def device_memory(device: str) -> tuple[int | None, str]:
    """(bytes, what they are) of the memory a run on `device` ("auto", "cpu", "cuda", "cuda:N", "mps") trains in."""
    import torch

    if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()):
        if torch.cuda.is_available():
            index = int(device[5:]) if device.startswith("cuda:") else 0
            if index < torch.cuda.device_count():
                return torch.cuda.get_device_properties(index).total_memory, f"the memory of cuda:{index}"
        return None, ""
    return host_memory(), "this machine's RAM"


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_fits(cfg, search: bool, batch: int | None = None) -> None:
    """Refuse `cfg` (recipe already applied) when one training step at its search (`search`) or final widths cannot fit
    in the device's memory, or its evaluation in the RAM. `batch`: a strategy's own search batch, when it has one."""
    gf, df = (cfg.search_gf_dim, cfg.search_df_dim) if search else (cfg.gf_dim, cfg.df_dim)
    g_batch, d_batch = (batch, batch) if batch else (cfg.g_batch, cfg.d_batch)
    need = training_bytes(cfg.latent_dim, cfg.bottom_width, gf, df, cfg.image_size, g_batch, d_batch)
    limit, what = device_memory(cfg.device)
    if limit is not None and need > limit:
        phase = "search" if search else "final"
        raise UserError(f"a training step at {phase} widths (G {gf}, D {df}, {cfg.image_size}px, bottom "
                        f"{cfg.bottom_width}, batch {g_batch}/{d_batch}) needs at least {_gib(need)}, over {what} "
                        f"({_gib(limit)}); lower the widths or batches")
    n, kid, name = (cfg.proxy_samples, 0, "proxy_samples") if search else (cfg.n_fake, cfg.kid_subset_size, "n_fake")
    need = evaluation_bytes(n, kid, cfg.backbone)
    ram = host_memory()
    if ram is not None and need > ram:
        raise UserError(f"scoring {name}={n:,} samples" + (f" (kid_subset_size={kid:,})" if kid else "")
                        + f" needs at least {_gib(need)}, over this machine's RAM ({_gib(ram)}); lower {name}")
