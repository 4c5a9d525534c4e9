"""`ganas-bench`: the command line. Every Config field is an option (`--field-name`), generated from the dataclass so the
CLI, config files and the API share one table of defaults; `--help` shows each field's default per profile.

Exit codes, each failure shown as one line on stderr:
- 0   done
- 1   a run that had started failed on its storage (disk full, read-only, no permission): its run.json records why and
      `--resume` continues it once the cause is fixed; the same storage errors outside a run also exit 1. Any other
      failure inside a run is a bug: recorded in run.json, then the traceback.
- 2   bad input (`UserError`): refused before a run starts, or a damaged run directory refused before anything in it
      is changed
- 130 interrupted (Ctrl-C); the run is marked failed and `--resume` continues it
"""
from __future__ import annotations

import json
import sys
from dataclasses import fields
from pathlib import Path

import click

from .config import FIELD_NAMES, PROFILES, Config, load_config_file, make_config, profile_defaults
from .errors import UserError
from .runs.rundir import RunFailed, is_storage_error

DEFAULT_ARCHITECTURE = "autogan_cifar10_a"
_CLICK_TYPES = {"int": int, "float": float, "str": str, "tuple": str}


def _profile_note(name: str) -> str:
    values = {p: getattr(profile_defaults(p), name) for p in PROFILES}
    shown = {p: (",".join(map(str, v)) if isinstance(v, tuple) else v) for p, v in values.items()}
    if len(set(map(str, shown.values()))) == 1:
        return f"[default: {shown['tiny']}]"
    return "[" + "; ".join(f"{p}: {v}" for p, v in shown.items()) + "]"


def config_options(func):
    """Add --config, --profile and one option per Config field."""
    for f in reversed([f for f in fields(Config) if f.name != "profile"]):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata.get('help', '')} {_profile_note(f.name)}"
        if f.type == "bool":
            func = click.option(f"{flag}/--no-{f.name.replace('_', '-')}", f.name, default=None, help=help_text)(func)
        else:
            func = click.option(flag, f.name, type=_CLICK_TYPES[f.type], default=None, help=help_text)(func)
    func = click.option("--profile", type=click.Choice(PROFILES), default=None,
                        help="number set to start from [default: tiny without a GPU, cifar10 with one]")(func)
    func = click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                        help="JSON or YAML file of field: value (CLI flags win over it)")(func)
    return func


def build_config(config_file, profile, values: dict) -> Config:
    file_values = load_config_file(config_file) if config_file else {}
    overrides = {k: v for k, v in values.items() if k in FIELD_NAMES}
    return make_config(profile=profile, file_values=file_values, overrides=overrides)


def parse_seeds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"invalid --seeds {text!r}; accepted: a comma list of integers >= 0, e.g. 0,1,2") from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise UserError(f"invalid --seeds {text!r}; accepted: a comma list of distinct integers >= 0, e.g. 0,1,2")
    return seeds


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
RESUME_HELP = "continue an interrupted run from its directory (its own config is used; other options are ignored)"


@cli.command()
@click.option("--arch", default=DEFAULT_ARCHITECTURE, show_default=True,
              help="a registered architecture name, a run directory, or a genotype JSON file")
@click.option("--run-name", default=None, help=RUN_NAME_HELP)
@click.option("--seeds", default=None, help="comma list of seeds: one run per seed (overrides --seed)")
@click.option("--resume", "resume_dir", default=None, type=click.Path(file_okay=False), help=RESUME_HELP)
@config_options
def train(arch, run_name, seeds, resume_dir, config_file, profile, **values):
    """Train an architecture from scratch with the profile's recipe, then evaluate IS/FID/KID."""
    from .pipeline import command_resume, command_train

    if resume_dir:
        _report(command_resume(resume_dir).path)
        return
    cfg = build_config(config_file, profile, values)
    for seed_cfg, name in _per_seed(cfg, run_name, seeds):
        run = command_train(seed_cfg, arch, name)
        _report(run.path)


@cli.command()
@click.option("--strategy", default=None, help="search strategy (see `ganas-bench list`)  [required]")
@click.option("--space", default=None, help="search space (see `ganas-bench list`)  [required]")
@click.option("--search-only", is_flag=True, help="stop after the search (no retraining)")
@click.option("--run-name", default=None, help=RUN_NAME_HELP)
@click.option("--seeds", default=None, help="comma list of seeds: one run per seed (overrides --seed)")
@click.option("--resume", "resume_dir", default=None, type=click.Path(file_okay=False), help=RESUME_HELP)
@config_options
def run(strategy, space, search_only, run_name, seeds, resume_dir, config_file, profile, **values):
    """Search, derive the top architecture, retrain it from scratch and evaluate it."""
    from .pipeline import command_resume, command_run

    if resume_dir:
        _report(command_resume(resume_dir).path)
        return
    if not strategy or not space:
        raise UserError("run needs --strategy and --space (see `ganas-bench list`), or --resume RUN_DIR")
    cfg = build_config(config_file, profile, values)
    for seed_cfg, name in _per_seed(cfg, run_name, seeds):
        run_dir = command_run(seed_cfg, strategy, space, name, search_only=search_only)
        _report(run_dir.path)


@cli.command("eval")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--n-fake", type=int, default=None, help="generated samples [default: the run's n_fake]")
def eval_command(run_dir, n_fake):
    """IS / FID / KID of a trained run's EMA generator."""
    from .pipeline import command_eval

    if n_fake is not None and n_fake <= 0:
        raise UserError(f"invalid --n-fake {n_fake}; accepted: an integer > 0")
    scores = command_eval(run_dir, n_fake)
    click.echo(json.dumps({k: v for k, v in scores.items() if k != "cost"}, indent=2, sort_keys=True))


@cli.command()
@click.option("--runs-dir", default="results/runs", show_default=True, type=click.Path(file_okay=False))
@click.option("--published", default="results/published.csv", show_default=True, type=click.Path(dir_okay=False))
@click.option("--out", default="results/tables", show_default=True, type=click.Path(file_okay=False))
def tables(runs_dir, published, out):
    """Comparison tables (Markdown, CSV, LaTeX) and plots from every run plus the published numbers."""
    from .tables import write_tables

    written = write_tables(Path(runs_dir), Path(published), Path(out))
    click.echo(json.dumps(written, indent=2, sort_keys=True, default=str))


@cli.command()
@click.option("--arch", default=DEFAULT_ARCHITECTURE, show_default=True,
              help="a registered architecture name, a run directory, or a genotype JSON file")
@click.option("--sustained-tflops", type=float, default=15.0, show_default=True,
              help="TFLOP/s your GPU actually sustains on this workload (an assumption: measure yours)")
@config_options
def estimate(arch, sustained_tflops, config_file, profile, **values):
    """FLOPs of one final-training iteration at the profile's widths and the GPU-hours they imply."""
    from .estimate import estimate_training
    from .pipeline import resolve_architecture

    cfg = build_config(config_file, profile, values)
    space, genotype, _ = resolve_architecture(arch)
    result = estimate_training(cfg, space, genotype, sustained_tflops)
    click.echo(json.dumps(result, indent=2))


@cli.command()
@click.option("--references", default="results/reference", show_default=True, type=click.Path(file_okay=False))
def repro(references):
    """Re-run every committed reference (smoke profile, seed 0) and fail on any drift."""
    from .repro import check_references, comparison_note, platform_key

    count, failures = check_references(Path(references))
    if count == 0:
        raise UserError(f"no reference results in {references!r}; make them with `make reference`")
    for pair, problems in failures.items():
        for problem in problems:
            click.echo(f"DRIFT {pair}: {problem}", err=True)
    click.echo(f"platform: {platform_key()}")
    click.echo(comparison_note(Path(references)))
    click.echo(f"repro: {count - len(failures)} passed, {len(failures)} failed")
    if failures:
        sys.exit(1)


@cli.command()
@click.option("--references", default="results/reference", show_default=True, type=click.Path(file_okay=False))
def reference(references):
    """Regenerate the committed reference results (deliberately; never run by CI)."""
    from .repro import make_references

    for path in make_references(Path(references)):
        click.echo(f"wrote {path}")


def _per_seed(cfg: Config, run_name, seeds_text):
    seeds = parse_seeds(seeds_text)
    if seeds is None:
        yield cfg, run_name
        return
    for seed in seeds:
        yield cfg.replace(seed=seed), (f"{run_name}-seed{seed}" if run_name else None)


def _report(path: Path) -> None:
    metrics_file = path / "metrics.json"
    if not metrics_file.is_file():
        return
    m = json.loads(metrics_file.read_text())
    if "fid" in m:
        click.echo(f"{path}: IS {m['is_mean']:.3f} ± {m['is_std']:.3f}, FID {m['fid']:.3f}, KID {m['kid_mean']:.5f} "
                   f"(n_fake {m['n_fake']}, n_real {m['n_real']}, {m['backbone']}); "
                   f"{m['cost']['total']['device_hours']:.4f} {m['cost']['total']['unit']}")
    else:
        click.echo(f"{path}: search finished")


def main(argv=None):
    try:
        cli.main(args=argv, prog_name="ganas-bench", standalone_mode=False)
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except RunFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        if not is_storage_error(exc):
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
