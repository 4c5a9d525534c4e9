"""`ganas-bench`: the command line. Every Config field is an option (`--field-name`), generated from the dataclass so the
CLI, config files and the API share one table of defaults; `--help` shows each field's default per profile.

Exit codes, each failure shown as one line on stderr:
- 0   done
- 1   a run that had started failed (`RunFailed`): on its storage (disk full, read-only, no permission, a folder
      where a file belongs) — its run.json records why and `--resume` continues it once the cause is fixed —, a
      training that diverged, or a refusal only the work could find; the same storage errors outside a run also exit 1.
      Any other failure inside a run is a bug: recorded in run.json, then the traceback.
- 2   bad input (`UserError`, and click's own usage errors): refused before a run starts, or a damaged run directory
      refused before anything in it is changed. Always one line of at most `MAX_ERROR_LINE` characters, the value
      quoted in it cut short (errors.preview).
- 130 interrupted (Ctrl-C); the run is marked failed and `--resume` continues it
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from .config import (PROFILES, Config, load_config_file, make_config, option_owner, options_defaults,
                     profile_defaults)
from .errors import UserError, one_line, preview
from .executors import TasksFailed, describe_job
from .options import field_kind, option_fields, path_problem
from .runs.rundir import RunFailed, is_storage_error

DEFAULT_ARCHITECTURE = "autogan_cifar10_a"
MAX_ERROR_LINE = 290
_CLICK_TYPES = {"int": int, "float": float, "str": str, "tuple": str}


class SafePath(click.Path):
    """click.Path that first refuses (a usage error, one line) a name no file system could hold: a NUL byte, more than
    PATH_MAX bytes, a part longer than NAME_MAX (click's own checks would otherwise meet them as a traceback)."""

    def convert(self, value, param, ctx):
        problem = path_problem(str(value))
        if problem is not None:
            self.fail(f"{preview(str(value))} is not a usable path; accepted: {problem}", param, ctx)
        return super().convert(value, param, ctx)


PATH = SafePath()
CORE_SECTION = "Config (every command; see README: Profiles)"


class SectionOption(click.Option):
    """An option that `--help` lists under a section: the core config, or the options of one strategy."""

    def __init__(self, *args, section: str = "Options", **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section


class SectionedCommand(click.Command):
    """Help in sections; with `--strategy NAME` before `--help`, only that strategy's options are listed."""

    def format_options(self, ctx, formatter):
        sections: dict[str, list] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                sections.setdefault(getattr(param, "section", "Options"), []).append(record)
        chosen = ctx.meta.get("ganas_strategy")
        for title, rows in sections.items():
            owners = title.removeprefix("Options of strategy ").split(", ")
            if title.startswith("Options of strategy ") and chosen and chosen not in owners:
                continue
            with formatter.section(title):
                formatter.write_dl(rows)


def _profile_note(values: dict) -> str:
    shown = {p: (",".join(map(str, v)) if isinstance(v, tuple) else v) for p, v in values.items()}
    if len(set(map(str, shown.values()))) == 1:
        return f"[default: {shown['tiny']}]"
    return "[" + "; ".join(f"{p}: {v}" for p, v in shown.items()) + "]"


def _option(f, section: str, note: str):
    flag = "--" + f.name.replace("_", "-")
    help_text = f"{f.metadata.get('help', '')} {note}"
    kind = field_kind(f)
    if kind == "bool":
        return click.option(f"{flag}/--no-{f.name.replace('_', '-')}", f.name, default=None, help=help_text,
                             cls=SectionOption, section=section)
    return click.option(flag, f.name, type=_CLICK_TYPES[kind], default=None, help=help_text, cls=SectionOption,
                        section=section)


def config_options(func):
    """Add --config, --profile and one option per core Config field."""
    for f in reversed([f for f in option_fields(Config) if f.name != "profile"]):
        note = _profile_note({p: getattr(profile_defaults(p), f.name) for p in PROFILES})
        func = _option(f, CORE_SECTION, note)(func)
    func = click.option("--profile", type=click.Choice(PROFILES), default=None, cls=SectionOption,
                        section=CORE_SECTION,
                        help="number set to start from [default: tiny without a GPU, cifar10 with one]")(func)
    func = click.option("--config", "config_file", type=PATH, default=None, cls=SectionOption,
                        section=CORE_SECTION,
                        help="JSON or YAML file of field: value (CLI flags win over it); a strategy's options flat "
                             "or under its name")(func)
    return func


def strategy_options(func):
    """Add one option per field of every registered strategy's options, listed under the strategies owning it."""
    from .registry import STRATEGIES

    owners: dict[str, list[str]] = {}
    fields_by_name = {}
    for name, cls in STRATEGIES.items():
        for f in option_fields(cls.Options):
            owners.setdefault(f.name, []).append(name)
            fields_by_name.setdefault(f.name, (f, cls.Options))
    for option_name in reversed(sorted(owners)):
        f, options_cls = fields_by_name[option_name]
        note = _profile_note({p: options_defaults(options_cls, p)[f.name] for p in PROFILES})
        func = _option(f, f"Options of strategy {', '.join(owners[option_name])}", note)(func)
    return func


RATE_OPTIONS = (
    click.option("--sustained-tflops", type=float, default=None,
                 help="TFLOP/s your device sustains on this workload (measure yours)  [default: 15, an assumption]"),
    click.option("--rate-source", default=None,
                 help="where --sustained-tflops comes from (your measurement, a datasheet you cite); printed with it"),
    click.option("--device-name", default=None, help="the device the rate is for, e.g. 'A100 40GB'  [default: a GPU]"),
    click.option("--rate-from", default=None, type=PATH,
                 help="take the rate achieved on the device: the JSON file `make bench` wrote, or a finished run's "
                      "directory (its final training's FLOPs over its wall time)"),
    click.option("--rate-variant", default=None,
                 help="with --rate-from: the benchmarked variant (harness_fp32, channels_last, channels_last_bf16)  "
                      "[default: the one that computes as the run: its --channels-last and --precision]"),
)


def _dry_run(cfg, strategy, space_name, search_only, n_runs, sustained_tflops, rate_source, device_name, rate_from,
             rate_variant) -> None:
    """`run --dry-run`: the estimate of one run (and of all --seeds runs), printed; nothing is written."""
    from .estimate import estimate_report
    from .rates import rate_from_options

    rate = rate_from_options(sustained_tflops, rate_source, device_name, rate_from, rate_variant, cfg)
    space, genotype, arch_name = _estimated_architecture(None, space_name, cfg, search=True)
    report = estimate_report(cfg, rate, space, genotype, arch_name, strategy)
    if search_only:
        report.pop("train")
        report["estimated_hours"] = report["search"]["estimated_hours"]
    else:
        report["train"]["arch"] = f"{report['train']['arch']} (a stand-in: the search picks the real one)"
    report["runs"] = n_runs
    report["estimated_hours_all_runs"] = report["estimated_hours"] * n_runs
    click.echo(json.dumps(report, indent=2))


def rate_options(command):
    """The rate an estimate turns FLOPs into hours with (`estimate`, `run --dry-run`; ganas_bench/rates.py)."""
    for option in reversed(RATE_OPTIONS):
        command = option(command)
    return command


def executor_options(what: str):
    """--executor and the Ray options (see ganas_bench/executors.py and README: Scale)."""
    def add(func):
        from .executors import DEFAULT_RETRIES

        func = click.option("--task-retries", type=int, default=DEFAULT_RETRIES, show_default=True,
                            help="Ray: times a task whose worker died is submitted again (each retry recorded)")(func)
        func = click.option("--task-gpus", type=float, default=None,
                            help="Ray: GPUs per task [default: 1 on --device cuda, or auto with cifar10/stl10; else 0]"
                            )(func)
        func = click.option("--task-cpus", type=float, default=None,
                            help="Ray: CPUs per task, also its torch threads [default: 1]")(func)
        func = click.option("--ray-address", default=None,
                            help="Ray: join this cluster (e.g. auto, or HEAD:6379) [default: start a local one]")(func)
        func = click.option("--executor", default="local", show_default=True,
                            help=f"where {what} run: local (one after another in this process) or ray (Ray tasks)")(func)
        return func

    return add


def make_executor(cfg: Config, executor, ray_address, task_cpus, task_gpus, task_retries):
    from .executors import default_task_gpus, get_executor

    if executor == "ray" and task_gpus is None:
        task_gpus = default_task_gpus(cfg)
    return get_executor(executor, address=ray_address, task_cpus=task_cpus, task_gpus=task_gpus,
                        retries=task_retries)


def _remember_strategy(ctx, _param, value):
    ctx.meta["ganas_strategy"] = value
    return value


def build_config(config_file, profile, values: dict, strategy: str | None = None) -> Config:
    file_values = load_config_file(config_file) if config_file else {}
    return make_config(profile=profile, file_values=file_values, overrides=values, strategy=strategy)


def parse_seeds(text: str | None) -> list[int] | None:
    """`--seeds` of train and run, read as `matrix` reads its own: a list and/or ranges of distinct seeds in
    0..2**32-1 (0-4, 0,2,5 or 0-2,7)."""
    from .matrix import parse_seed_list

    return None if text is None else parse_seed_list(text)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(package_name="ganas-bench")
def cli():
    """Neural architecture search for GANs, benchmarked on equal terms: search, retrain, measure, tabulate."""


@cli.command("list")
def list_command():
    """Spaces, strategies, profiles and published architectures, one line each."""
    from .registry import SPACES, STRATEGIES, architectures

    click.echo("Search spaces:")
    for name, space_cls in SPACES.items():
        space = space_cls()
        click.echo(f"  {name:<16} {space_cls.description} ({len(space.decisions())} decisions, {space.size():.3g} archs)")
    click.echo("Strategies:")
    for name, strategy_cls in STRATEGIES.items():
        click.echo(f"  {name:<16} {strategy_cls.description} (needs {strategy_cls.requires.__name__})")
    click.echo("Profiles:")
    for p in PROFILES:
        c = profile_defaults(p)
        click.echo(f"  {p:<16} {c.dataset} {c.image_size}x{c.image_size}, G width {c.gf_dim}, D width {c.df_dim}, "
                   f"{c.train_iters} G iterations, metrics on {c.backbone}")
    click.echo("Architectures:")
    for name, arch in architectures().items():
        click.echo(f"  {name:<22} [{arch.space}] {arch.description}")


RUN_NAME_HELP = ("name of the run directory [default: generated]; an unfinished run's name given again with the "
                 "same settings continues it")
SEEDS_HELP = "seeds, one run each (overrides --seed): a list and/or ranges, e.g. 0-4, 0,2,5 or 0-2,7"
RESUME_HELP = "continue an interrupted run from its directory (its own config is used; other options are ignored)"


@cli.command(cls=SectionedCommand)
@click.option("--arch", default=DEFAULT_ARCHITECTURE, show_default=True,
              help="a registered architecture name, a run directory, or a genotype JSON file")
@click.option("--run-name", default=None, help=RUN_NAME_HELP)
@click.option("--seeds", default=None, help=SEEDS_HELP)
@click.option("--resume", "resume_dir", default=None, type=PATH, help=RESUME_HELP)
@executor_options("the --seeds runs")
@config_options
def train(arch, run_name, seeds, resume_dir, executor, ray_address, task_cpus, task_gpus, task_retries, config_file,
          profile, **values):
    """Train an architecture from scratch with the profile's recipe, then evaluate IS/FID/KID."""
    from .commands import check_train, command_resume
    from .seed_runs import SeedRun, do_seed_run

    if resume_dir:
        _report(command_resume(resume_dir))
        return
    cfg = build_config(config_file, profile, values)
    runs = list(_per_seed(cfg, run_name, seeds))
    for seed_cfg, name in runs:  # every seed's run is checked before the first one starts
        check_train(seed_cfg, arch, name)
    runner = make_executor(cfg, executor, ray_address, task_cpus, task_gpus, task_retries)
    jobs = [SeedRun("train", seed_cfg, name, arch=arch) for seed_cfg, name in runs]
    runner.map(do_seed_run, jobs, on_result=lambda _, result: _report(result))


@cli.command(cls=SectionedCommand)
@click.option("--strategy", default=None, is_eager=True, callback=_remember_strategy,
              help="search strategy (see `ganas-bench list`); before --help: show only its options  [required]")
@click.option("--space", default=None, help="search space (see `ganas-bench list`)  [required]")
@click.option("--search-only", is_flag=True, help="stop after the search (no retraining)")
@click.option("--run-name", default=None, help=RUN_NAME_HELP)
@click.option("--seeds", default=None, help=SEEDS_HELP)
@click.option("--resume", "resume_dir", default=None, type=PATH, help=RESUME_HELP)
@click.option("--dry-run", is_flag=True,
              help="check everything, print the estimated FLOPs and device-hours of this run (the retraining: the "
                   "space's published architecture as a stand-in for the one the search will find), and stop")
@rate_options
@executor_options("the --seeds runs (one run: its from-scratch candidates)")
@config_options
@strategy_options
def run(strategy, space, search_only, run_name, seeds, resume_dir, dry_run, sustained_tflops, rate_source, device_name,
        rate_from, rate_variant, executor, ray_address, task_cpus, task_gpus, task_retries, config_file, profile,
        **values):
    """Search, derive the top architecture, retrain it from scratch and evaluate it."""
    from .commands import check_run, command_resume, command_run
    from .seed_runs import SeedRun, do_seed_run

    if resume_dir and dry_run:
        raise UserError("--dry-run estimates a new run; accepted: --dry-run without --resume")
    if resume_dir:
        _report(command_resume(resume_dir))
        return
    if not strategy or not space:
        raise UserError("run needs --strategy and --space (see `ganas-bench list`), or --resume RUN_DIR")
    from .registry import STRATEGIES

    STRATEGIES.get(strategy)  # an unknown name is refused before any option is read
    cfg = build_config(config_file, profile, values, strategy=strategy)
    runs = list(_per_seed(cfg, run_name, seeds))
    for seed_cfg, name in runs:  # every seed's run is checked before the first one starts
        check_run(seed_cfg, strategy, space, name, search_only)
    if dry_run:
        _dry_run(cfg, strategy, space, search_only, len(runs), sustained_tflops, rate_source, device_name, rate_from,
                 rate_variant)
        return
    runner = make_executor(cfg, executor, ray_address, task_cpus, task_gpus, task_retries)
    if seeds is None:  # one run: the executor gets its independent jobs (random search's from-scratch candidates)
        _report(command_run(cfg, strategy, space, run_name, search_only=search_only, executor=runner))
        return
    jobs = [SeedRun("run", seed_cfg, name, strategy=strategy, space=space, search_only=search_only)
            for seed_cfg, name in runs]
    runner.map(do_seed_run, jobs, on_result=lambda _, result: _report(result))


@cli.command(cls=SectionedCommand)
@click.option("--seeds", required=True, help="seeds, as a list and/or ranges: 0-4, 0,2,5 or 0-2,7")
@click.option("--strategies", default=None, help="comma list of strategies [default: every registered one]")
@click.option("--spaces", default=None, help="comma list of spaces [default: every registered one]")
@executor_options("the runs")
@config_options
@strategy_options
def matrix(seeds, strategies, spaces, executor, ray_address, task_cpus, task_gpus, task_retries, config_file, profile,
           **values):
    """Every strategy x space pair (with the capability) over the seeds, one run each; finished runs are skipped and
    unfinished ones continued, so the same command resumes a killed matrix."""
    from .matrix import SKIPPED, eta_text, parse_seed_list, plan, run_task
    from .registry import SPACES, STRATEGIES

    seed_list = parse_seed_list(seeds)
    chosen = _names(strategies, STRATEGIES, "strategies")
    chosen_spaces = _names(spaces, SPACES, "spaces")
    file_values = load_config_file(config_file) if config_file else {}
    configs = {s: make_config(profile=profile, file_values=_for_strategy(file_values, s),
                              overrides=_for_strategy(values, s), strategy=s) for s in chosen}
    unused = sorted(k for k, v in values.items() if v is not None and option_owner(k) not in (None, *chosen))
    if unused:
        raise UserError(f"{unused[0]!r} is an option of strategy {option_owner(unused[0])!r}, which is not in this matrix")
    runner = make_executor(next(iter(configs.values())), executor, ray_address, task_cpus, task_gpus, task_retries)
    tasks = plan(configs, chosen_spaces, seed_list)
    states = [t.state() for t in tasks]
    diverged = f"{states.count('diverged')} diverged earlier (skipped), " if "diverged" in states else ""
    click.echo(f"matrix: {len(tasks)} runs ({states.count('finished')} finished, {diverged}"
               f"{states.count('unfinished')} to continue, {states.count('new')} new) in {tasks[0].results_dir}, "
               f"executor {executor}")
    timed: list[float] = []
    waiting = set(range(len(tasks)))  # results land in completion order with Ray

    def report(index, outcome):
        if outcome["state"] not in SKIPPED.values():
            timed.append(outcome["seconds"])
        waiting.discard(index)
        left = sum(1 for i in waiting if states[i] not in SKIPPED)
        slots = runner.parallelism  # runs at once: the ETA counts each run's share of the wall time
        fid = f", FID {outcome['fid']:.2f}" if outcome.get("fid") is not None else ""
        click.echo(f"[{index + 1}/{len(tasks)}] {outcome['run']}: {outcome['state']} in {outcome['seconds']:.0f} s{fid}; "
                   f"{eta_text([t / slots for t in timed], left)}")

    started = time.monotonic()
    runner.map(run_task, tasks, on_result=report)
    click.echo(f"matrix done in {(time.monotonic() - started) / 60:.1f} min of wall time (runs finished before this "
               "call not counted); `ganas-bench tables` tabulates it")


def _names(text: str | None, registry, what: str) -> list[str]:
    if text is None:
        return registry.names()
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        registry.get(name)
    if not names or len(set(names)) != len(names):
        raise UserError(f"invalid --{what} {preview(text)}; accepted: a comma list of distinct names")
    return names


def _for_strategy(values: dict, strategy: str) -> dict:
    """The core settings and `strategy`'s own options of a mapping that may hold several strategies' options."""
    return {k: v for k, v in values.items()
            if option_owner(k) in (None, strategy) and not (isinstance(v, dict) and k != strategy)}


MAX_STUDY_ARCHS = 10_000  # architectures of one proxy study, each trained train_seeds times


@cli.group()
def study():
    """Studies of the benchmark itself (e.g. how well the search proxy predicts trained quality)."""


@study.command("proxy", cls=SectionedCommand)
@click.option("--space", required=True, help="search space (see `ganas-bench list`)")
@click.option("--n", "n_archs", type=int, default=24, show_default=True, help="architectures drawn and scored")
@click.option("--train-seeds", type=int, default=2, show_default=True, help="stand-alone trainings per architecture")
@click.option("--study-train-iters", type=int, default=300, show_default=True,
              help="G iterations of each stand-alone training (the profile's recipe, cut short)")
@click.option("--out", default="results/studies", show_default=True, type=SafePath(file_okay=False),
              help="folder of study directories (apart from results/runs, so the tables do not mix them in)")
@executor_options("the stand-alone trainings")
@config_options
def study_proxy(space, n_archs, train_seeds, study_train_iters, out, executor, ray_address, task_cpus, task_gpus,
                task_retries, config_file, profile, **values):
    """Rank agreement (Kendall tau, Spearman rho, bootstrap CIs) between the weight-sharing proxy and stand-alone FID."""
    from .proxy_study import run_study
    from .registry import SPACES

    from .config import MAX_COUNT

    SPACES.get(space)
    for name, value, low, high in (("--n", n_archs, 3, MAX_STUDY_ARCHS), ("--train-seeds", train_seeds, 1, 100),
                                   ("--study-train-iters", study_train_iters, 1, MAX_COUNT)):
        if not low <= value <= high:
            raise UserError(f"invalid {name} {value}; accepted: an integer from {low} to {high:,}")
    cfg = build_config(config_file, profile, values, strategy="random")
    from .commands import check_run

    check_run(cfg.replace(random_candidates=n_archs, results_dir=out), "random", space)  # widths, memory, out folder
    runner = make_executor(cfg, executor, ray_address, task_cpus, task_gpus, task_retries)
    summary = run_study(cfg, space, n_archs, study_train_iters, train_seeds, out, runner, click.echo)
    tau, rho = summary["kendall_tau"], summary["spearman_rho"]
    click.echo(f"{space}: n={summary['architectures_used']}: Kendall tau {tau['value']:.3f} "
               f"[{tau['ci95'][0]:.3f}, {tau['ci95'][1]:.3f}], Spearman rho {rho['value']:.3f} "
               f"[{rho['ci95'][0]:.3f}, {rho['ci95'][1]:.3f}] (95% bootstrap CIs)")
    from .tables.proxy_table import verdict

    click.echo(f"{space}: {verdict(summary)}")


@study.command("tables")
@click.option("--out", "studies_dir", default="results/studies", show_default=True,
              type=SafePath(file_okay=False, exists=True), help="folder of study directories")
def study_tables(studies_dir):
    """readme_<profile>.md from every <study>/study.json in the folder (the README's proxy-study table)."""
    from .tables.proxy_table import write_readme_tables

    written = write_readme_tables(studies_dir)
    if not written:
        raise UserError(f"no study.json in any folder of {studies_dir}; run `ganas-bench study proxy` first")
    for path in written:
        click.echo(f"wrote {path}")


@cli.command("eval")
@click.argument("run_dir", type=SafePath(file_okay=False))
@click.option("--n-fake", type=int, default=None, help="generated samples [default: the run's n_fake]")
def eval_command(run_dir, n_fake):
    """IS / FID / KID of a trained run's EMA generator."""
    from .commands import command_eval

    scores = command_eval(run_dir, n_fake)  # it checks --n-fake against the run's own protocol
    click.echo(json.dumps({k: v for k, v in scores.items() if k != "cost"}, indent=2, sort_keys=True))


@cli.command()
@click.option("--runs-dir", default="results/runs", show_default=True, type=SafePath(file_okay=False))
@click.option("--published", default="results/published.csv", show_default=True, type=SafePath(dir_okay=False))
@click.option("--out", default="results/tables", show_default=True, type=SafePath(file_okay=False))
def tables(runs_dir, published, out):
    """Comparison tables (Markdown, CSV, LaTeX) and plots from every run plus the published numbers."""
    from .tables import write_tables

    written = write_tables(Path(runs_dir), Path(published), Path(out))
    click.echo(json.dumps(written, indent=2, sort_keys=True, default=str))


@cli.command(cls=SectionedCommand)
@click.option("--arch", default=None,
              help="a registered architecture name, a run directory, or a genotype JSON file, for the final training "
                   f"[default: --space's published one; {DEFAULT_ARCHITECTURE} without --space]")
@click.option("--strategy", default=None, is_eager=True, callback=_remember_strategy,
              help="estimate this strategy's search too (rl, random, differentiable)  [default: training only]")
@click.option("--space", default=None, help="the search space of --strategy  [default: --arch's space]")
@rate_options
@config_options
@strategy_options
def estimate(arch, strategy, space, sustained_tflops, rate_source, device_name, rate_from, rate_variant, config_file,
             profile, **values):
    """FLOPs of a search and of a final training at the profile's numbers, and the device-hours they imply."""
    from .estimate import estimate_report
    from .rates import rate_from_options

    cfg = build_config(config_file, profile, values, strategy=strategy)
    rate = rate_from_options(sustained_tflops, rate_source, device_name, rate_from, rate_variant, cfg)
    space_obj, genotype, arch_name = _estimated_architecture(arch, space, cfg, search=strategy is not None)
    click.echo(json.dumps(estimate_report(cfg, rate, space_obj, genotype, arch_name, strategy), indent=2))


def _estimated_architecture(arch, space_name, cfg, search: bool):
    """(space, genotype, name) of the architecture an estimate retrains: --arch, else --space's published one."""
    from .architecture import resolve_architecture
    from .commands import check_widths
    from .registry import SPACES

    space = SPACES.get(space_name)() if space_name else None
    if arch is None:
        published = sorted(space.published()) if space is not None else []
        arch = published[0] if published else DEFAULT_ARCHITECTURE
    arch_space, genotype, arch_name = resolve_architecture(arch)
    if space is None:
        space = arch_space
    elif arch_space.name != space.name:
        raise UserError(f"--arch {preview(arch, 100)} is an architecture of the {arch_space.name} space, not of "
                        f"--space {space.name}; accepted: one of {space.name}'s (see `ganas-bench list`)")
    check_widths(cfg, space, search)  # the space's rules and the memory the networks need (search: both phases)
    return space, genotype, arch_name


@cli.command()
@click.option("--references", default="results/reference", show_default=True, type=SafePath(file_okay=False))
def repro(references):
    """Re-run every committed reference (smoke profile, seed 0) and fail on any drift."""
    from .repro import check_references, comparison_note, platform_key

    count, failures = check_references(Path(references))
    if count == 0:
        raise UserError(f"no reference results in {preview(references, 100)}; make them with `make reference`")
    for pair, problems in failures.items():
        for problem in problems:
            click.echo(f"DRIFT {pair}: {problem}", err=True)
    click.echo(f"platform: {platform_key()}")
    click.echo(comparison_note(Path(references)))
    click.echo(f"repro: {count - len(failures)} passed, {len(failures)} failed")
    if failures:
        sys.exit(1)


@cli.command()
@click.option("--references", default="results/reference", show_default=True, type=SafePath(file_okay=False))
def reference(references):
    """Regenerate the committed reference results (deliberately; never run by CI)."""
    from .repro import make_references

    for path in make_references(Path(references)):
        click.echo(f"wrote {path}")


def _per_seed(cfg: Config, run_name, seeds_text) -> list[tuple[Config, str | None]]:
    """(config, run name) of every run `--seeds` asks for, each validated (seed range, name) before any runs."""
    from .runs.rundir import check_run_name

    seeds = parse_seeds(seeds_text)
    if seeds is None:
        return [(cfg, run_name)]
    runs = [(cfg.replace(seed=seed), f"{run_name}-seed{seed}" if run_name else None) for seed in seeds]
    for _, name in runs:
        if name is not None:
            check_run_name(name)
    return runs


def _report(result) -> None:
    """One line of what a command computed (its RunResult; nothing is read back from disk). A result recovered from a
    metrics.json (a resume of a run that had finished) may lack the protocol fields: they are shown as '?'."""
    m = result.metrics
    if "fid" not in m:
        click.echo(f"{result.path}: search finished")
        return
    total = (m.get("cost") or {}).get("total") or {}
    seeds = m.get("eval_seeds") if isinstance(m.get("eval_seeds"), list) else []
    click.echo(f"{result.path}: IS {m['is_mean']:.3f} ± {_number(m.get('is_std'), '.3f')}, FID {m['fid']:.3f}, "
               f"KID {m['kid_mean']:.5f} (n_fake {m.get('n_fake', '?')}, n_real {m.get('n_real', '?')}, "
               f"{m.get('backbone', '?')}" + (f", mean of {len(seeds)} evaluation seeds" if len(seeds) > 1 else "")
               + f"); {_number(total.get('device_hours'), '.4f')} {total.get('unit', '')}".rstrip())


def _number(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) and not isinstance(value, bool) else "?"


def main(argv=None):
    from .distributed import under_torchrun

    if under_torchrun():
        return _main_under_torchrun(argv)
    _main(argv)


def _main_under_torchrun(argv) -> None:
    """Rank 0 runs the command; the others follow its work (ganas_bench/torchrun.py) and exit with its code."""
    from . import torchrun
    from .distributed import init_from_env, shutdown

    args = list(sys.argv[1:] if argv is None else argv)
    ranks = init_from_env()
    if not ranks.is_main:
        code = torchrun.serve()
        shutdown()
        sys.exit(code)
    error = None
    try:
        torchrun.check_command(args)
        cli.main(args=args, prog_name="ganas-bench", standalone_mode=False)
    except BaseException as exc:  # noqa: BLE001 - told to the other ranks, then handled as any error
        error = exc
    torchrun.finish(error)
    if error is None:
        shutdown()
        return
    _main(raised=error)


def _main(argv=None, raised: BaseException | None = None):
    try:
        if raised is not None:
            raise raised
        cli.main(args=argv, prog_name="ganas-bench", standalone_mode=False)
    except UserError as exc:
        _fail(str(exc), 2)
    except click.UsageError as exc:  # click's own refusals: an unknown option, a value of the wrong type
        where = exc.ctx.command_path if exc.ctx is not None else "ganas-bench"
        _fail(f"{exc.format_message()} (see `{where} --help`)", exc.exit_code)
    except RunFailed as exc:
        _fail(str(exc), 1, limit=2000)
    except OSError as exc:
        if not is_storage_error(exc):
            raise
        _fail(str(exc), 1, limit=2000)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except TasksFailed as exc:
        for index, job, reason in exc.failures:
            click.echo(f"error: job {index + 1} ({describe_job(job)}) failed: {reason}", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)


def _fail(message: str, code: int, limit: int = MAX_ERROR_LINE) -> None:
    """The one line a failure shows (whatever a message holds, it is one line: whitespace collapsed, cut to `limit`)."""
    click.echo(f"error: {one_line(message, limit - len('error: '))}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
