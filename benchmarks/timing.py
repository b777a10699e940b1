"""Timing helpers shared by run.py and sweep.py.

Both sides of a comparison run in the same process, in alternating rounds
(peer, convcli, peer, convcli, ...), so that a noisy machine slows both
alike; the figure reported for each is the median of its rounds.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def time_once(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def compare(functions: dict, rounds: int = 7, warmup: int = 1, calls_per_round: int = 1, pause: float = 0.0) -> dict:
    """Median seconds per call of each function, timed in alternating rounds.

    Each round gives every function in turn `calls_per_round` calls in a row
    (keeping their median), after `pause` seconds of sleep and `warmup`
    untimed calls. The pause lets a library's spinning worker threads
    (OpenBLAS, OpenMP) go idle, so that one side's threads do not slow the
    other side down.
    """
    samples = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            if pause:
                time.sleep(pause)
            for _ in range(warmup):
                function()
            times = [time_once(function) for _ in range(calls_per_round)]
            samples[name].append(statistics.median(times))
    return {name: statistics.median(values) for name, values in samples.items()}


def rounds_for(seconds_per_call: float, budget: float = 2.0, low: int = 3, high: int = 15) -> int:
    """How many rounds fit a time budget."""
    if seconds_per_call <= 0:
        return high
    return max(low, min(high, int(budget / seconds_per_call)))


def format_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain fixed-width text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
