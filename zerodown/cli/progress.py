"""What ``zerodown db migrate`` shows while the data migrations run.

On a terminal, one rich progress bar per migration (on stderr) and a
summary table; with ``--format json``, one JSON object a line on stdout
for every event (``"event": "batch"`` for each batch) and a last
``"event": "summary"`` line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from zerodown.cli.render import console, table
from zerodown.migrations import data
from zerodown.migrations.data.report import event_json

__all__ = ["json_lines", "progress_bars", "summary"]

_THROTTLE = (data.Paced, data.Paused, data.Resumed, data.CriticalLoad)


def json_lines(event: data.Event) -> None:
    """Write ``event`` as one JSON line on stdout."""
    click.echo(json.dumps(event_json(event)))


@contextmanager
def progress_bars() -> Iterator[Callable[[data.Event], None] | None]:
    """Progress bars on stderr when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with progress:
        yield _Bars(progress)


class _Bars:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.pace = ""

    def __call__(self, event: data.Event) -> None:
        if isinstance(event, (data.Baseline, *_THROTTLE)):
            self._throttle(event)
            return
        if isinstance(event, data.BusyRetry) and event.name not in self.tasks:
            return  # busy before any migration started (state table)
        if isinstance(event, data.MigrationStarted):
            self.tasks[event.name] = self.progress.add_task(
                event.name, total=event.estimate, note=""
            )
        elif isinstance(event, data.BatchDone):
            rate = event.done / event.seconds if event.seconds else 0.0
            self.progress.update(
                self.tasks[event.name],
                completed=event.total_done,
                note=f"{rate:,.0f} rows/s, batch {event.batch_size}"
                + self.pace,
            )
        elif isinstance(event, data.BusyRetry):
            self.progress.update(
                self.tasks[event.name],
                note=f"busy, retry {event.attempt} in {event.delay:.1f}s",
            )
        elif isinstance(event, data.MigrationFinished):
            self._finished(event.outcome)

    def _throttle(self, event: data.Event) -> None:
        """The throttle's decisions, on the migration's line."""
        if isinstance(event, data.Baseline):
            if event.probe_p99_ms is not None:
                self.progress.console.print(
                    f"baseline: probe p99 {event.probe_p99_ms:.1f} ms, "
                    f"budget {event.budget_ms:.1f} ms",
                    highlight=False,
                )
            return
        task = self.tasks.get(getattr(event, "name", ""))
        if isinstance(event, data.Paced):
            self.pace = (
                f"; probe p99 {event.ratio:.1f}x, pause "
                f"{event.pause * 1000:.0f} ms ({event.action})"
            )
            if event.action == "rebaseline":
                self.progress.console.print(
                    f"{event.name}: over budget with no batch running; "
                    f"baseline now {event.baseline_p99_ms:.1f} ms",
                    highlight=False,
                )
            return
        if task is None:
            return
        if isinstance(event, data.Paused):
            note = "paused: " + "; ".join(event.reasons)
        elif isinstance(event, data.Resumed):
            note = f"resumed after {event.seconds:.1f}s"
        else:
            assert isinstance(event, data.CriticalLoad)
            note = "stopped, critical load: " + "; ".join(event.reasons)
        self.progress.update(task, note=note)

    def _finished(self, outcome: data.Outcome) -> None:
        task = self.tasks[outcome.name]
        if outcome.status is data.Status.COMPLETE:
            self.progress.update(
                task, total=outcome.done, completed=outcome.done
            )
        self.progress.update(task, note=str(outcome.status))


def summary(result: data.RunResult) -> None:
    """The table of every migration's outcome, on stdout."""
    rows = [
        (
            o.name,
            o.kind,
            str(o.status),
            str(o.found),
            str(o.done),
            str(o.batches),
            o.error or "",
        )
        for o in result.outcomes
    ]
    out = console()
    if not rows:
        out.print("no data migrations")
        return
    out.print(
        table(
            "migration",
            "kind",
            "status",
            "found",
            "done",
            "batches",
            "error",
            rows=rows,
        )
    )
    out.print(
        f"{result.done} row(s) migrated in {result.seconds:.1f}s; "
        f"stopped: {result.stopped}",
        highlight=False,
    )
