"""What a long job is doing now, for a progress display: named phases with counts.

A job (an index build) says where it is with ``phase(name, total)`` and ``advance()``; a
display installed with ``reporting(reporter)`` around the job hears of it. Without one these
calls cost a context-variable read. A context variable carries the reporter, so the engine needs
no parameter for it (small hooks where the work happens) and concurrent jobs never mix.

The phases of a build, in order: reading (and, on two cores, analysing in the helper),
analysing (what is left), writing segments (reading, analysing and writing again for each
segment a memory budget makes), merging (where segments are merged), swapping, counting words
(the new index's counts for "did you mean" and suggestions as you type).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator, Protocol

READING, ANALYSING, WRITING, MERGING, SWAPPING, COUNTING = (
    "reading", "analysing", "writing segments", "merging", "swapping", "counting words")


class PhaseReporter(Protocol):
    """What hears of a job's phases."""

    def phase(self, name: str, total: int | None = None, unit: str = "articles") -> None:
        """A new phase starts (the previous one ends); ``total`` when known."""

    def advance(self, n: int = 1, completed: int | None = None) -> None:
        """``n`` more units of the current phase are done (or ``completed`` in all)."""

    def end(self) -> None:
        """The last phase ends."""


_reporter: ContextVar[PhaseReporter | None] = ContextVar("search_phase_reporter", default=None)


@contextmanager
def reporting(reporter: PhaseReporter | None) -> Iterator[None]:
    """Report the phases of the work in this block to ``reporter`` (None: to no one)."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        if reporter is not None:
            reporter.end()
        _reporter.reset(token)


def phase(name: str, total: int | None = None, unit: str = "articles") -> None:
    """The job enters phase ``name`` (``total`` units of work when known)."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter.phase(name, total, unit)


def advance(n: int = 1, completed: int | None = None) -> None:
    """``n`` more units of the current phase are done (or ``completed`` in all)."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter.advance(n, completed)


@dataclass
class PhaseTimes:
    """A reporter that keeps each phase's time and count (for the summary), and passes the
    news on to ``then`` (a display) when there is one."""

    then: PhaseReporter | None = None
    done: list[dict] = field(default_factory=list)  # name, seconds, count, unit; in order
    _current: dict | None = None

    def phase(self, name: str, total: int | None = None, unit: str = "articles") -> None:
        self._close()
        self._current = {"name": name, "count": 0, "total": total, "unit": unit,
                         "start": time.perf_counter()}
        if self.then is not None:
            self.then.phase(name, total, unit)

    def advance(self, n: int = 1, completed: int | None = None) -> None:
        if self._current is not None:
            self._current["count"] = completed if completed is not None \
                else self._current["count"] + n
        if self.then is not None:
            self.then.advance(n, completed)

    def end(self) -> None:
        self._close()
        if self.then is not None:
            self.then.end()

    def _close(self) -> None:
        if self._current is not None:
            current, self._current = self._current, None
            self.done.append({"name": current["name"], "count": current["count"],
                              "unit": current["unit"],
                              "seconds": time.perf_counter() - current["start"]})

    def seconds(self) -> dict[str, float]:
        """Seconds per phase name (a phase entered twice counts both times)."""
        out: dict[str, float] = {}
        for p in self.done:
            out[p["name"]] = out.get(p["name"], 0.0) + p["seconds"]
        return out


__all__ = ["ANALYSING", "COUNTING", "MERGING", "PhaseReporter", "PhaseTimes", "READING", "SWAPPING",
           "WRITING", "advance", "phase", "reporting"]
