"""The one configuration object behind the API and the CLI, and the four profiles.

A `Config` is a frozen, JSON-serialisable dataclass. Profiles differ only in numbers and names, never in code paths: the
tiny run goes through the same search, training, evaluation and tabulation code as the paper-scale run. Every field can be
set from the CLI (`--field-name VALUE`) and from a JSON/YAML file (`--config FILE`); precedence is
profile defaults < file < CLI flags.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import UserError

PROFILES = ("tiny", "smoke", "cifar10", "stl10")
DATASETS = ("digits", "cifar10", "stl10")
DEVICES = ("auto", "cpu", "cuda", "mps")
RECIPES = ("equal", "paper")
PROXY_Z = ("fixed", "fresh")
BACKBONES = ("digits-classifier", "inception-v3-compat")


@dataclass(frozen=True)
class Config:
    # --- what and where
    profile: str = field(default="tiny", metadata={"help": "profile whose numbers fill every other default"})
    dataset: str = field(default="digits", metadata={"help": f"real data: {', '.join(DATASETS)}"})
    image_size: int = field(default=16, metadata={"help": "side of generated and real images (px)"})
    data_root: str = field(default="data", metadata={"help": "folder holding (or receiving) torchvision datasets"})
    download: bool = field(default=False, metadata={"help": "download the dataset if it is missing"})
    device: str = field(default="auto", metadata={"help": f"torch device: {', '.join(DEVICES)}"})
    seed: int = field(default=0, metadata={"help": "seed for Python, NumPy and torch"})
    results_dir: str = field(default="results/runs", metadata={"help": "where run directories are created"})
    # --- architecture widths
    latent_dim: int = field(default=64, metadata={"help": "size of z"})
    bottom_width: int = field(default=2, metadata={"help": "side of G's first feature map"})
    gf_dim: int = field(default=64, metadata={"help": "generator width for final training"})
    df_dim: int = field(default=32, metadata={"help": "discriminator width for final training"})
    search_gf_dim: int = field(default=32, metadata={"help": "generator width during search"})
    search_df_dim: int = field(default=32, metadata={"help": "discriminator width during search"})
    # --- the shared GAN step (hinge loss, n_critic, Adam, EMA)
    g_batch: int = field(default=64, metadata={"help": "generator batch size"})
    d_batch: int = field(default=64, metadata={"help": "discriminator (real) batch size"})
    n_critic: int = field(default=2, metadata={"help": "D steps per G step"})
    lr_g: float = field(default=2e-4, metadata={"help": "generator Adam learning rate"})
    lr_d: float = field(default=2e-4, metadata={"help": "discriminator Adam learning rate"})
    beta1: float = field(default=0.0, metadata={"help": "Adam beta1 for G and D weights"})
    beta2: float = field(default=0.9, metadata={"help": "Adam beta2 for G and D weights"})
    ema_decay: float = field(default=0.99, metadata={
        "help": "EMA decay of generator weights (0 disables); tiny/smoke 0.99: at 0.999 a 1,000-step run's average "
                "still holds 37% of the initial weights"})
    ema_start: int = field(default=0, metadata={"help": "G iteration at which the EMA starts tracking"})
    # --- final training and evaluation
    recipe: str = field(default="equal", metadata={
        "help": "equal (one recipe per profile for every space) or paper (each space's own search and final-training "
                "numbers where its paper differs from the profile)"})
    train_iters: int = field(default=600, metadata={
        "help": "generator iterations of final training (tiny 600: differentiable x adversarialnas derives a G of "
                "5x5/dilated ops at ~0.57 s per iteration on 2 cores, so 1,000 broke the 10-minute budget; at G/D "
                "widths 32/32, 32/16 or 48/24 instead, that G collapsed to one image)"})
    eval_every: int = field(default=0, metadata={"help": "evaluate every N G iterations and keep the best (0: at end)"})
    n_fake: int = field(default=2000, metadata={"help": "generated samples for IS/FID/KID"})
    kid_subset_size: int = field(default=1000, metadata={"help": "KID subset size"})
    backbone: str = field(default="digits-classifier", metadata={"help": f"metric features: {', '.join(BACKBONES)}"})
    inception_weights: str = field(default="", metadata={"help": "local Inception weights file (offline)"})
    checkpoint_every: int = field(default=250, metadata={"help": "checkpoint every N G iterations / search steps"})
    # --- search: shared-weight training (RL, random)
    stage_iters: tuple = field(default=(1, 1, 2), metadata={"help": "search iterations per MLAS stage (comma list)"})
    shared_steps: int = field(default=60, metadata={"help": "shared-GAN D steps per search iteration"})
    proxy_samples: int = field(default=500, metadata={"help": "samples for the IS proxy/reward"})
    proxy_z: str = field(default="fixed", metadata={
        "help": "z of the IS proxy: fixed (one seeded z for every evaluation, lower-variance rewards; our deviation) "
                "or fresh (a new z per evaluation, as AutoGAN's code; drawn from the run's seeded RNG)"})
    # --- REINFORCE controller
    controller_steps: int = field(default=8, metadata={"help": "controller updates per search iteration"})
    controller_hidden: int = field(default=100, metadata={"help": "LSTM hidden size"})
    controller_lr: float = field(default=3.5e-4, metadata={"help": "controller Adam learning rate"})
    entropy_coef: float = field(default=1e-3, metadata={"help": "entropy bonus weight"})
    baseline_decay: float = field(default=0.9, metadata={"help": "EMA baseline decay"})
    mlas_m: int = field(default=10, metadata={"help": "architectures sampled at a stage change"})
    mlas_k: int = field(default=5, metadata={"help": "prefixes kept at a stage change"})
    reset_window: int = field(default=500, metadata={"help": "dynamic-reset loss window (0 disables)"})
    reset_threshold: float = field(default=1e-3, metadata={"help": "dynamic-reset variance threshold"})
    # --- random search
    random_candidates: int = field(default=0, metadata={
        "help": "architectures the random baseline scores (0: as many as rl's proxy evaluations, equal terms)"})
    random_scratch_steps: int = field(default=0, metadata={"help": "if > 0, train each candidate from scratch this many D steps"})
    # --- differentiable search
    search_epochs: float = field(default=2.0, metadata={"help": "epochs of differentiable search"})
    search_batch: int = field(default=64, metadata={"help": "real batch of differentiable search (split in halves)"})
    arch_lr: float = field(default=2e-2, metadata={
        "help": "architecture-parameter Adam learning rate (tiny/smoke: raised from the paper's 3e-4 for ~30 steps)"})
    arch_beta1: float = field(default=0.5, metadata={"help": "architecture Adam beta1"})
    arch_beta2: float = field(default=0.999, metadata={"help": "architecture Adam beta2"})
    arch_weight_decay: float = field(default=1e-4, metadata={"help": "architecture Adam weight decay"})
    gumbel: bool = field(default=True, metadata={"help": "Gumbel-softmax relaxation (else plain softmax)"})
    tau_max: float = field(default=5.0, metadata={"help": "Gumbel temperature at epoch 0"})
    tau_min: float = field(default=0.1, metadata={"help": "Gumbel temperature reached after tau_anneal_epochs"})
    tau_anneal_epochs: float = field(default=25.0, metadata={"help": "epochs for tau to decay to tau_min"})

    # ------------------------------------------------------------------ helpers
    @property
    def channels(self) -> int:
        return 1 if self.dataset == "digits" else 3

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["stage_iters"] = list(self.stage_iters)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def replace(self, **changes) -> "Config":
        return validate(dataclasses.replace(self, **changes))


_TINY = Config()
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "tiny": {},
    "smoke": dict(
        profile="smoke", gf_dim=16, df_dim=16, search_gf_dim=8, search_df_dim=8, latent_dim=32, g_batch=32, d_batch=32,
        n_critic=1, train_iters=30, n_fake=256, kid_subset_size=128, checkpoint_every=10, stage_iters=(1, 1, 1),
        shared_steps=4, proxy_samples=64, controller_steps=2, mlas_m=3, mlas_k=2, reset_window=0,
        search_epochs=0.1, search_batch=32,
    ),
    "cifar10": dict(
        profile="cifar10", dataset="cifar10", image_size=32, latent_dim=128, bottom_width=4, gf_dim=256, df_dim=128,
        search_gf_dim=128, search_df_dim=64, g_batch=128, d_batch=64, n_critic=5, train_iters=50000, eval_every=5000,
        n_fake=50000, kid_subset_size=1000, backbone="inception-v3-compat", checkpoint_every=1000,
        stage_iters=(15, 20, 30), shared_steps=11719, proxy_samples=5000, controller_steps=30, reset_window=500,
        search_epochs=24.0, search_batch=120, arch_lr=3e-4, ema_decay=0.999,
    ),
    "stl10": dict(
        profile="stl10", dataset="stl10", image_size=48, latent_dim=128, bottom_width=6, gf_dim=256, df_dim=128,
        search_gf_dim=128, search_df_dim=64, g_batch=128, d_batch=64, n_critic=5, train_iters=50000, eval_every=5000,
        n_fake=50000, kid_subset_size=1000, backbone="inception-v3-compat", checkpoint_every=1000,
        stage_iters=(15, 20, 30), shared_steps=11719, proxy_samples=5000, controller_steps=30, reset_window=500,
        search_epochs=24.0, search_batch=120, arch_lr=3e-4, ema_decay=0.999,
    ),
}
FIELD_NAMES = tuple(f.name for f in fields(Config))
_FIELD_TYPES = {f.name: f.type for f in fields(Config)}
_KIND_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
               "tuple": "a comma list of integers"}


def profile_defaults(profile: str) -> Config:
    if profile not in PROFILES:
        raise UserError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    return dataclasses.replace(_TINY, **PROFILE_DEFAULTS[profile])


def default_config_dict(profile: str, strategy: str | None = None) -> dict[str, Any]:
    """What config.json holds for a run of `profile` (and `strategy`) left at every default: the reference a run's
    recorded settings are compared with (e.g. the tables' "variant" column)."""
    return profile_defaults(profile).to_dict()


def coerce(name: str, value: Any) -> Any:
    """Turn a value from a file or the CLI into the field's type, with one clear message when it cannot be."""
    if name not in _FIELD_TYPES:
        raise UserError(f"unknown config field {name!r}; fields are: {', '.join(FIELD_NAMES)}")
    kind = _FIELD_TYPES[name]
    try:
        if kind == "tuple":
            if isinstance(value, str):
                value = [v for v in value.replace(" ", "").split(",") if v]
            return tuple(int(v) for v in value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if not isinstance(value, str):
            raise ValueError
        return value
    except (TypeError, ValueError):
        raise UserError(f"config field {name!r} wants {_KIND_WORDS[kind]}, got {value!r}") from None


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or YAML mapping of field -> value."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read config file {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"config file {str(path)!r} is not UTF-8 text; expected a JSON or YAML mapping") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # any parse error of either format
        raise UserError(f"config file {str(path)!r} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"config file {str(path)!r} must hold a mapping of field: value, got {type(data).__name__}")
    return data


def make_config(profile: str | None = None, file_values: dict | None = None, overrides: dict | None = None) -> Config:
    """Profile defaults < file values < explicit overrides, then validation."""
    file_values = dict(file_values or {})
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    profile = overrides.pop("profile", None) or profile or file_values.pop("profile", None) or default_profile()
    file_values.pop("profile", None)
    base = profile_defaults(profile)
    values = {}
    for source in (file_values, overrides):
        for name, value in source.items():
            values[name] = coerce(name, value)
    return validate(dataclasses.replace(base, **values))


def default_profile() -> str:
    """tiny without a GPU; cifar10 with one (the papers' protocol)."""
    import torch

    return "cifar10" if torch.cuda.is_available() else "tiny"


_POSITIVE = (
    "image_size", "latent_dim", "bottom_width", "gf_dim", "df_dim", "search_gf_dim", "search_df_dim", "g_batch", "d_batch",
    "n_critic", "train_iters", "n_fake", "kid_subset_size", "checkpoint_every", "shared_steps", "proxy_samples",
    "controller_steps", "controller_hidden", "mlas_m", "mlas_k", "search_batch",
)
_NON_NEGATIVE = ("eval_every", "ema_start", "reset_window", "random_candidates", "random_scratch_steps", "seed")
_POSITIVE_FLOAT = ("lr_g", "lr_d", "controller_lr", "arch_lr", "search_epochs", "tau_max", "tau_min", "tau_anneal_epochs")


def validate(cfg: Config) -> Config:
    def bad(name, accepted):
        raise UserError(f"invalid {name}={getattr(cfg, name)!r}; accepted: {accepted}")

    if cfg.profile not in PROFILES:
        bad("profile", ", ".join(PROFILES))
    if cfg.dataset not in DATASETS:
        bad("dataset", ", ".join(DATASETS))
    if cfg.device not in DEVICES and not cfg.device.startswith("cuda:"):
        bad("device", ", ".join(DEVICES) + ", cuda:N")
    if cfg.recipe not in RECIPES:
        bad("recipe", ", ".join(RECIPES))
    if cfg.proxy_z not in PROXY_Z:
        bad("proxy_z", ", ".join(PROXY_Z))
    if cfg.backbone not in BACKBONES:
        bad("backbone", ", ".join(BACKBONES))
    for name in _POSITIVE:
        if getattr(cfg, name) <= 0:
            bad(name, "an integer > 0")
    for name in _NON_NEGATIVE:
        if getattr(cfg, name) < 0:
            bad(name, "an integer >= 0")
    for f in fields(cfg):
        if f.type == "float" and not math.isfinite(getattr(cfg, f.name)):
            bad(f.name, "a finite number")
    if cfg.seed >= 2**32:
        bad("seed", "an integer in 0..2**32-1")
    for name in _POSITIVE_FLOAT:
        if not getattr(cfg, name) > 0:
            bad(name, "a number > 0")
    for name in ("beta1", "beta2", "arch_beta1", "arch_beta2", "ema_decay", "baseline_decay"):
        if not 0.0 <= getattr(cfg, name) < 1.0:
            bad(name, "a number in [0, 1)")
    if cfg.entropy_coef < 0 or cfg.reset_threshold < 0 or cfg.arch_weight_decay < 0:
        bad("entropy_coef" if cfg.entropy_coef < 0 else "reset_threshold" if cfg.reset_threshold < 0 else "arch_weight_decay",
            "a number >= 0")
    if not cfg.stage_iters or any(s <= 0 for s in cfg.stage_iters):
        bad("stage_iters", "a comma list of integers > 0, one per stage")
    if cfg.mlas_k > cfg.mlas_m:
        bad("mlas_k", f"an integer <= mlas_m ({cfg.mlas_m})")
    if cfg.image_size % cfg.bottom_width or (cfg.image_size // cfg.bottom_width) != 8:
        bad("image_size", f"8 x bottom_width ({8 * cfg.bottom_width}): three cells each double the resolution")
    if cfg.backbone == "digits-classifier" and cfg.dataset != "digits":
        bad("backbone", "inception-v3-compat for cifar10/stl10 (the digits classifier only knows digits)")
    if cfg.kid_subset_size > cfg.n_fake:
        bad("kid_subset_size", f"an integer <= n_fake ({cfg.n_fake})")
    return cfg
