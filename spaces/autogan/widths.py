"""Checks on the `Widths` an AutoGAN generator is built at: three 2x cells must reach the image size."""
from __future__ import annotations

from ganas_bench.errors import UserError
from ganas_bench.spaces.base import Widths

from .encoding import N_CELLS


def check_widths(widths: Widths) -> Widths:
    widths.require_positive("latent_dim", "bottom_width", "gf_dim", "df_dim", "channels", "image_size")
    if widths.bottom_width * 2**N_CELLS != widths.image_size:
        raise UserError(
            f"widths.image_size={widths.image_size} does not match bottom_width={widths.bottom_width}: AutoGAN's "
            f"{N_CELLS} cells each double the side, so image_size must be {widths.bottom_width * 2**N_CELLS}"
        )
    return widths
