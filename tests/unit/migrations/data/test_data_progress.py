"""The progress display shows the throttle's decisions on the migration's
line: the pace, a pause and its reasons, a resume, a critical stop."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress, TextColumn

from zerodown.cli.progress import _Bars
from zerodown.migrations import data


def _bars() -> tuple[_Bars, Progress, io.StringIO]:
    out = io.StringIO()
    progress = Progress(
        TextColumn("{task.description}"),
        TextColumn("{task.fields[note]}"),
        console=Console(file=out, width=200, force_terminal=False),
    )
    return _Bars(progress), progress, out


def _note(progress: Progress) -> str:
    (task,) = progress.tasks
    return str(task.fields["note"])


def test_the_progress_line_tells_the_throttle_s_decisions():
    bars, progress, out = _bars()
    bars(data.Baseline(0.4, 1.5, 3.0, 200, {"active": 0.0}))
    assert "probe p99 1.5 ms, budget 3.0 ms" in out.getvalue()
    bars(data.MigrationStarted("m", "code", 100))
    bars(data.Paced("m", "slower", 0.1, 0.3, 0.25, 3.6, 2.4, 100, 0.0))
    bars(data.BatchDone("m", 10, 10, 10, 10, 10, 0.01, 1, False))
    assert "probe p99 2.4x, pause 300 ms (slower)" in _note(progress)
    bars(data.Paused("m", ("replica r lag 3.10s > 1s",)))
    assert _note(progress) == "paused: replica r lag 3.10s > 1s"
    bars(data.Resumed("m", 2.5))
    assert _note(progress) == "resumed after 2.5s"
    bars(data.CriticalLoad("m", ("active=50>40",)))
    assert _note(progress) == "stopped, critical load: active=50>40"


def test_a_moved_baseline_is_said_once_above_the_bars():
    bars, progress, out = _bars()
    bars(data.MigrationStarted("m", "code", 100))
    rebaseline = data.Paced(
        "m", "rebaseline", 0.1, 5.0, 0.02, 9.0, 3.0, 40, 0.0, 7.5
    )
    bars(rebaseline)
    bars(data.BatchDone("m", 10, 10, 10, 10, 10, 0.01, 1, False))
    assert "m: over budget with no batch running; baseline now 7.5 ms" in (
        out.getvalue()
    )
    assert "probe p99 3.0x, pause 5000 ms (rebaseline)" in _note(progress)
