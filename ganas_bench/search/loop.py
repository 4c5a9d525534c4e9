"""The search loop: the harness drives a strategy (ganas_bench/contracts/strategy.py) and owns everything around it.

    result = run_search(strategy, harness, store)

It calls `start()`, continues from the run's last search checkpoint when there is one (strategy state, every RNG
stream, the cost clock, the step meter and the evaluator's counters), then `step()` until `done`, checkpointing after
every `checkpoint_every`-th step, whenever the strategy's `phase` changes and after every step it calls long, and returns `result()` with the harness's
own accounting added to its info. A strategy therefore writes no checkpoint, RNG or clock code, and a run killed at any
point resumes to the result the uninterrupted run reaches, bit for bit on CPU.
"""
from __future__ import annotations

from ..checkpoint import check_optimizer_states, load_checkpoint
from ..contracts.strategy import SearchResult, Strategy
from ..errors import UserError, first_line, preview

#: what a search checkpoint holds besides the strategy's own state
HARNESS_KEYS = ("steps", "meter", "evaluator")


class SearchStateStore:
    """Where a run keeps its search checkpoint: `checkpoint.pt` of the run directory, tagged kind="search"."""

    def __init__(self, run):
        self.run = run
        self.where = str(run.file("checkpoint.pt"))  # how errors name the checkpoint

    def save(self, payload: dict) -> None:
        self.run.save_torch("checkpoint.pt", {"kind": "search", **payload})

    def load(self) -> dict | None:
        if not self.run.has("checkpoint.pt"):
            return None
        saved = load_checkpoint(self.run.file("checkpoint.pt"))
        return saved if saved.get("kind") == "search" else None


def check_search_checkpoint(saved: dict, where: str) -> None:
    """Refuse a search checkpoint without the harness's parts, before anything is loaded from it."""
    def bad(what: str):
        raise UserError(f"checkpoint {preview(where, 120)} has no valid {what}; it is damaged or not a ganas-bench "
                        "search checkpoint")

    if not isinstance(saved.get("strategy"), dict):
        bad("'strategy' entry (dict expected)")
    harness = saved.get("harness")
    if not isinstance(harness, dict) or any(k not in harness for k in HARNESS_KEYS):
        bad(f"'harness' entry (dict with {', '.join(HARNESS_KEYS)})")
    if not isinstance(saved.get("rng"), dict) or not isinstance(saved.get("clock"), dict):
        bad("'rng' / 'clock' entries")


def restore(strategy: Strategy, harness, saved: dict, where: str) -> int:
    """Load a search checkpoint into a started strategy and its harness; returns the steps done. A checkpoint that does
    not fit (another setup, damaged tensors) is one UserError."""
    check_search_checkpoint(saved, where)
    try:
        strategy.load_state_dict(saved["strategy"])
        state = saved["harness"]
        harness.meter.load_state_dict(state["meter"])
        harness.evaluator.load_state_dict(state["evaluator"])
        harness.clock.load_state_dict(saved["clock"])
        harness.restore_rng_state(saved["rng"])
        check_optimizer_states(_optimizers(strategy))
        steps = state["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps {preview(steps)}")
        return steps
    except UserError as exc:
        raise UserError(f"checkpoint {preview(where, 120)} does not fit this search: {exc}") from None
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError, OverflowError) as exc:
        raise UserError(f"checkpoint {preview(where, 120)} does not fit this search ({type(exc).__name__}: "
                        f"{first_line(exc, 120)}); it is damaged or written for another setup") from None


def check_search_resume(strategy_cls, space, harness, options, saved: dict, where: str) -> None:
    """Load a search checkpoint into a freshly started strategy on a throwaway harness (its own clock, meter, RNG and
    evaluator; the global random streams are put back afterwards), exactly as `run_search` will: one UserError if any
    of it does not fit, before the run directory is touched. `harness` is the run's search harness (its budget set)."""
    from ..seeding import untouched_rng

    probe = harness.probe()
    probe.budget = harness.budget
    with untouched_rng(harness.device):
        strategy = strategy_cls(space, probe, options)
        strategy.start()
        restore(strategy, probe, saved, where)


def _optimizers(root, depth: int = 4):
    """Every torch optimiser reachable from `root`'s attributes (a strategy holds them in itself, its trainers and
    its supernet's trainer), to check their loaded states."""
    import torch

    seen, found, todo = set(), [], [(root, 0)]
    while todo:
        obj, level = todo.pop()
        if id(obj) in seen or level > depth or isinstance(obj, (torch.Tensor, torch.nn.Module, str, bytes)):
            continue
        seen.add(id(obj))
        if isinstance(obj, torch.optim.Optimizer):
            found.append(obj)
        elif isinstance(obj, dict):
            todo += [(v, level + 1) for v in obj.values()]
        elif isinstance(obj, (list, tuple)):
            todo += [(v, level + 1) for v in obj]
        elif hasattr(obj, "__dict__") and type(obj).__module__.split(".")[0] not in ("torch", "numpy", "builtins"):
            todo += [(v, level + 1) for v in vars(obj).values()]
    return found


def snapshot(strategy: Strategy, harness, steps: int) -> dict:
    return {"strategy": strategy.state_dict(), "harness": {"steps": steps, "meter": harness.meter.state_dict(),
                                                           "evaluator": harness.evaluator.state_dict()},
            "rng": harness.rng_state(), "clock": harness.clock.state_dict()}


def run_search(strategy: Strategy, harness, store: SearchStateStore | None = None) -> SearchResult:
    every = harness.config.checkpoint_every
    strategy.start()
    steps = 0
    saved = store.load() if store is not None else None
    if saved is not None:
        steps = restore(strategy, harness, saved, store.where)
        harness.log("search_resume", steps=steps, phase=strategy.phase)
    done, total = strategy.progress()
    with harness.progress(total, f"{strategy.name} search") as bar:
        bar.update(done)
        while not strategy.done:
            phase = strategy.phase
            strategy.step()
            steps += 1
            now, _ = strategy.progress()
            bar.update(now - done)
            done = now
            due = steps % every == 0 or strategy.phase != phase or strategy.last_step_was_long
            if store is not None and not strategy.done and due:
                state = snapshot(strategy, harness, steps)
                harness.ranks.check_consistent({"strategy": state["strategy"], "rng": state["rng"]}, "search state")
                store.save(state)
                harness.log("search_checkpoint", steps=steps, phase=strategy.phase)
    result = strategy.result()
    result.info.update(failed_candidates=harness.evaluator.failed, search_steps=steps)
    if harness.budget is not None:
        result.info.setdefault("budget", harness.budget.to_dict())
    return result
