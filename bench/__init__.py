"""Benchmarks: `python -m bench` (or `make bench`) runs every `bench/bench_*.py` module.

Each module has `run() -> list[Result | Section]`: a Result is a baseline and a candidate
measured in the same run on the same data, a few times each, and their medians compared; a
Section is a benchmark's own part of the report, for figures that do not fit one row. The
run uses a temporary SQLite database and writes docs/benchmarks.md. The test suite never
runs these.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    baseline: str
    candidate: str
    baseline_seconds: float
    candidate_seconds: float
    runs: int
    how: str

    @property
    def ratio(self) -> float:
        """How many times faster the candidate is than the baseline."""
        return self.baseline_seconds / self.candidate_seconds


@dataclass(frozen=True)
class Section:
    """A benchmark's own heading in docs/benchmarks.md, with the Markdown lines under it."""

    title: str
    lines: tuple[str, ...]


def median_seconds(
    work: Callable[[], object], *, runs: int, prepare: Callable[[], object] | None = None
) -> float:
    """The median wall time of `work` over `runs` runs; `prepare` runs before each, untimed."""
    times = []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
