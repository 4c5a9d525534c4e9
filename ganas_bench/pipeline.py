"""What the CLI commands do: train a fixed architecture, search-then-retrain, and evaluate a finished run.

Everything that can be refused is checked before a run directory exists, so bad input never leaves one behind; once a
run has started, a failure marks its directory `failed` with the reason and never leaves a half-written metrics file.
"""
from __future__ import annotations

import dataclasses
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import Config
from .context import SearchContext, SearchStateStore
from .cost import CostClock, count_params, training_step_flops
from .data import RealImages, load_real_images
from .device import resolve_device
from .errors import UserError
from .genotype import Genotype
from .registry import SPACES, STRATEGIES, get_architecture
from .runs.rundir import (RunDir, RunFailed, atomic_write_bytes, check_results_dir, check_run_name, is_storage_error,
                      new_run_name, platform_info)
from .seeding import deterministic_torch, seed_everything, untouched_rng
from .checkpoint import capture_rng, check_train_checkpoint, load_checkpoint, restore_rng
from .faults import fault_point


@dataclass
class Session:
    """What every command sets up the same way before any work: config, device, data, RNG, clock."""

    cfg: Config
    device: torch.device
    real: RealImages
    rng: np.random.Generator
    clock: CostClock


def open_session(cfg: Config) -> Session:
    device = resolve_device(cfg.device)
    if cfg.inception_weights and not Path(cfg.inception_weights).is_file():
        raise UserError(f"--inception-weights {cfg.inception_weights!r} is not a file")
    real = load_real_images(cfg.dataset, cfg.data_root, cfg.image_size, cfg.download)
    deterministic_torch()
    rng = seed_everything(cfg.seed)
    return Session(cfg, device, real, rng, CostClock(device))


def resolve_architecture(arch: str) -> tuple[object, Genotype, str | None]:
    """An architecture given as a registered name, a run directory (its arch.json), or a genotype JSON file/string."""
    path = Path(arch)
    if path.is_dir():
        data = RunDir.open(path).read_json("arch.json") if (path / "arch.json").is_file() else None
        if data is None:
            raise UserError(f"run directory {arch!r} has no arch.json (did its search finish?)")
        try:
            genotype = Genotype.from_dict(data.get("genotype"))
            space = SPACES.get(genotype.space)()
            return space, space.validate(genotype), data.get("arch_name")
        except UserError as exc:
            raise UserError(f"{str(path / 'arch.json')!r}: {exc}") from None
    elif arch.lstrip().startswith("{") or path.suffix == ".json":
        genotype = Genotype.from_json(path.read_text() if path.suffix == ".json" and path.is_file() else arch)
        name = None
    else:
        named = get_architecture(arch)
        genotype, name = Genotype(named.space, named.choices), named.name
    space = SPACES.get(genotype.space)()
    return space, space.validate(genotype), name


def start_run(cfg: Config, command: str, prefix: str, run_name: str | None, **fields) -> RunDir:
    run = RunDir.create(cfg.results_dir, run_name or new_run_name(prefix))
    run.write_json("config.json", cfg.to_dict())
    run.update_run(id=run.path.name, command=command, profile=cfg.profile, seed=cfg.seed, status="running", reason=None,
                   started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), platform=platform_info(),
                   config_hash=config_hash(cfg), **fields)
    run.log("start", command=command, **fields)
    return run


def config_hash(cfg: Config) -> str:
    import hashlib

    return hashlib.sha256(cfg.to_json().encode()).hexdigest()[:16]


def finish_run(run: RunDir, status: str, reason: str | None = None) -> None:
    run.update_run(status=status, reason=reason, ended=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    run.log(status, reason=reason)


def guarded(run: RunDir, work):
    """Run `work()`; on any failure mark the run failed with the reason; in every case release the run's lock.

    The exception propagates, except that a storage error (disk full, read-only, no permission: `is_storage_error`)
    comes back as `RunFailed`, which the CLI shows as one line. Recording the failure is best effort: on a full disk
    run.json may not be writable either, and that must not hide the error that stopped the run.
    """
    try:
        try:
            result = work()
        except BaseException as exc:  # KeyboardInterrupt included: the directory must say what happened
            reason = f"{type(exc).__name__}: {exc}".strip()[:2000]
            try:
                finish_run(run, "failed", reason)
                recorded = True
            except OSError:
                recorded = False
            if is_storage_error(exc):
                raise RunFailed(run.path, reason, recorded) from exc
            raise
        finish_run(run, "finished")
    finally:
        run.unlock()
    return result


# --------------------------------------------------------------------------------------------------------- training
TRAIN_SEED_OFFSET = 1_000_003  # final training reseeds at its start, so it never depends on how the search used the RNG


def train_and_evaluate(session: Session, run: RunDir, space, genotype: Genotype, arch_name: str | None,
                       eval_untrained: bool = True) -> dict:
    """Final training of one genotype from scratch with the profile's recipe, then IS/FID/KID of the EMA generator.

    Checkpoints every `checkpoint_every` G iterations hold everything needed to continue (weights, optimisers, EMA,
    RNG states, data-stream position, best-so-far, cost clock); given a run directory holding one, training continues
    from it and reaches the result an uninterrupted run reaches, bit for bit on CPU.
    """
    overrides = space.paper_recipe(session.cfg.profile) if session.cfg.recipe == "paper" else {}
    if overrides:
        session = dataclasses.replace(session, cfg=session.cfg.replace(**overrides))
        run.log("recipe", recipe="paper", overrides=overrides)
    cfg, device = session.cfg, session.device
    seed_everything(cfg.seed + TRAIN_SEED_OFFSET)
    ctx = SearchContext(cfg, device, session.real, session.rng, session.clock, run.log)
    widths = ctx.widths(search=False)
    generator = space.build_generator(genotype, widths)
    discriminator = space.build_discriminator(genotype, widths)
    trainer = ctx.make_trainer(generator, discriminator)
    batches = ctx.real_batches(cfg.image_size, cfg.d_batch)
    if not run.has("arch.json") or run.read_json("arch.json").get("hash") != genotype.stable_hash():
        run.write_json("arch.json", {
            "genotype": genotype.to_dict(), "hash": genotype.stable_hash(), "description": space.describe(genotype),
            "arch_name": arch_name, "params_g": count_params(generator), "params_d": count_params(discriminator),
        })
    flops = training_step_flops(generator, discriminator, cfg.latent_dim, session.real.to_float()[: cfg.d_batch].to(device),
                                cfg.g_batch, cfg.n_critic)

    start_iter, untrained, best, final = 0, None, None, None
    saved = load_checkpoint(run.file("checkpoint.pt")) if run.has("checkpoint.pt") else None
    if saved is not None and saved.get("kind") == "train" and saved.get("genotype") == genotype.to_json():
        check_train_checkpoint(saved, run.file("checkpoint.pt"))
        try:
            trainer.load_state_dict(saved["trainer"])
            batches.load_state_dict(saved["batches"])
            session.clock.load_state_dict(saved["clock"])
            restore_rng(saved["rng"], session.rng)
        except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise UserError(f"checkpoint {str(run.file('checkpoint.pt'))!r} does not fit this run "
                            f"({type(exc).__name__}: {first}); it is damaged or written for another setup") from None
        untrained, best, start_iter = saved.get("untrained"), saved.get("best"), saved["iteration"]
        final = saved.get("final")  # present when the run was stopped after its final evaluation
        run.log("resume", iteration=start_iter)
    elif eval_untrained:
        with session.clock.phase("eval"):
            untrained = evaluate(session, trainer.eval_generator)
        run.log("eval_untrained", **untrained)

    def checkpoint(iteration: int, final: dict | None = None) -> None:
        run.save_torch("checkpoint.pt", {
            "kind": "train", "genotype": genotype.to_json(), "iteration": iteration, "trainer": trainer.state_dict(),
            "batches": batches.state_dict(), "clock": session.clock.state_dict(), "untrained": untrained, "best": best,
            "rng": capture_rng(session.rng), "generator_ema": trainer.eval_generator.state_dict(), "final": final,
        })

    log_every = max(1, cfg.train_iters // 20)
    with ctx.progress(cfg.train_iters, "train") as bar:
        bar.update(start_iter)
        for it in range(start_iter + 1, cfg.train_iters + 1):
            with session.clock.phase("train"):
                d_loss, g_loss = trainer.iteration(batches)
            bar.update(1)
            if it % log_every == 0 or it == cfg.train_iters:
                run.log("train", iter=it, d_loss=d_loss, g_loss=g_loss)
            if cfg.eval_every and it % cfg.eval_every == 0 and it < cfg.train_iters:
                with session.clock.phase("eval"):
                    scores = evaluate(session, trainer.eval_generator)
                run.log("eval", iter=it, **scores)
                if best is None or scores["fid"] < best["scores"]["fid"]:
                    best = {"scores": scores, "iteration": it,
                            "generator_ema": {k: v.clone() for k, v in trainer.eval_generator.state_dict().items()}}
            if it % cfg.checkpoint_every == 0 and it < cfg.train_iters:
                checkpoint(it)
    session.clock.note("train", steps=cfg.train_iters, flops_per_step=flops)

    if final is None:
        with session.clock.phase("eval"):
            final = {"scores": evaluate(session, trainer.eval_generator), "best_iter": cfg.train_iters}
        if best is not None and best["scores"]["fid"] < final["scores"]["fid"]:
            final = {"scores": best["scores"], "best_iter": best["iteration"]}
            trainer.eval_generator.load_state_dict(best["generator_ema"])
        best = None  # the kept generator is now the EMA one
        checkpoint(cfg.train_iters, final)  # with the result: a resume from here re-evaluates nothing
    write_samples(run, trainer.eval_generator, cfg.latent_dim, device)
    metrics = {**final["scores"], "best_iter": final["best_iter"]}
    if untrained is not None:
        metrics["untrained"] = untrained
    return metrics


def evaluate(session: Session, generator) -> dict:
    from .metrics import evaluate_generator

    cfg = session.cfg
    was_training = generator.training
    generator.eval()
    try:
        with untouched_rng(session.device):  # evaluating must not change what is trained next
            scores = evaluate_generator(
                generator, cfg.latent_dim, session.real.uint8, n_fake=cfg.n_fake, backbone=cfg.backbone,
                device=session.device, kid_subset_size=cfg.kid_subset_size,
                cache_name=f"{cfg.dataset}-{cfg.image_size}-{len(session.real)}-{cfg.backbone}",
                inception_weights=cfg.inception_weights or None, reference_split=session.real.split,
            )
    finally:
        generator.train(was_training)
    scores.update(dataset=cfg.dataset, image_size=cfg.image_size)
    fault_point("evaluate")
    return scores


def write_samples(run: RunDir, generator, latent_dim: int, device: torch.device, n: int = 64) -> None:
    from torchvision.utils import save_image

    rng = torch.Generator(device="cpu").manual_seed(1234)
    z = torch.randn(n, latent_dim, generator=rng).to(device)
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        images = generator(z).clamp(-1, 1).add(1).div(2).cpu()
    generator.train(was_training)
    buf = io.BytesIO()
    save_image(images, buf, format="png", nrow=8, padding=1)
    atomic_write_bytes(run.file("samples.png"), buf.getvalue())


def write_metrics(run: RunDir, session: Session, metrics: dict) -> dict:
    clock = session.clock
    metrics = dict(metrics)
    metrics["cost"] = {phase: clock.summary(phase) for phase in ("search", "train", "eval") if phase in clock.phases}
    metrics["cost"]["total"] = clock.total()
    run.write_json("metrics.json", metrics)
    return metrics


# --------------------------------------------------------------------------------------------------------- commands
def command_train(cfg: Config, arch: str, run_name: str | None = None) -> RunDir:
    space, genotype, arch_name = resolve_architecture(arch)
    if _given_again(cfg, run_name, "train", genotype=genotype.to_dict()):
        return command_resume(str(Path(cfg.results_dir) / run_name))
    check_results_dir(cfg.results_dir)
    session = open_session(cfg)
    run = start_run(cfg, "train", f"train-{arch_name or genotype.space}", run_name, strategy=None,
                    space=genotype.space, arch_name=arch_name, genotype=genotype.to_dict())
    return _train_work(session, run, space, genotype, arch_name)


def _train_work(session: Session, run: RunDir, space, genotype: Genotype, arch_name: str | None) -> RunDir:
    def work():
        metrics = train_and_evaluate(session, run, space, genotype, arch_name)
        write_metrics(run, session, metrics)

    guarded(run, work)
    return run


def command_run(cfg: Config, strategy_name: str, space_name: str, run_name: str | None = None,
                search_only: bool = False) -> RunDir:
    strategy_cls, space = _check_pair(cfg, strategy_name, space_name)
    if _given_again(cfg, run_name, "run", strategy=strategy_name, space=space_name, search_only=search_only):
        return command_resume(str(Path(cfg.results_dir) / run_name))
    check_results_dir(cfg.results_dir)
    session = open_session(cfg)
    run = start_run(cfg, "run", f"{strategy_name}-{space_name}", run_name, strategy=strategy_name, space=space_name,
                    arch_name=None, search_only=search_only)
    return _search_work(session, run, strategy_cls, space, search_only)


# Where a run reads and writes, not what it computes: a run given again may name other locations.
LOCATION_FIELDS = ("results_dir", "data_root", "download", "inception_weights")


def _given_again(cfg: Config, run_name: str | None, command: str, **identity) -> bool:
    """True when `run_name` names an unfinished run of this same command, architecture or strategy x space, and
    config: the caller then resumes it (as `--resume` would). False when no such directory exists. Anything else there
    (a finished run, another run, other settings, not a run directory) is refused, so a name given twice never mixes
    two experiments in one directory."""
    if not run_name:
        return False
    path = Path(cfg.results_dir) / check_run_name(run_name)
    if not path.exists():
        return False
    run = RunDir.open(path)
    info = run.read_json("run.json")
    where = str(path)
    if info.get("status") == "finished" or run.has("metrics.json"):
        raise UserError(f"run {where!r} has already finished; pick another --run-name (or `ganas-bench eval` it)")
    theirs = {k: info.get(k) for k in identity}
    if info.get("command") != command or theirs != identity:
        raise UserError(f"run directory {where!r} holds another run ({info.get('command')}: "
                        f"{', '.join(f'{k}={v}' for k, v in theirs.items())}); pick another --run-name")
    recorded = run.read_json("config.json")
    differ = [f"{k}={recorded.get(k)!r} (now {v!r})" for k, v in cfg.to_dict().items()
              if k not in LOCATION_FIELDS and recorded.get(k) != v]
    if differ:
        raise UserError(f"run {where!r} was started with other settings: {'; '.join(differ)}. Give the same settings "
                        "to continue it, or pick another --run-name")
    return True


def _check_pair(cfg: Config, strategy_name: str, space_name: str):
    from .strategies.base import check_compatible

    strategy_cls = STRATEGIES.get(strategy_name)
    space = SPACES.get(space_name)()
    check_compatible(strategy_cls, space)
    if space.n_stages > 1 and len(cfg.stage_iters) != space.n_stages:
        raise UserError(f"stage_iters {list(cfg.stage_iters)} has {len(cfg.stage_iters)} stages; space {space_name!r} "
                        f"has {space.n_stages} (give one count per stage, e.g. --stage-iters "
                        f"{','.join(['1'] * space.n_stages)})")
    return strategy_cls, space


def _search_work(session: Session, run: RunDir, strategy_cls, space, search_only: bool) -> RunDir:
    cfg = session.cfg

    def work():
        if run.has("search.json"):  # resuming after the search finished: its result is final
            searched = run.read_json("search.json")
            best = Genotype.from_dict(searched["ranked"][0]["genotype"])
            info = searched["info"]
            run.log("resume", phase="train")
        else:
            rng = seed_everything(cfg.seed)
            overrides = space.paper_search_recipe(cfg.profile) if cfg.recipe == "paper" else {}
            if overrides:
                run.log("recipe", recipe="paper", phase="search", overrides=overrides)
            ctx = SearchContext(cfg.replace(**overrides), session.device, session.real, rng, session.clock, run.log,
                                SearchStateStore(run))
            with session.clock.phase("search"):
                result = strategy_cls(space, ctx).search()
            search_wall = session.clock.phases["search"]["wall_s"]  # includes time before a resume
            if not result.ranked:
                raise RuntimeError("the search returned no candidate")
            useful = ctx.useful_seconds()
            result.info.update(failed_candidates=ctx.failed_candidates, search_wall_s=round(search_wall, 3),
                               useful_s=round(useful, 3),
                               useful_fraction=round(useful / search_wall, 4) if search_wall > 0 else None)
            session.clock.note("search", steps=sum(t.d_steps for t in ctx.trainers))
            run.write_json("search.json", result.to_dict())
            best, info = result.ranked[0].genotype, result.info
            run.log("derived", genotype=best.to_dict(), score=result.ranked[0].score)
        space.validate(best)
        if search_only:
            run.write_json("arch.json", {"genotype": best.to_dict(), "hash": best.stable_hash(),
                                         "description": space.describe(best), "arch_name": None})
            write_metrics(run, session, {"search_only": True, "search": info})
            return
        metrics = train_and_evaluate(session, run, space, best, None)  # untrained too: guards the retraining
        metrics["search"] = info
        write_metrics(run, session, metrics)

    guarded(run, work)
    return run


def command_resume(run_path: str) -> RunDir:
    """Continue an interrupted `train` or `run` from its run directory, with the configuration it was started with.

    run.json, config.json, the architecture and the checkpoint are all checked before the first write, so a damaged or
    hostile file gives one UserError and leaves the directory as it was. A run whose metrics.json exists (written last)
    had finished and lost only its final status: that is recorded and nothing is redone.
    """
    from .config import make_config

    run = RunDir.open(run_path)
    info = run.read_json("run.json")
    command = info.get("command")
    if command not in ("train", "run"):
        raise UserError(f"{str(run.file('run.json'))!r} names command {command!r}; accepted: train, run")
    if run.has("metrics.json"):
        if info.get("status") == "finished":
            raise UserError(f"run {run_path!r} has already finished; nothing to resume")
        with run.lock():
            finish_run(run, "finished")
        return run
    cfg = make_config(file_values=run.read_json("config.json"))
    if command == "train":
        space, genotype, arch_name = _recorded_architecture(run, info)
        _check_checkpoint(run, genotype)
        session = open_session(cfg)
        run.lock()
        run.update_run(status="running", reason=None)
        run.log("resume", command="train")
        return _train_work(session, run, space, genotype, arch_name)
    strategy_cls, space = _check_pair(cfg, info.get("strategy"), info.get("space"))
    _check_checkpoint(run, None)
    session = open_session(cfg)
    run.lock()
    run.update_run(status="running", reason=None)
    run.log("resume", command="run")
    return _search_work(session, run, strategy_cls, space, bool(info.get("search_only")))


def _recorded_architecture(run: RunDir, info: dict) -> tuple[object, Genotype, str | None]:
    """What a `train` run trains: its arch.json, else the genotype run.json recorded at the start."""
    if run.has("arch.json"):
        return resolve_architecture(str(run.path))
    if "genotype" in info:
        genotype = Genotype.from_dict(info["genotype"])
        space = SPACES.get(genotype.space)()
        return space, space.validate(genotype), info.get("arch_name")
    raise UserError(f"run {str(run.path)!r} records no architecture (no arch.json, no genotype in run.json); "
                    "start it again")


def _check_checkpoint(run: RunDir, genotype: Genotype | None) -> None:
    """Refuse a damaged checkpoint before anything is written: training would otherwise start over and replace it.
    With `genotype` (a `train` run) the checkpoint must be a training checkpoint of that genotype."""
    path = run.file("checkpoint.pt")
    if not run.has("checkpoint.pt"):
        return
    state = load_checkpoint(path)
    if genotype is not None or state.get("kind") == "train":
        check_train_checkpoint(state, path)
    if genotype is not None and (state["kind"] != "train" or state["genotype"] != genotype.to_json()):
        raise UserError(f"checkpoint {str(path)!r} is not a training checkpoint of {genotype} (it holds kind "
                        f"{state['kind']!r}, genotype {state['genotype']}); it does not belong to this run")


def command_eval(run_path: str, n_fake: int | None = None) -> dict:
    """Re-evaluate a finished run's EMA generator (e.g. on more samples); writes eval-<n>.json beside metrics.json."""
    from .config import make_config

    run = RunDir.open(run_path)
    if not run.has("checkpoint.pt"):
        raise UserError(f"run {run_path!r} has no checkpoint.pt to evaluate (did its training finish?)")
    cfg = make_config(file_values=run.read_json("config.json"), overrides={"n_fake": n_fake})
    space, genotype, _ = resolve_architecture(str(run.path))
    state = load_checkpoint(run.file("checkpoint.pt"))
    with run.lock():
        session = open_session(cfg)
        try:
            generator = space.build_generator(genotype, SearchContext(cfg, session.device, session.real, session.rng,
                                                                      session.clock).widths(search=False))
            generator.load_state_dict(state["generator_ema"])
        except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise UserError(f"{str(run.file('checkpoint.pt'))!r} cannot be loaded into this run's generator: "
                            f"{first}") from None
        generator.to(session.device)
        with session.clock.phase("eval"):
            scores = evaluate(session, generator)
        scores["cost"] = session.clock.summary("eval")
        run.write_json(f"eval-{cfg.n_fake}.json", scores)
        run.log("eval", **{k: v for k, v in scores.items() if k != "cost"})
    return scores
