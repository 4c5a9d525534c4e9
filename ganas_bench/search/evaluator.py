"""`CandidateEvaluator`: the search proxy (IS of a generator) and what happens when a candidate fails.

Strategies ask it for scores and never handle a candidate's failure themselves: `score(choices, generator)` returns
the proxy IS, or None after logging `candidate_failed` with the reason and counting it (see candidates.py for what
counts as a failure); `attempt(choices, phase)` wraps any other per-candidate work the same way. The counters are part of
every search checkpoint, so a resumed run reports the failures of the whole search.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

from ..training.meter import PROXY
from .candidates import Attempt, CandidateFailed, check_output, failure_reason, release_memory

PROXY_Z_SEED = 0  # the z of every proxy evaluation under proxy_z="fixed" (torch-fidelity's sampling seed)


class CandidateEvaluator:
    def __init__(self, harness):
        self.harness = harness
        self.failed = 0        # failed candidates
        self.evaluations = 0   # candidates scored with `score` (failed ones included)

    def proxy_score(self, generator, n: int | None = None, check: bool = True) -> float:
        """Inception score (mean over 10 splits) of `generator` on n samples with the profile's backbone.

        z: the same seeded z every time (`proxy_z="fixed"`, the default: rewards differ only by architecture and
        weights) or a fresh z per call seeded from the run's NumPy RNG (`"fresh"`, as AutoGAN's code draws a new z).
        Raises `CandidateFailed` first when the generator's output is NaN/Inf or collapsed (`check_output`), so a broken
        candidate never gets a number that looks like a score; use `score` to have failures handled."""
        from ..metrics import inception_score

        cfg, harness = self.harness.config, self.harness
        was_training = generator.training
        generator.eval()
        try:
            with harness.meter.timing(PROXY):
                if check:
                    check_output(generator, cfg.latent_dim, harness.device)
                z_seed = PROXY_Z_SEED if cfg.proxy_z == "fixed" else int(harness.rng.integers(2**31 - 1))
                mean, _ = inception_score(
                    generator, cfg.latent_dim, n=n or cfg.proxy_samples, backbone=cfg.backbone,
                    device=harness.device, inception_weights=cfg.inception_weights or None, seed=z_seed,
                )
        finally:
            generator.train(was_training)
        return float(mean)

    def score(self, choices: Sequence[int], generator, phase: str = "score", score_collapsed: bool = False
              ) -> float | None:
        """The proxy score of `generator` (built or set to `choices`), or None when the candidate failed.

        `score_collapsed`: a collapsed generator still gets its (low) proxy score, as in AutoGAN's code, with a
        `candidate_collapsed_scored` event; NaN/Inf output and out-of-memory stay failures."""
        self.evaluations += 1
        with self.attempt(choices, phase):
            try:
                return self.proxy_score(generator)
            except CandidateFailed as exc:
                if not (score_collapsed and exc.collapsed):
                    raise
            self.harness.log("candidate_collapsed_scored", choices=[int(c) for c in choices], phase=phase)
            return self.proxy_score(generator, check=False)
        return None

    @contextmanager
    def attempt(self, choices: Sequence[int], phase: str) -> Iterator[Attempt]:
        """Wrap one candidate's work (`phase`: what was being done, e.g. "score"): when it diverges, gives NaN/Inf or
        collapsed output, or runs out of memory, the failure is logged with its reason and counted, the device's cache
        freed, and the caller sees `attempt.failed` instead of an exception."""
        attempt = Attempt()
        try:
            yield attempt
        except Exception as exc:
            reason = failure_reason(exc)
            if reason is None:
                raise
            attempt.failed, attempt.reason = True, reason
        if attempt.failed:  # outside the except block: the traceback, and the tensors it holds, are gone
            self.record_failure(choices, phase, attempt.reason)

    def record_failure(self, choices: Sequence[int], phase: str, reason: str) -> None:
        """Count and log one failed candidate and free the device's cache (call it outside any `except` block)."""
        release_memory(self.harness.device)
        self.failed += 1
        self.harness.log("candidate_failed", choices=[int(c) for c in choices], phase=phase, reason=reason)

    def state_dict(self) -> dict:
        return {"failed": self.failed, "evaluations": self.evaluations}

    def load_state_dict(self, state: dict) -> None:
        self.failed, self.evaluations = int(state["failed"]), int(state["evaluations"])
