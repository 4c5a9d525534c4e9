"""What the CLI commands do, as functions a notebook can call too: `train` a fixed architecture, `run` search-then-
retrain, `resume` an interrupted run, `eval` a finished one. Each returns what it computed (`RunResult`), so no caller
re-reads files to learn it.

Order of every command: refuse what can be refused (names, pair, widths and the memory they need, run name, results
folder, data, metric weights: checks.py) before a run directory exists; then start the run and do the work inside `guarded`, which
records any failure in run.json. `check_train` / `check_run` are those refusals alone, so that a command over several
seeds checks every seed's run before the first one starts. A resume checks every file it will read, the whole
checkpoint included (loaded into freshly built networks or a freshly started strategy), before it changes anything
(`check_resume`, which a matrix runs for its unfinished runs before its first run).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .architecture import resolve_architecture
from .checkpoint import check_train_checkpoint, load_checkpoint
from .checks import check_data, check_pair, check_widths, with_strategy
from .config import Config, make_config
from .cost import CostClock
from .errors import UserError, first_line, preview
from .final_training import FinalTraining, check_training_resume, recipe_config
from .genotype import Genotype
from .harness import RunHarness
from .memory import check_fits
from .registry import SPACES
from .runs.lifecycle import finish_run, given_again, guarded, start_run
from .runs.rundir import RunDir, check_results_dir, shown
from .runs.status import read_metrics, valid_metrics
from .search.budget import SearchBudget
from .search.loop import SearchStateStore, check_search_resume, run_search
from .torchrun import shared_work
from .training import DivergedError

#: search.json's key for the cost clock as the search ended
SEARCH_CLOCK = "clock"


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


# --------------------------------------------------------------------------------------------------------- train
def check_train(cfg: Config, arch: str, run_name: str | None = None):
    """Everything `command_train` refuses before the data is loaded: (space, genotype, arch name, whether `run_name`
    is an unfinished run of the same training, to continue)."""
    space, genotype, arch_name = resolve_architecture(arch)
    if cfg.options is not None:
        raise UserError(f"train runs no strategy; options of strategy {cfg.strategy!r} do not apply")
    check_widths(cfg, space, search=False)
    again = given_again(cfg, run_name, "train", genotype=genotype.to_dict())
    if not again:
        check_results_dir(cfg.results_dir)
    return space, genotype, arch_name, again


def command_train(cfg: Config, arch: str, run_name: str | None = None) -> RunResult:
    space, genotype, arch_name, again = check_train(cfg, arch, run_name)
    if again:
        return command_resume(str(Path(cfg.results_dir) / run_name))
    harness = RunHarness.open(cfg)
    check_data(harness, space, search=False)
    run = start_run(cfg, "train", f"train-{arch_name or genotype.space}", run_name, strategy=None,
                    space=genotype.space, arch_name=arch_name, genotype=genotype.to_dict())
    return _train_work(harness, run, space, genotype, arch_name)


def _train_work(harness: RunHarness, run: RunDir, space, genotype: Genotype, arch_name: str | None) -> RunResult:
    def work():
        return write_metrics(run, harness, _final_training(harness, run, space, genotype, arch_name))

    with shared_work("train", harness, run, space, genotype, arch_name):  # under torchrun the other ranks join here
        return RunResult(run.path, guarded(run, work, expected=(DivergedError,)))


def _final_training(harness: RunHarness, run: RunDir, space, genotype: Genotype, arch_name: str | None) -> dict:
    harness.log_to(run.log)
    cfg, overrides = recipe_config(harness.config, space, search=False)
    if overrides:
        run.log("recipe", recipe="paper", overrides=overrides)
    return FinalTraining(harness.with_config(cfg), run, space, genotype, arch_name)()


def write_metrics(run: RunDir, harness: RunHarness, metrics: dict) -> dict:
    """Write metrics.json, the mark of a finished run: only a complete result (runs/status.valid_metrics) is written."""
    if not valid_metrics(metrics):
        raise RuntimeError(f"refusing to write an incomplete result as metrics.json: {preview(metrics, 200)}")
    clock = harness.clock
    metrics = dict(metrics)
    metrics["cost"] = {phase: clock.summary(phase) for phase in ("search", "train", "eval") if phase in clock.phases}
    metrics["cost"]["total"] = clock.total()
    run.write_json("metrics.json", metrics)
    return metrics


# --------------------------------------------------------------------------------------------------------- run
def check_run(cfg: Config, strategy_name: str, space_name: str, run_name: str | None = None,
              search_only: bool = False):
    """Everything `command_run` refuses before the data is loaded: (config carrying the strategy's options, strategy
    class, space, whether `run_name` is an unfinished run of the same search, to continue)."""
    cfg = with_strategy(cfg, strategy_name)
    strategy_cls, space = check_pair(cfg, strategy_name, space_name)
    again = given_again(cfg, run_name, "run", strategy=strategy_name, space=space_name, search_only=search_only)
    if not again:
        check_results_dir(cfg.results_dir)
    return cfg, strategy_cls, space, again


def command_run(cfg: Config, strategy_name: str, space_name: str, run_name: str | None = None,
                search_only: bool = False, executor=None) -> RunResult:
    """`executor` (ganas_bench/executors.py; default: this process) runs the search's independent jobs, e.g. random
    search's from-scratch candidates."""
    cfg, strategy_cls, space, again = check_run(cfg, strategy_name, space_name, run_name, search_only)
    if again:
        return command_resume(str(Path(cfg.results_dir) / run_name), executor)
    harness = RunHarness.open(cfg, executor)
    check_data(harness, space, search=True)
    run = start_run(cfg, "run", f"{strategy_name}-{space_name}", run_name, strategy=strategy_name, space=space_name,
                    arch_name=None, search_only=search_only)
    return _search_work(harness, run, strategy_cls, space, search_only)


def _search_work(harness: RunHarness, run: RunDir, strategy_cls, space, search_only: bool) -> RunResult:
    def work():
        harness.log_to(run.log)
        if run.has("search.json"):  # resuming after the search finished: its result is final
            best, info = searched_result(run, space)
            harness.clock.load_state_dict(searched_clock(run))  # a training checkpoint, if any, loads its own
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
        return RunResult(run.path, guarded(run, work, expected=(DivergedError,)))


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
    # the clock as the search ended: a resume before the first training checkpoint still counts the search's cost
    run.write_json("search.json", {**result.to_dict(), SEARCH_CLOCK: harness.clock.state_dict()})
    best = result.ranked[0].genotype
    run.log("derived", genotype=best.to_dict(), score=result.ranked[0].score)
    return best, result.info


# --------------------------------------------------------------------------------------------------------- resume
def command_resume(run_path: str, executor=None) -> RunResult:
    """Continue an interrupted `train` or `run` from its run directory, with the configuration it was started with
    (`check_resume`, then the work); `executor` as in `command_run`."""
    return check_resume(run_path, executor)()


def check_resume(run_path: str, executor=None) -> Callable[[], RunResult]:
    """Everything a resume of `run_path` will read, checked before the first write; returns the resume itself.

    Checked: no symbolic link or folder among the run's files, run.json, config.json, the architecture, search.json
    and arch.json, and the checkpoint loaded whole into freshly built networks (a training checkpoint) or a freshly
    started strategy (a search checkpoint) on a throwaway harness. A damaged or hostile file gives one UserError and
    leaves the directory as it was. A run whose metrics.json holds a valid result had finished and lost only its final
    status: the resume records that and redoes nothing.
    """
    run = _open_unused(run_path)
    info = run.read_json("run.json")
    command = info.get("command")
    if command not in ("train", "run"):
        raise UserError(f"{shown(run.file('run.json'))} names command {preview(command)}; accepted: train, run")
    metrics = read_metrics(run.path)
    if metrics is not None:
        if info.get("status") == "finished":
            raise UserError(f"run {shown(run.path)} has already finished; nothing to resume")

        def record_finished() -> RunResult:
            with run.lock():
                finish_run(run, "finished")
            return RunResult(run.path, metrics)
        return record_finished
    strategy = info.get("strategy") if command == "run" else None
    if strategy is not None and not isinstance(strategy, str):
        raise UserError(f"{shown(run.file('run.json'))} names strategy {preview(strategy)}; it is damaged")
    cfg = make_config(file_values=run.read_json("config.json"), strategy=strategy, lenient=True)
    if run.has("arch.json"):
        run.read_json("arch.json")  # final training reads it back
    if command == "train":
        space, genotype, arch_name = _recorded_architecture(run, info)
        check_widths(cfg, space, search=False)
        harness = RunHarness.open(cfg)
        check_data(harness, space, search=False)
        _check_training_checkpoint(run, harness, space, genotype, required=False)

        def resume_training() -> RunResult:
            _reopen(run, "train")
            return _train_work(harness, run, space, genotype, arch_name)
        return resume_training
    strategy_cls, space = check_pair(cfg, strategy, info.get("space"))
    harness = RunHarness.open(cfg, executor)
    check_data(harness, space, search=True)
    _check_run_files(run, harness, strategy_cls, space)

    def resume_run() -> RunResult:
        _reopen(run, "run")
        return _search_work(harness, run, strategy_cls, space, bool(info.get("search_only")))
    return resume_run


def _open_unused(run_path: str) -> RunDir:
    """The run directory at `run_path`, refused when another process holds it or it holds a link or a folder where a
    run file belongs."""
    run = RunDir.open(run_path)
    if run.held_elsewhere():
        raise UserError(f"run directory {shown(run.path)} is in use by another ganas-bench process; wait for it to end "
                        "(or stop it), then try again")
    return run.check_entries()


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
        arch_name = info.get("arch_name")
        return space, space.validate(genotype), arch_name if isinstance(arch_name, str) else None
    raise UserError(f"run {shown(run.path)} records no architecture (no arch.json, no genotype in run.json); "
                    "start it again")


def searched_result(run: RunDir, space) -> tuple[Genotype, dict]:
    """The best genotype (valid in `space`) and the info of a finished search's search.json; UserError if damaged
    (its cost clock included, see `searched_clock`)."""
    searched = run.read_json("search.json")
    ranked, info = searched.get("ranked"), searched.get("info")
    if not isinstance(ranked, list) or not ranked or not isinstance(ranked[0], dict) or not isinstance(info, dict):
        raise UserError(f"{shown(run.file('search.json'))} holds no ranked candidates and info; it is damaged")
    searched_clock(run)
    try:
        best = space.validate(Genotype.from_dict(ranked[0].get("genotype")))
    except UserError as exc:
        raise UserError(f"{shown(run.file('search.json'))}: {exc}") from None
    return best, info


def searched_clock(run: RunDir) -> dict:
    """The cost clock's phases as the search ended, from search.json ({} for a search.json written before it held
    them: that run's search cost is then missing, as it was); UserError if damaged."""
    state = run.read_json("search.json").get(SEARCH_CLOCK, {})
    try:
        if not isinstance(state, dict):
            raise ValueError
        CostClock(device=None).load_state_dict(state)  # its check of the state's shape
    except ValueError:
        raise UserError(f"{shown(run.file('search.json'))}: {SEARCH_CLOCK!r} is not a cost clock's state; it is "
                        "damaged") from None
    return state


def _check_run_files(run: RunDir, harness: RunHarness, strategy_cls, space) -> None:
    """A `run` resumes from search.json (the search is over) and a training checkpoint of its best genotype, or from a
    search checkpoint: whichever it will read is checked whole now."""
    if run.has("search.json"):
        best, _ = searched_result(run, space)
        _check_training_checkpoint(run, harness, space, best, required=False, search_done=True)
        return
    if not run.has("checkpoint.pt"):
        return
    where = str(run.file("checkpoint.pt"))
    saved = load_checkpoint(where)
    if saved.get("kind") != "search":
        raise UserError(f"checkpoint {shown(where)} is not a search checkpoint (kind {preview(saved.get('kind'))}) "
                        "and the run has no search.json; it does not belong to this run")
    cfg, _ = recipe_config(harness.config, space, search=True)
    searching = harness.with_config(cfg)
    searching.budget = SearchBudget.for_space(cfg, space)
    check_search_resume(strategy_cls, space, searching, cfg.options, saved, where)


def _check_training_checkpoint(run: RunDir, harness: RunHarness, space, genotype: Genotype, required: bool,
                               search_done: bool = False) -> None:
    """Refuse a damaged checkpoint before anything is written (training would otherwise start over and replace it):
    it must be a training checkpoint of `genotype` that loads into the networks this run builds. After a search
    (`search_done`) a search checkpoint may still be there; final training starts over it."""
    path = run.file("checkpoint.pt")
    if not run.has("checkpoint.pt"):
        if required:
            raise UserError(f"run {shown(run.path)} has no checkpoint.pt")
        return
    state = load_checkpoint(path)
    if search_done and state.get("kind") == "search":
        return
    check_train_checkpoint(state, path)
    if state["kind"] != "train" or state["genotype"] != genotype.to_json():
        raise UserError(f"checkpoint {shown(path)} does not belong to this run: it holds kind "
                        f"{preview(state['kind'], 20)}, genotype {preview(state['genotype'], 50)}, not a training of "
                        f"{preview(str(genotype), 40)}")
    cfg, _ = recipe_config(harness.config, space, search=False)
    check_training_resume(harness.with_config(cfg), space, genotype, state, str(path))


# --------------------------------------------------------------------------------------------------------- eval
MAX_EVAL_SAMPLES = 10**7  # generated samples of one `eval` (papers: 50,000); memory is checked as well


def command_eval(run_path: str, n_fake: int | None = None) -> dict:
    """Re-evaluate a finished run's EMA generator (e.g. on more samples); writes eval-<n>.json beside metrics.json."""
    from .evaluation import evaluate

    run = _open_unused(run_path)
    if not run.has("checkpoint.pt"):
        raise UserError(f"run {shown(run.path)} has no checkpoint.pt to evaluate (did its training finish?)")
    info = run.read_json("run.json")
    strategy = info.get("strategy") if info.get("command") == "run" else None
    cfg = make_config(file_values=run.read_json("config.json"), strategy=strategy, lenient=True)
    if n_fake is not None:
        if not max(10, cfg.kid_subset_size) <= n_fake <= MAX_EVAL_SAMPLES:
            raise UserError(f"invalid --n-fake {n_fake}; accepted: an integer from {max(10, cfg.kid_subset_size):,} "
                            f"(this run's kid_subset_size) to {MAX_EVAL_SAMPLES:,}")
        cfg = cfg.replace(n_fake=n_fake)
    space, genotype, _ = resolve_architecture(str(run.path))
    train_cfg, _ = recipe_config(cfg, space, search=False)
    check_fits(train_cfg, search=False)
    state = load_checkpoint(run.file("checkpoint.pt"))
    harness = RunHarness.open(cfg)
    check_data(harness, space, search=False)
    try:
        generator = space.build_generator(genotype, harness.with_config(train_cfg).widths(search=False))
        generator.load_state_dict(state["generator_ema"])
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{shown(run.file('checkpoint.pt'))} cannot be loaded into this run's generator: "
                        f"{first_line(exc, 120)}") from None
    generator.to(harness.device)
    with run.lock():
        with harness.clock.phase("eval"):
            scores = evaluate(harness.with_config(train_cfg), generator)
        scores["cost"] = harness.clock.summary("eval")
        run.write_json(f"eval-{cfg.n_fake}.json", scores)
        run.log("eval", **{k: v for k, v in scores.items() if k not in ("cost", "per_eval_seed")})
    return scores
