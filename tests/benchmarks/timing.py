"""Timing shared by the benchmarks that run nbcollab and a peer side by side."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(runs: int, actions: dict[str, Callable[[], object]]) -> dict[str, float]:
    """The fastest of ``runs`` timings of each action, the actions interleaved in each round (so
    that a machine busy for a while slows every tool alike)."""
    best = dict.fromkeys(actions, float("inf"))
    for _ in range(runs):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            best[name] = min(best[name], time.perf_counter() - start)
    return best
