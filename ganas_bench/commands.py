"""What the CLI commands do, as functions a notebook can call too: `train` a fixed architecture, `run` search-then-
retrain, `resume` an interrupted run, `eval` a finished one. Each returns what it computed (`RunResult`), so no caller
re-reads files to learn it.

Order of every command: refuse what can be refused (names, pair, widths, run name, results folder, data) before a run
directory exists; then start the run and do the work inside `guarded`, which records any failure in run.json.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .architecture import resolve_architecture
from .checkpoint import check_train_checkpoint, load_checkpoint
from .config import Config, make_config, options_defaults
from .contracts.strategy import check_compatible
from .errors import UserError
from .final_training import FinalTraining, recipe_config
from .genotype import Genotype
from .harness import RunHarness
from .options import build
from .registry import SPACES, STRATEGIES
from .runs.lifecycle import finish_run, given_again, guarded, start_run
from .runs.rundir import RunDir, check_results_dir
from .runs.status import read_metrics
from .search.budget import SearchBudget
from .search.loop import SearchStateStore, run_search
from .torchrun import shared_work


@dataclass
class RunResult:
    """A finished command: its run directory and the metrics.json it wrote."""

    path: Path
    metrics: dict = field(default_factory=dict)

    @property
    def run(self) -> RunDir:
        return RunDir.open(self.path)

    def read_json(self, name: str) -> dict:
        return self.run.read_json(name)

    def file(self, name: str) -> Path:
        return self.path / name

    def has(self, name: str) -> bool:
        return self.run.has(name)


# --------------------------------------------------------------------------------------------------------- checks
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
    """The space's own rules on the widths it will be built at (recipe applied), before anything starts."""
    from .contracts.space import Widths

    phases = (True, False) if search else (False,)
    for in_search in phases:
        c, _ = recipe_config(cfg, space, in_search)
        space.check_widths(Widths(c.latent_dim, c.bottom_width, c.search_gf_dim if in_search else c.gf_dim,
                                  c.search_df_dim if in_search else c.df_dim, c.channels, c.image_size))


# --------------------------------------------------------------------------------------------------------- train
def command_train(cfg: Config, arch: str, run_name: str | None = None) -> RunResult:
    space, genotype, arch_name = resolve_architecture(arch)
    if cfg.options is not None:
        raise UserError(f"train runs no strategy; options of strategy {cfg.strategy!r} do not apply")
    check_widths(cfg, space, search=False)
    if given_again(cfg, run_name, "train", genotype=genotype.to_dict()):
        return command_resume(str(Path(cfg.results_dir) / run_name))
    check_results_dir(cfg.results_dir)
    harness = RunHarness.open(cfg)
    run = start_run(cfg, "train", f"train-{arch_name or genotype.space}", run_name, strategy=None,
                    space=genotype.space, arch_name=arch_name, genotype=genotype.to_dict())
    return _train_work(harness, run, space, genotype, arch_name)


def _train_work(harness: RunHarness, run: RunDir, space, genotype: Genotype, arch_name: str | None) -> RunResult:
    def work():
        return write_metrics(run, harness, _final_training(harness, run, space, genotype, arch_name))

    with shared_work("train", harness, run, space, genotype, arch_name):  # under torchrun the other ranks join here
        return RunResult(run.path, guarded(run, work))


def _final_training(harness: RunHarness, run: RunDir, space, genotype: Genotype, arch_name: str | None) -> dict:
    harness.log_to(run.log)
    cfg, overrides = recipe_config(harness.config, space, search=False)
    if overrides:
        run.log("recipe", recipe="paper", overrides=overrides)
    return FinalTraining(harness.with_config(cfg), run, space, genotype, arch_name)()


def write_metrics(run: RunDir, harness: RunHarness, metrics: dict) -> dict:
    clock = harness.clock
    metrics = dict(metrics)
    metrics["cost"] = {phase: clock.summary(phase) for phase in ("search", "train", "eval") if phase in clock.phases}
    metrics["cost"]["total"] = clock.total()
    run.write_json("metrics.json", metrics)
    return metrics


# --------------------------------------------------------------------------------------------------------- run
def command_run(cfg: Config, strategy_name: str, space_name: str, run_name: str | None = None,
                search_only: bool = False, executor=None) -> RunResult:
    """`executor` (ganas_bench/executors.py; default: this process) runs the search's independent jobs, e.g. random
    search's from-scratch candidates."""
    cfg = with_strategy(cfg, strategy_name)
    strategy_cls, space = check_pair(cfg, strategy_name, space_name)
    if given_again(cfg, run_name, "run", strategy=strategy_name, space=space_name, search_only=search_only):
        return command_resume(str(Path(cfg.results_dir) / run_name), executor)
    check_results_dir(cfg.results_dir)
    harness = RunHarness.open(cfg, executor)
    run = start_run(cfg, "run", f"{strategy_name}-{space_name}", run_name, strategy=strategy_name, space=space_name,
                    arch_name=None, search_only=search_only)
    return _search_work(harness, run, strategy_cls, space, search_only)


def _search_work(harness: RunHarness, run: RunDir, strategy_cls, space, search_only: bool) -> RunResult:
    def work():
        harness.log_to(run.log)
        if run.has("search.json"):  # resuming after the search finished: its result is final
            searched = run.read_json("search.json")
            best = Genotype.from_dict(searched["ranked"][0]["genotype"])
            info = searched["info"]
            run.log("resume", phase="train")
        else:
            best, info = _search(harness, run, strategy_cls, space)
        space.validate(best)
        if search_only:
            run.write_json("arch.json", {"genotype": best.to_dict(), "hash": best.stable_hash(),
                                         "description": space.describe(best), "arch_name": None})
            return write_metrics(run, harness, {"search_only": True, "search": info})
        metrics = _final_training(harness, run, space, best, None)  # untrained too: guards the retraining
        metrics["search"] = info
        return write_metrics(run, harness, metrics)

    with shared_work("run", harness, run, strategy_cls, space, search_only):  # under torchrun the other ranks join
        return RunResult(run.path, guarded(run, work))


def _search(harness: RunHarness, run: RunDir, strategy_cls, space) -> tuple[Genotype, dict]:
    harness.reseed(harness.config.seed)
    cfg, overrides = recipe_config(harness.config, space, search=True)
    if overrides:
        run.log("recipe", recipe="paper", phase="search", overrides=overrides)
    searching = harness.with_config(cfg)
    searching.budget = SearchBudget.for_space(cfg, space)
    strategy = strategy_cls(space, searching, cfg.options)
    with harness.clock.phase("search"):
        result = run_search(strategy, searching, SearchStateStore(run))
    if not result.ranked:
        raise RuntimeError("the search returned no candidate")
    search_wall = harness.clock.phases["search"]["wall_s"]  # includes time before a resume
    useful = searching.meter.useful_seconds
    result.info.update(search_wall_s=round(search_wall, 3), useful_s=round(useful, 3),
                       useful_fraction=round(useful / search_wall, 4) if search_wall > 0 else None)
    harness.clock.note("search", steps=int(result.info.get("d_steps", 0)))
    run.write_json("search.json", result.to_dict())
    best = result.ranked[0].genotype
    run.log("derived", genotype=best.to_dict(), score=result.ranked[0].score)
    return best, result.info


# --------------------------------------------------------------------------------------------------------- resume
def command_resume(run_path: str, executor=None) -> RunResult:
    """Continue an interrupted `train` or `run` from its run directory, with the configuration it was started with.

    run.json, config.json, the architecture and the checkpoint are all checked before the first write, so a damaged or
    hostile file gives one UserError and leaves the directory as it was. A run whose metrics.json holds a valid result
    had finished and lost only its final status: that is recorded and nothing is redone.
    """
    run = RunDir.open(run_path)
    info = run.read_json("run.json")
    command = info.get("command")
    if command not in ("train", "run"):
        raise UserError(f"{str(run.file('run.json'))!r} names command {command!r}; accepted: train, run")
    metrics = read_metrics(run.path)
    if metrics is not None:
        if info.get("status") == "finished":
            raise UserError(f"run {run_path!r} has already finished; nothing to resume")
        with run.lock():
            finish_run(run, "finished")
        return RunResult(run.path, metrics)
    strategy = info.get("strategy") if command == "run" else None
    cfg = make_config(file_values=run.read_json("config.json"), strategy=strategy, lenient=True)
    if command == "train":
        space, genotype, arch_name = _recorded_architecture(run, info)
        check_widths(cfg, space, search=False)
        _check_checkpoint(run, genotype)
        harness = RunHarness.open(cfg)
        _reopen(run, "train")
        return _train_work(harness, run, space, genotype, arch_name)
    strategy_cls, space = check_pair(cfg, strategy, info.get("space"))
    _check_checkpoint(run, None)
    harness = RunHarness.open(cfg, executor)
    _reopen(run, "run")
    return _search_work(harness, run, strategy_cls, space, bool(info.get("search_only")))


def _reopen(run: RunDir, command: str) -> None:
    run.lock()
    run.update_run(status="running", reason=None)
    run.log("resume", command=command)


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


# --------------------------------------------------------------------------------------------------------- eval
def command_eval(run_path: str, n_fake: int | None = None) -> dict:
    """Re-evaluate a finished run's EMA generator (e.g. on more samples); writes eval-<n>.json beside metrics.json."""
    from .evaluation import evaluate

    run = RunDir.open(run_path)
    if not run.has("checkpoint.pt"):
        raise UserError(f"run {run_path!r} has no checkpoint.pt to evaluate (did its training finish?)")
    info = run.read_json("run.json")
    cfg = make_config(file_values=run.read_json("config.json"), overrides={"n_fake": n_fake},
                      strategy=info.get("strategy") if info.get("command") == "run" else None, lenient=True)
    space, genotype, _ = resolve_architecture(str(run.path))
    state = load_checkpoint(run.file("checkpoint.pt"))
    with run.lock():
        harness = RunHarness.open(cfg)
        train_cfg, _ = recipe_config(cfg, space, search=False)
        try:
            generator = space.build_generator(genotype, harness.with_config(train_cfg).widths(search=False))
            generator.load_state_dict(state["generator_ema"])
        except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise UserError(f"{str(run.file('checkpoint.pt'))!r} cannot be loaded into this run's generator: "
                            f"{first}") from None
        generator.to(harness.device)
        with harness.clock.phase("eval"):
            scores = evaluate(harness.with_config(train_cfg), generator)
        scores["cost"] = harness.clock.summary("eval")
        run.write_json(f"eval-{cfg.n_fake}.json", scores)
        run.log("eval", **{k: v for k, v in scores.items() if k not in ("cost", "per_eval_seed")})
    return scores
