"""`StepMeter`: where trainers and the proxy report the wall time of useful work, instead of being kept around to be asked.

A search reports how much of its wall time went into GAN steps and metric forwards (the rest is Python and I/O).
Trainers come and go (a supernet reset, every from-scratch candidate); the meter outlives them and is checkpointed
with the search, so a resumed run reports the time of the whole search.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

GAN = "gan"      # D, G and architecture steps
PROXY = "proxy"  # proxy-metric forwards (sampling + feature extraction)


class StepMeter:
    def __init__(self):
        self.seconds = {GAN: 0.0, PROXY: 0.0}

    def add(self, kind: str, seconds: float) -> None:
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds

    @contextmanager
    def timing(self, kind: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(kind, time.perf_counter() - start)

    @property
    def useful_seconds(self) -> float:
        return sum(self.seconds.values())

    def state_dict(self) -> dict:
        return dict(self.seconds)

    def load_state_dict(self, state: dict) -> None:
        self.seconds = {k: float(v) for k, v in state.items()}
