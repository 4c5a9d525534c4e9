"""Proxy fidelity: does the weight-sharing search proxy rank GAN architectures the way training them alone does?

    ganas-bench study proxy --space autogan --n 24

1. N architectures of the space, drawn uniformly, are scored exactly as the random strategy ranks its candidates: the
   space's supernet trains for the weight-sharing budget's D steps with uniformly drawn architectures, then each of the
   N gets the IS proxy on the shared weights (one `run --strategy random --search-only` with random_candidates = N).
   A candidate the proxy fails (collapsed or NaN output) is counted (`proxy_failed`) and not trained.
2. Each architecture is trained alone (the profile's final-training recipe, cut to `train_iters`) with `train_seeds`
   seeds and evaluated (FID, one evaluation seed). A training that diverges (NaN/Inf loss) is a result: it ranks
   below every FID, and a resume does not try it again.
3. Rank agreement between proxy score and stand-alone FID (mean over the training seeds): Kendall's tau and Spearman's
   rho of (proxy score, -FID), so +1 means the proxy orders architectures exactly as training them does, 0 means it
   says nothing, each with a 95% bootstrap CI over architectures (scipy.stats.bootstrap, paired, percentile, 2,000
   resamples, seeded). The agreement between the two training seeds' FIDs (Spearman, also with bootstrap CIs) is a
   rough ceiling for any proxy at this training noise.

Everything is a run directory under `<out>/<study>/` (search/ and train/), so the same command continues a killed study:
finished runs are skipped, unfinished ones resumed. The result is `study.json` and `proxy_vs_fid.png` there;
`ganas-bench study tables` (tables/proxy_table.py) turns the studies of a folder into the README's table.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Config
from .errors import UserError
from .genotype import Genotype
from .runs.identity import experiment_hash
from .runs.rundir import RunDir, atomic_write_json
from .runs.status import DIVERGED_REASON, diverged, is_finished, read_metrics

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class TrainJob:
    """One stand-alone training: picklable for an executor."""

    config: dict
    genotype: dict
    run_name: str
    results_dir: str


def train_job(job: TrainJob) -> dict:
    """Train (or continue, or skip when finished) one architecture; returns its metrics, or DIVERGED when its training
    met a NaN/Inf loss (now or in an earlier attempt: a resume would meet it again)."""
    from .commands import command_resume, command_train
    from .config import make_config
    from .runs.rundir import RunFailed

    path = Path(job.results_dir) / job.run_name
    try:
        if path.exists():
            metrics = read_metrics(path)
            if metrics is not None:
                return metrics
            if diverged(path):
                return dict(DIVERGED)
            return command_resume(str(path)).metrics
        cfg = make_config(file_values=job.config)
        return command_train(cfg, Genotype.from_dict(job.genotype).to_json(), job.run_name).metrics
    except RunFailed as exc:
        if exc.reason.startswith(DIVERGED_REASON):
            return dict(DIVERGED)
        raise


#: A stand-alone training that diverged: it ranks below every finite FID (its FID counts as +inf) rather than being
#: dropped, which would hide the architectures training cannot handle.
DIVERGED = {"fid": math.inf, "diverged": True}


def check_unfinished(jobs: list[TrainJob]) -> None:
    """Every training to continue must be this study's training of that architecture, and resumable (each file its
    resume reads): a damaged or foreign directory is refused before any training starts, not after the others ran."""
    from .commands import check_resume

    for job in jobs:
        path = Path(job.results_dir) / job.run_name
        if not path.exists() or is_finished(path) or diverged(path):
            continue
        info = RunDir.open(path).read_json("run.json")
        if info.get("command") != "train" or info.get("genotype") != job.genotype:
            raise UserError(f"run directory {str(path)!r} holds another run than this study's training of "
                            f"{job.run_name}; move it away to continue the study")
        check_resume(str(path))


def eta_text(elapsed: float, trained: int, left: int) -> str:
    """"; ETA n min" from the wall time the trainings of this call took so far (parallel ones included)."""
    if not left or not trained:
        return ""
    return f"; ETA {elapsed / trained * left / 60:.0f} min ({left} left)"


def study_name(cfg: Config, space: str, n: int, train_iters: int, train_seeds: int) -> str:
    key = experiment_hash({**cfg.to_dict(), "study": [space, n, train_iters, train_seeds]})[:8]
    return f"proxy-{space}-{cfg.profile}-n{n}-s{cfg.seed}-{key}"


def run_study(cfg: Config, space: str, n: int, train_iters: int, train_seeds: int, out: str, executor,
              echo=print) -> dict:
    """Steps 1-3 of the module docstring; `cfg` is the random strategy's config (its options replaced here)."""
    from .commands import command_resume, command_run

    if n < 3:
        raise UserError(f"invalid --n {n}; accepted: an integer >= 3 (a rank correlation needs at least 3 points)")
    folder = Path(out) / study_name(cfg, space, n, train_iters, train_seeds)
    search_cfg = cfg.replace(random_candidates=n, random_scratch_steps=0, results_dir=str(folder / "search"))
    search_dir = folder / "search" / "proxy"
    if is_finished(search_dir):
        echo(f"study {folder}: proxy scores already computed")
    elif search_dir.exists():
        echo(f"study {folder}: continuing the proxy scoring")
        command_resume(str(search_dir))
    else:
        echo(f"study {folder}: scoring {n} architectures with the supernet proxy")
        command_run(search_cfg, "random", space, "proxy", search_only=True)
    scored, failed = _proxy_scores(search_dir)

    train_cfg = cfg.replace(options=None, train_iters=train_iters, eval_seeds=1, results_dir=str(folder / "train"))
    jobs = [TrainJob(train_cfg.replace(seed=cfg.seed + t).to_dict(), g.to_dict(), f"a{i:02d}-t{t}",
                     str(folder / "train"))
            for i, (g, _) in enumerate(scored) for t in range(train_seeds)]
    check_unfinished(jobs)
    finished_before = {i for i, j in enumerate(jobs) if is_finished(Path(j.results_dir) / j.run_name)}
    echo(f"study {folder}: {len(jobs)} stand-alone trainings ({len(finished_before)} finished)")
    started, landed = time.monotonic(), set()

    def report(index, metrics):
        landed.add(index)
        outcome = "diverged (ranked last)" if metrics.get("diverged") else f"FID {metrics['fid']:.2f}"
        echo(f"[{index + 1}/{len(jobs)}] {jobs[index].run_name}: {outcome}"
             f"{eta_text(time.monotonic() - started, len(landed - finished_before), len(jobs) - len(landed))}")

    results = executor.map(train_job, jobs, on_result=report)
    fids = np.array([[r["fid"] for r in results[i * train_seeds:(i + 1) * train_seeds]] for i in range(len(scored))])
    summary = analyse([s for _, s in scored], fids)
    summary.update(space=space, n=n, proxy_failed=failed, profile=cfg.profile, seed=cfg.seed, train_iters=train_iters,
                   train_seeds=train_seeds, proxy_samples=cfg.proxy_samples, n_fake=cfg.n_fake, dataset=cfg.dataset,
                   backbone=cfg.backbone, devices=sorted({_device(r) for r in results if not r.get("diverged")}),
                   budget_d_steps=sum(cfg.stage_iters) * cfg.shared_steps,
                   trainings_diverged=int(np.isinf(fids).sum()),
                   architectures=[{"genotype": g.to_dict(), "proxy": s,
                                   "fid": [float(v) if math.isfinite(v) else None for v in f],
                                   "diverged": [bool(np.isinf(v)) for v in f]}
                                  for (g, s), f in zip(scored, fids)])
    atomic_write_json(folder / "study.json", summary)
    _plot(summary, folder / "proxy_vs_fid.png")
    return summary


def _device(metrics: dict) -> str:
    """Where a training ran, as its cost record names it ("cpu x1 threads", a GPU's name)."""
    return str(metrics.get("cost", {}).get("train", {}).get("device") or "not recorded")


def _proxy_scores(search_dir: Path) -> tuple[list[tuple[Genotype, float]], int]:
    """The scored candidates (best first, a genotype drawn twice once, with its mean score) and how many failed."""
    searched = RunDir.open(search_dir).read_json("search.json")
    scored = [(Genotype.from_dict(c["genotype"]), float(c["score"])) for c in searched["ranked"]]
    return scored, int(searched["info"].get("failed_candidates", 0))


def analyse(proxy: list[float | None], fids: np.ndarray) -> dict:
    """Rank agreement of proxy scores with stand-alone FIDs (rows: architectures, columns: training seeds; +inf is a
    diverged training, ranked last; an architecture the proxy could not score is left out)."""
    mean_fid = fids.mean(axis=1)
    keep = np.array([p is not None and math.isfinite(p) for p in proxy]) & ~np.isnan(mean_fid)
    x = np.array([p for p, k in zip(proxy, keep) if k], dtype=float)
    out = {"architectures_used": int(keep.sum()), "architectures_dropped": int((~keep).sum()),
           **rank_agreement(x, -mean_fid[keep])}
    if fids.shape[1] >= 2:
        both = ~np.isnan(fids[:, 0]) & ~np.isnan(fids[:, 1])
        out["training_seed_agreement"] = rank_agreement(fids[both, 0], fids[both, 1])
    return out


def rank_agreement(x: np.ndarray, y: np.ndarray) -> dict:
    """Kendall's tau and Spearman's rho of paired samples, each with its p-value and 95% bootstrap CI (paired
    resampling of the pairs, percentile, seeded). The interval is NaN when some resample has no spread in x or y (no
    rank correlation exists there): only with ties or a handful of points, not with continuous scores at N=24."""
    from scipy import stats

    out = {}
    for name, fn in (("kendall_tau", stats.kendalltau), ("spearman_rho", stats.spearmanr)):
        result = fn(x, y)
        ci = stats.bootstrap((x, y), lambda a, b: fn(a, b).statistic, paired=True, vectorized=False,
                             n_resamples=BOOTSTRAP_RESAMPLES, method="percentile",
                             random_state=np.random.default_rng(BOOTSTRAP_SEED)).confidence_interval
        out[name] = {"value": float(result.statistic), "ci95": [float(ci.low), float(ci.high)],
                     "p_value": float(result.pvalue)}
    return out


def _plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [a for a in summary["architectures"] if a["proxy"] is not None]
    fig, ax = plt.subplots(figsize=(5, 4))
    for a in rows:  # grey: the training seeds' FIDs; blue: their mean (an architecture with a diverged seed: none)
        finite = [f for f in a["fid"] if f is not None]
        ax.plot([a["proxy"]] * len(finite), finite, color="0.7", lw=1)
        if len(finite) == len(a["fid"]):
            ax.scatter([a["proxy"]], [np.mean(finite)], color="C0", s=18)
    ax.set_yscale("log")  # tiny's outcomes are bimodal: FIDs of tens next to collapses above 1,000
    tau, rho = summary["kendall_tau"], summary["spearman_rho"]
    ax.set_xlabel(f"supernet proxy: IS of the shared G ({summary['proxy_samples']} samples)")
    n_diverged = summary.get("trainings_diverged", 0)
    ax.set_ylabel(f"stand-alone FID, log scale ({summary['train_iters']} G iterations"
                  + (f"; {n_diverged} diverged, not drawn)" if n_diverged else ")"))
    where = " · ".join([f"profile {summary['profile']}", str(summary.get("dataset", "dataset not recorded")),
                        f"n_fake {summary['n_fake']:,}", str(summary.get("backbone", "backbone not recorded")),
                        "device " + ", ".join(summary.get("devices") or ["not recorded"])])
    ax.set_title(f"proxy vs stand-alone FID, {summary['space']}: n={summary['architectures_used']}, "
                 f"tau {tau['value']:.2f} [{tau['ci95'][0]:.2f}, {tau['ci95'][1]:.2f}], "
                 f"rho {rho['value']:.2f} [{rho['ci95'][0]:.2f}, {rho['ci95'][1]:.2f}]\n{where}", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
