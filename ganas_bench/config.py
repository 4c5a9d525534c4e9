"""The one configuration object behind the API and the CLI, and the four profiles.

A `Config` is a frozen, JSON-serialisable dataclass of the harness's settings: data, widths, the shared GAN step, final
training and evaluation, and the weight-sharing search budget that rl, random and any other weight-sharing strategy
share (equal terms). A strategy's own settings are its own frozen options class (`Strategy.Options`, e.g. the rl
controller's learning rate); a run's Config carries the options of its strategy in `options`. Profiles differ only in
numbers and names, never in code paths. Every field can be set from the CLI (`--field-name VALUE`) and from a JSON/YAML
file (`--config FILE`; a strategy's options flat, or nested under the strategy's name); precedence is
profile defaults < file < CLI flags. Space rules (which image sizes a space's cells reach) belong to the space.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from . import options as opt
from .errors import UserError, preview

PROFILES = ("tiny", "smoke", "cifar10", "stl10")
DATASETS = ("digits", "cifar10", "stl10")
DEVICES = ("auto", "cpu", "cuda", "mps")
RECIPES = ("equal", "paper")
PROXY_Z = ("fixed", "fresh")
BACKBONES = ("digits-classifier", "inception-v3-compat")
PRECISIONS = ("fp32", "bf16", "fp16")
MAX_WIDTH = 8192  # channels, latent size, batch sizes: far beyond any GAN of these papers
MAX_SIDE = 1024   # image side
MAX_COUNT = 10**9  # iterations, samples, steps


def _f(default, help_text: str, **rules):
    return field(default=default, metadata={"help": help_text, **rules})


@dataclass(frozen=True)
class Config:
    # --- what and where
    profile: str = _f("tiny", "profile whose numbers fill every other default", choices=PROFILES)
    dataset: str = _f("digits", f"real data: {', '.join(DATASETS)}", choices=DATASETS)
    image_size: int = _f(16, "side of generated and real images (px)", min=1, max=MAX_SIDE)
    data_root: str = _f("data", "folder holding (or receiving) torchvision datasets", path=True)
    download: bool = _f(False, "download the dataset if it is missing")
    device: str = _f("auto", f"torch device: {', '.join(DEVICES)}, cuda:N")
    seed: int = _f(0, "seed for Python, NumPy and torch", min=0, max=2**32 - 1)
    results_dir: str = _f("results/runs", "where run directories are created", path=True)
    # --- architecture widths
    latent_dim: int = _f(64, "size of z", min=1, max=MAX_WIDTH)
    bottom_width: int = _f(2, "side of G's first feature map", min=1, max=MAX_SIDE)
    gf_dim: int = _f(64, "generator width for final training", min=1, max=MAX_WIDTH)
    df_dim: int = _f(32, "discriminator width for final training", min=1, max=MAX_WIDTH)
    search_gf_dim: int = _f(32, "generator width during search", min=1, max=MAX_WIDTH)
    search_df_dim: int = _f(32, "discriminator width during search", min=1, max=MAX_WIDTH)
    # --- the shared GAN step (hinge loss, n_critic, Adam, EMA)
    g_batch: int = _f(64, "generator batch size", min=1, max=MAX_WIDTH)
    d_batch: int = _f(64, "discriminator (real) batch size", min=1, max=MAX_WIDTH)
    n_critic: int = _f(2, "D steps per G step", min=1, max=1000)
    lr_g: float = _f(2e-4, "generator Adam learning rate", gt=0.0, max=1e3)
    lr_d: float = _f(2e-4, "discriminator Adam learning rate", gt=0.0, max=1e3)
    beta1: float = _f(0.0, "Adam beta1 for G and D weights", min=0.0, lt=1.0)
    beta2: float = _f(0.9, "Adam beta2 for G and D weights", min=0.0, lt=1.0)
    ema_decay: float = _f(0.99, "EMA decay of generator weights (0 disables); tiny/smoke 0.99: at 0.999 a 1,000-step "
                                "run's average still holds 37% of the initial weights", min=0.0, lt=1.0)
    ema_start: int = _f(0, "G iteration at which the EMA starts tracking", min=0, max=MAX_COUNT)
    # --- final training and evaluation
    recipe: str = _f("equal", "equal (one recipe per profile for every space) or paper (each space's own search and "
                              "final-training numbers where its paper differs from the profile)", choices=RECIPES)
    train_iters: int = _f(600, "generator iterations of final training (tiny 600: differentiable x adversarialnas "
                               "derives a G of 5x5/dilated ops at ~0.57 s per iteration on 2 cores, so 1,000 broke the "
                               "10-minute budget; at G/D widths 32/32, 32/16 or 48/24 instead, that G collapsed to one "
                               "image)", min=1, max=MAX_COUNT)
    eval_every: int = _f(0, "evaluate every N G iterations and keep the best (0: at end)", min=0, max=MAX_COUNT)
    n_fake: int = _f(2000, "generated samples for IS/FID/KID", min=10, max=MAX_COUNT)
    eval_seeds: int = _f(3, "evaluations of the final generator, each on its own z seed (0, 1, ...): metrics.json "
                            "holds their mean and the spread between them (evaluation noise, apart from training "
                            "noise); papers' profiles 1, as the papers evaluate once", min=1, max=100)
    kid_subset_size: int = _f(1000, "KID subset size", min=2, max=MAX_COUNT)
    backbone: str = _f("digits-classifier", f"metric features: {', '.join(BACKBONES)}", choices=BACKBONES)
    inception_weights: str = _f("", "local Inception weights file (offline)", path=True)
    checkpoint_every: int = _f(250, "checkpoint every N G iterations of final training / N steps of a search (a "
                                    "search also checkpoints whenever its strategy enters a new phase)",
                               min=1, max=MAX_COUNT)
    # --- the weight-sharing search budget (rl, random and any weight-sharing strategy run on these same numbers)
    stage_iters: tuple = _f((2, 2, 4), "search iterations per MLAS stage (comma list); tiny 2,2,4 with 15 proxy "
                                        "evaluations per iteration: the smallest budget measured at which rl's "
                                        "controller entropy falls in every stage (README, search budget)",
                            min=1, max=MAX_COUNT, max_len=16)
    shared_steps: int = _f(60, "shared-GAN D steps per search iteration", min=1, max=MAX_COUNT)
    controller_steps: int = _f(15, "proxy evaluations per search iteration (rl: controller updates, one architecture "
                                   "each); random scores as many in all", min=1, max=MAX_COUNT)
    mlas_m: int = _f(10, "proxy evaluations at the end of each stage (rl: MLAS's M architectures drawn and scored)",
                     min=1, max=MAX_COUNT)
    proxy_samples: int = _f(500, "samples for the IS proxy/reward (at least 10: IS uses 10 splits)", min=10,
                            max=MAX_COUNT)
    proxy_z: str = _f("fixed", "z of the IS proxy: fixed (one seeded z for every evaluation, lower-variance rewards; "
                               "our deviation) or fresh (a new z per evaluation, as AutoGAN's code; drawn from the run's "
                               "seeded RNG)", choices=PROXY_Z)
    reset_window: int = _f(500, "dynamic-reset loss window (0 disables)", min=0, max=MAX_COUNT)
    reset_threshold: float = _f(1e-3, "dynamic-reset variance threshold", min=0.0)
    # --- speed: fp32 and eager everywhere by default, as the originals; channels-last on by default only on the
    # papers' profiles (the same function in other floats, 1.1-1.5x faster there on CPU): tiny, smoke and everything
    # committed from them stay contiguous NCHW, so their recorded runs and references keep their floats and names
    precision: str = _f("fp32", "float precision of the GAN steps: fp32 (the originals'), bf16 (autocast; a CUDA GPU "
                                "or a CPU with native bfloat16), fp16 (autocast and a gradient scaler; CUDA only)",
                        choices=PRECISIONS)
    channels_last: bool = _f(False, "G and D weights and real batches in channels-last memory format (the same "
                                    "function in other floats; faster convolutions on CPUs and tensor-core GPUs; "
                                    "--no-channels-last for the originals' NCHW)")
    compile: bool = _f(False, "torch.compile G and D for the GAN steps (falls back to eager, logged, where it cannot)")
    # --- the strategy's own options (None for a run without a strategy, e.g. `train`)
    options: Any = field(default=None, compare=True, metadata={"help": "the strategy's options object"})

    # ------------------------------------------------------------------ helpers
    @property
    def channels(self) -> int:
        return 1 if self.dataset == "digits" else 3

    @property
    def strategy(self) -> str | None:
        """The strategy whose options this config carries, or None."""
        return None if self.options is None else type(self.options).strategy

    def to_dict(self) -> dict[str, Any]:
        data = opt.as_dict(self)
        if self.options is not None:
            data["strategy_options"] = opt.as_dict(self.options)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def settable(self, name: str) -> bool:
        """Whether `name` is a core field or an option of this config's strategy."""
        return name in FIELD_NAMES or (self.options is not None and name in opt.names(type(self.options)))

    def replace(self, **changes) -> "Config":
        """A validated copy with `changes` (core fields, this config's strategy options, or `options` itself)."""
        options = changes.pop("options", self.options)
        core = {k: v for k, v in changes.items() if k in FIELD_NAMES}
        rest = {k: v for k, v in changes.items() if k not in FIELD_NAMES}
        if rest:
            if options is None or not set(rest) <= set(opt.names(type(options))):
                unknown = sorted(set(rest) - set(opt.names(type(options)) if options else ()))
                raise UserError(f"unknown config field {preview(unknown[0])} for this run")
            options = dataclasses.replace(options, **rest)
        return validate(dataclasses.replace(self, **core, options=options))


FIELD_NAMES = tuple(opt.names(Config))

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "tiny": {},
    "smoke": dict(
        profile="smoke", gf_dim=16, df_dim=16, search_gf_dim=8, search_df_dim=8, latent_dim=32, g_batch=32, d_batch=32,
        n_critic=1, train_iters=30, n_fake=256, eval_seeds=1, kid_subset_size=128, checkpoint_every=10,
        stage_iters=(1, 1, 1), shared_steps=4, proxy_samples=64, controller_steps=2, mlas_m=3, reset_window=0,
    ),
    "cifar10": dict(
        profile="cifar10", dataset="cifar10", image_size=32, latent_dim=128, bottom_width=4, gf_dim=256, df_dim=128,
        search_gf_dim=128, search_df_dim=64, g_batch=128, d_batch=64, n_critic=5, train_iters=50000, eval_every=5000,
        n_fake=50000, eval_seeds=1, kid_subset_size=1000, backbone="inception-v3-compat", checkpoint_every=1000,
        stage_iters=(15, 20, 30), shared_steps=11719, proxy_samples=5000, controller_steps=30, reset_window=500,
        ema_decay=0.999, channels_last=True,
    ),
}
PROFILE_DEFAULTS["stl10"] = dict(PROFILE_DEFAULTS["cifar10"], profile="stl10", dataset="stl10", image_size=48,
                                 bottom_width=6)


def profile_defaults(profile: str) -> Config:
    """The core settings of `profile` (no strategy options)."""
    if profile not in PROFILES:
        raise UserError(f"unknown profile {preview(profile)}; choose one of: {', '.join(PROFILES)}")
    return dataclasses.replace(Config(), **PROFILE_DEFAULTS[profile])


def strategy_options_class(strategy: str):
    from .registry import STRATEGIES

    return STRATEGIES.get(strategy).Options


def options_defaults(options_cls, profile: str) -> dict[str, Any]:
    """A strategy options class's defaults on `profile` (its fields' defaults, then its PROFILE_DEFAULTS[profile])."""
    base = {f.name: f.default for f in opt.option_fields(options_cls)}
    return {**base, **getattr(options_cls, "PROFILE_DEFAULTS", {}).get(profile, {})}


def default_config_dict(profile: str, strategy: str | None = None) -> dict[str, Any]:
    """What config.json holds for a run of `profile` (and `strategy`) left at every default: the reference a run's
    recorded settings are compared with (e.g. the tables' "variant" column)."""
    return make_config(profile=profile, strategy=strategy).to_dict()


def option_owner(name: str) -> str | None:
    """The registered strategy one of whose options is called `name`, or None."""
    from .registry import STRATEGIES

    for strategy, cls in STRATEGIES.items():
        if name in opt.names(cls.Options):
            return strategy
    return None


def make_config(profile: str | None = None, file_values: dict | None = None, overrides: dict | None = None,
                strategy: str | None = None, lenient: bool = False) -> Config:
    """Profile defaults < file values < explicit overrides, then validation.

    Keys that are not core fields go to `strategy`'s options: flat, under "strategy_options" (as config.json records
    them) or under the strategy's own name. An option of another strategy, or a strategy option without a strategy, is
    refused (a flag that would silently do nothing), except with `lenient` (a recorded config.json of an older version,
    which listed every strategy's options flat): there it is dropped.
    """
    file_values = dict(file_values or {})
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    profile = overrides.pop("profile", None) or profile or file_values.pop("profile", None) or default_profile()
    file_values.pop("profile", None)
    base = profile_defaults(profile)
    core: dict[str, Any] = {}
    chosen: dict[str, Any] = {}
    options_cls = strategy_options_class(strategy) if strategy else None
    option_names = set(opt.names(options_cls)) if options_cls else set()
    from .registry import STRATEGIES

    text: dict[str, bool] = {}  # strategy options given as command-line text
    for source, is_text in ((file_values, False), (overrides, True)):
        flat = dict(source)
        nested = flat.pop("strategy_options", None)
        if nested is not None:
            if not isinstance(nested, dict):
                raise UserError(f"config field 'strategy_options' wants a mapping, got {preview(nested)}")
            flat = {**nested, **flat}
        for name, value in flat.items():
            if not isinstance(name, str):
                raise UserError(f"config field names are strings, got {preview(name)}")
            if name in FIELD_NAMES:
                core[name] = opt.coerce_field(Config, name, value, is_text)
            elif name in option_names:
                chosen[name], text[name] = value, is_text
            elif name in STRATEGIES.names() and isinstance(value, dict):
                if name == strategy:  # a section for this run's strategy
                    for key, item in value.items():
                        if key not in option_names:
                            raise UserError(f"unknown option {preview(key)} of strategy {name!r}; its options are: "
                                            f"{preview(', '.join(sorted(option_names)), 200)}")
                        chosen[key], text[key] = item, is_text
            elif lenient and option_owner(name) is not None:
                continue
            else:
                _refuse_field(name, strategy)
    options = None
    if options_cls is not None:
        options = opt.build(options_cls, options_defaults(options_cls, profile), chosen, text)
    return validate(dataclasses.replace(base, **core, options=options))


def _refuse_field(name: str, strategy: str | None):
    owner = option_owner(name)
    if owner is not None:
        run = f"this run's strategy is {strategy!r}" if strategy else "this command runs no strategy"
        raise UserError(f"{name!r} is an option of strategy {owner!r}; {run}")
    import difflib

    close = difflib.get_close_matches(name[:100], [*FIELD_NAMES, *_all_option_names()], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UserError(f"unknown config field {preview(name)}; {hint}`ganas-bench train --help` lists the fields "
                    "(`ganas-bench run --strategy NAME --help` a strategy's options)")


def _all_option_names() -> list[str]:
    from .registry import STRATEGIES

    return [n for _, cls in STRATEGIES.items() for n in opt.names(cls.Options)]


def default_profile() -> str:
    """tiny without a GPU; cifar10 with one (the papers' protocol)."""
    import torch

    return "cifar10" if torch.cuda.is_available() else "tiny"


def validate(cfg: Config) -> Config:
    """Range rules of every field (their metadata), then the rules that tie fields together."""
    opt.check_ranges(cfg)
    if cfg.device not in DEVICES and not (cfg.device.startswith("cuda:") and cfg.device[5:].isdigit()):
        opt.bad("device", cfg.device, ", ".join(DEVICES) + ", cuda:N")
    if not cfg.stage_iters:
        opt.bad("stage_iters", cfg.stage_iters, "a comma list of integers > 0, one per stage")
    if cfg.backbone == "digits-classifier" and cfg.dataset != "digits":
        opt.bad("backbone", cfg.backbone, "inception-v3-compat for cifar10/stl10 (the digits classifier only knows digits)")
    if cfg.kid_subset_size > cfg.n_fake:
        opt.bad("kid_subset_size", cfg.kid_subset_size, f"an integer <= n_fake ({cfg.n_fake})")
    if cfg.options is not None:
        opt.check_ranges(cfg.options)
        if hasattr(cfg.options, "check_with"):
            cfg.options.check_with(cfg)
    return cfg


#: a config file is a few hundred bytes of field: value; past these it is refused before it is parsed
MAX_CONFIG_BYTES = 1 << 20
MAX_CONFIG_DEPTH = 16       # nesting of mappings/lists (a strategy section is depth 2)
MAX_CONFIG_NODES = 100_000  # YAML values after expanding aliases (an alias bomb is billions)


def load_config_file(path) -> dict[str, Any]:
    """Read a JSON or YAML mapping of field -> value: a regular file of at most MAX_CONFIG_BYTES, whose nesting and
    (YAML, aliases expanded) size are checked on the parser's events before any Python object is built."""
    shown = preview(str(path), 80)
    data = _read_bounded(path, shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"config file {shown} is not UTF-8 text; expected a JSON or YAML mapping") from None
    is_yaml = str(path).lower().endswith((".yaml", ".yml"))
    try:
        values = _parse_yaml(text, shown) if is_yaml else _parse_json(text, shown)
    except UserError:
        raise
    except Exception as exc:  # any parse error of either format
        raise UserError(f"config file {shown} is not valid {'yaml' if is_yaml else 'json'}: {_parse_error(exc)}") \
            from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise UserError(f"config file {shown} must hold a mapping of field: value, got {type(values).__name__}")
    return values


def _read_bounded(path, shown: str) -> bytes:
    """The bytes of a regular file of at most MAX_CONFIG_BYTES (never a device, a pipe or a folder)."""
    from .bounded_read import read_regular_file

    return read_regular_file(path, MAX_CONFIG_BYTES, "config file", shown, "a JSON or YAML file")


def _too_big(shown: str, what: str):
    raise UserError(f"config file {shown} is {what}; accepted: a mapping of field: value, at most "
                    f"{MAX_CONFIG_DEPTH} levels deep and {MAX_CONFIG_NODES:,} values")


def _parse_json(text: str, shown: str):
    import re

    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", re.sub(r'"(?:[^"\\]|\\.)*"', "", text)):  # outside strings
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_CONFIG_DEPTH:
        _too_big(shown, f"nested {deepest} levels deep")
    return json.loads(text)


def _parse_yaml(text: str, shown: str):
    """Parse after a pass over the events that counts every value an alias stands for, so an alias bomb (a few
    hundred bytes that expand to billions of values) and deep nesting are refused before yaml builds them."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    stack: list[list] = [[None, 0]]  # open collections: [anchor, values so far]
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([event.anchor, 0])
            if len(stack) - 1 > MAX_CONFIG_DEPTH:
                _too_big(shown, f"nested over {MAX_CONFIG_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, count = stack.pop()
            if anchor is not None:
                sizes[anchor] = count + 1
            stack[-1][1] += count + 1
        elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            count = sizes.get(event.anchor, 1) if isinstance(event, yaml.AliasEvent) else 1
            if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
                sizes[event.anchor] = 1
            stack[-1][1] += count
        if stack[0][1] + sum(c for _, c in stack[1:]) > MAX_CONFIG_NODES:
            _too_big(shown, f"over {MAX_CONFIG_NODES:,} values with its aliases expanded")
    return yaml.load(text, Loader=loader)


def _parse_error(exc: Exception) -> str:
    """A parser's complaint in one line: YAML's problem and where (not its multi-line snippet), JSON's message."""
    from .errors import first_line

    problem = getattr(exc, "problem", None)
    if problem:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return first_line(Exception(f"{problem}{where}"), 160)
    return first_line(exc, 160)
