"""Progress of a build in a terminal, and in a log: the phases of search.phases as they happen.

On a terminal, a rich display (stderr) with one line per phase: its count, rate, time left when
its total is known, and an elapsed clock that moves. Elsewhere (a pipe, a log file), one line
per phase on stderr when it ends, with its count, rate and time. The summary's phase times
come from search.phases.PhaseTimes, which both feed.
"""
from __future__ import annotations

import sys
from typing import Any

import click

from search.phases import PhaseTimes


def _rate(count: int, seconds: float, unit: str) -> str:
    return f", {count / seconds:,.0f} {unit}/s" if count and seconds > 0 and unit else ""


def describe_phase(done: dict) -> str:
    """One phase as a line: ``reading: 21,545 articles in 20.1 s, 1,072 articles/s``."""
    count = f"{done['count']:,} {done['unit']} in " if done["count"] and done["unit"] else ""
    return (f"{done['name']}: {count}{done['seconds']:.1f} s"
            + _rate(done["count"], done["seconds"], done["unit"]))


def phase_summary(times: PhaseTimes) -> str:
    """The phases' times for the summary line: ``reading 20.1 s, analysing 9.8 s, …``."""
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in times.seconds().items())


class PhaseLines:
    """One line per phase on stderr, written when the phase ends (for logs and pipes)."""

    def __init__(self) -> None:
        self.times = PhaseTimes()

    def phase(self, name: str, total: int | None = None, unit: str = "articles") -> None:
        before = len(self.times.done)
        self.times.phase(name, total, unit)
        self._flush(before)

    def advance(self, n: int = 1, completed: int | None = None) -> None:
        self.times.advance(n, completed)

    def end(self) -> None:
        before = len(self.times.done)
        self.times.end()
        self._flush(before)

    def _flush(self, before: int) -> None:
        for done in self.times.done[before:]:
            click.echo(describe_phase(done), err=True)


class PhaseBars:
    """A rich display on stderr: a line per phase (finished ones stay, with their time), the
    current one with a spinner, its count, rate, time left when its total is known, and an
    elapsed clock refreshed four times a second by rich's own thread."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        self.progress = Progress(
            SpinnerColumn(finished_text="✓"), TextColumn("{task.description:<16}"),
            BarColumn(bar_width=24), TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
            TimeRemainingColumn(compact=True, elapsed_when_finished=False),
            console=Console(file=sys.stderr), transient=True, refresh_per_second=4)
        self.times = PhaseTimes()
        self._task: Any = None
        self._unit = ""
        self.progress.start()

    def phase(self, name: str, total: int | None = None, unit: str = "articles") -> None:
        self._finish_task()
        self.times.phase(name, total, unit)
        self._unit = unit
        self._task = self.progress.add_task(name, total=total, count="", rate="")

    def advance(self, n: int = 1, completed: int | None = None) -> None:
        self.times.advance(n, completed)
        if self._task is None:
            return
        current = self.times._current or {}
        count = current.get("count", 0)
        task = self._rich_task()
        rate = f"{task.speed:,.0f}/s" if task is not None and task.speed else ""
        total = current.get("total")
        shown = f"{count:,}/{total:,} {self._unit}" if total else f"{count:,} {self._unit}"
        self.progress.update(self._task, completed=count, count=shown, rate=rate)

    def end(self) -> None:
        self._finish_task()
        self.times.end()
        self.progress.stop()

    def _rich_task(self) -> Any:
        return next((t for t in self.progress.tasks if t.id == self._task), None)

    def _finish_task(self) -> None:
        if self._task is not None:
            task = self._rich_task()
            # a finished phase: a full bar, and its clock stops at its own time
            self.progress.update(self._task, total=task.completed or 1,
                                 completed=task.completed or 1)
            self.progress.stop_task(self._task)
            self._task = None


def phase_display(tty: bool, quiet: bool):
    """The reporter of a build's phases: bars on a terminal, lines elsewhere, or only the
    times (``quiet``: --json); each has ``times`` for the summary."""
    if quiet:
        return _Quiet()
    return PhaseBars() if tty else PhaseLines()


class _Quiet(PhaseLines):
    """Only the times."""

    def _flush(self, before: int) -> None:
        pass


__all__ = ["PhaseBars", "PhaseLines", "describe_phase", "phase_display", "phase_summary"]
