"""Refusals that need no run directory: a strategy's options in the config, a strategy x space pair, the widths a space
is built at and the memory one training step needs, and what only the loaded data can tell (batch sizes against the
real images, the Inception weights). Every command runs these before it creates anything."""
from __future__ import annotations

from .config import Config, options_defaults
from .contracts.strategy import check_compatible
from .errors import UserError
from .final_training import recipe_config
from .harness import RunHarness
from .memory import check_fits
from .options import build
from .registry import SPACES, STRATEGIES


def with_strategy(cfg: Config, strategy: str) -> Config:
    """`cfg` carrying `strategy`'s options: as they are when it already does, the profile's defaults when it carries
    none; the options of another strategy are refused."""
    if cfg.strategy == strategy:
        return cfg
    if cfg.options is not None:
        raise UserError(f"the config carries options of strategy {cfg.strategy!r}, not {strategy!r}")
    options_cls = STRATEGIES.get(strategy).Options
    return cfg.replace(options=build(options_cls, options_defaults(options_cls, cfg.profile), {}))


def check_pair(cfg: Config, strategy_name: str, space_name: str):
    """The strategy class and a space instance, refused with one line when they do not fit each other or the config."""
    strategy_cls = STRATEGIES.get(strategy_name)
    space = SPACES.get(space_name)()
    check_compatible(strategy_cls, space)
    if space.n_stages > 1 and len(cfg.stage_iters) != space.n_stages:
        raise UserError(f"stage_iters {list(cfg.stage_iters)} has {len(cfg.stage_iters)} stages; space {space_name!r} "
                        f"has {space.n_stages} (give one count per stage, e.g. --stage-iters "
                        f"{','.join(['1'] * space.n_stages)})")
    check_widths(cfg, space, search=True)
    return strategy_cls, space


def check_widths(cfg: Config, space, search: bool) -> None:
    """The space's own rules on the widths it will be built at (recipe applied), and that one training step at those
    widths can fit in the device's memory (ganas_bench/memory.py), before anything starts."""
    from .contracts.space import Widths

    phases = (True, False) if search else (False,)
    for in_search in phases:
        c, _ = recipe_config(cfg, space, in_search)
        space.check_widths(Widths.of(c, in_search))
        check_fits(c, in_search, _search_batch(c) if in_search else None)


def _search_batch(cfg: Config) -> int | None:
    """A strategy's own search batch size (differentiable's `search_batch`), when its options have one."""
    return getattr(cfg.options, "search_batch", None)


def check_data(harness: RunHarness, space, search: bool) -> None:
    """What only the loaded data can tell, before the run starts: every batch and the KID subset within the number of
    real images, and (Inception backbone) a weights file that loads."""
    n_real = len(harness.real)
    for in_search in ((True, False) if search else (False,)):
        c, _ = recipe_config(harness.config, space, in_search)
        sizes = {"d_batch": c.d_batch, **({"search_batch": _search_batch(c)} if in_search and _search_batch(c) else {})}
        if not in_search:
            sizes["kid_subset_size"] = c.kid_subset_size
        for name, value in sizes.items():
            if value > n_real:
                raise UserError(f"invalid {name}={value:,}; accepted: at most the {n_real:,} real images of "
                                f"{c.dataset} at {c.image_size}px")
    if harness.config.backbone == "inception-v3-compat":
        from .metrics.inception_weights import resolve_inception_weights

        resolve_inception_weights(harness.config.inception_weights or None)


def check_run_data(cfg: Config, space, opened: dict) -> None:
    """`check_data` of a `run` not started yet (a matrix checks all its runs first); the real images are loaded once
    per dataset, root and size, kept in `opened`."""
    key = (cfg.dataset, cfg.data_root, cfg.image_size, cfg.download)
    if key not in opened:
        opened[key] = RunHarness.open(cfg)
    check_data(opened[key].with_config(cfg), space, search=True)
