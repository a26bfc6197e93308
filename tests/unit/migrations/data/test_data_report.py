"""The run's result: Nova's exit codes, and events as JSON."""

from __future__ import annotations

import json

import pytest

from zerodown.migrations.data import (
    Baseline,
    BatchDone,
    CriticalLoad,
    MigrationFinished,
    Outcome,
    Paced,
    Paused,
    Resumed,
    RunResult,
    Status,
    Stop,
)
from zerodown.migrations.data.report import event_json

C, P, S, F = Status.COMPLETE, Status.PENDING, Status.STALLED, Status.FAILED


def _result(stopped, *statuses, done=5):
    outcomes = tuple(
        Outcome(f"m{i}", "code", status, done=done)
        for i, status in enumerate(statuses)
    )
    return RunResult(outcomes, stopped, 1.0)


@pytest.mark.parametrize(
    ("result", "code"),
    [
        (_result(Stop.DONE), 0),  # nothing to run
        (_result(Stop.DONE, C, C), 0),  # all done
        (_result(Stop.DONE, C, S), 0),  # stalled: nothing more possible
        (_result(Stop.MAX_COUNT, C, P), 1),  # more remains
        (_result(Stop.MAX_DURATION, P), 1),
        (_result(Stop.DONE, C, F), 2),  # a failure
        # cut short with progress: run again, as Nova answers
        (_result(Stop.MAX_COUNT, F, P), 1),
        (_result(Stop.MAX_COUNT, F, P, done=0), 2),
        # a critical load stopped it: its own answer, whatever else
        (_result(Stop.CRITICAL_LOAD, C, P), 3),
        (_result(Stop.CRITICAL_LOAD, F, P, done=0), 3),
    ],
)
def test_exit_codes_have_novas_meaning(result, code):
    assert result.exit_code == code


def test_events_and_summary_are_json_lines():
    batch = BatchDone("m", 10, 9, 10, 9, 10, 0.01, 1, False)
    assert json.loads(json.dumps(event_json(batch))) == {
        "event": "batch",
        "name": "m",
        "found": 10,
        "done": 9,
        "total_found": 10,
        "total_done": 9,
        "batch_size": 10,
        "seconds": 0.01,
        "attempts": 1,
        "complete": False,
    }
    finished = event_json(MigrationFinished(Outcome("m", "online", F)))
    assert finished["event"] == "finished" and finished["status"] == "failed"
    summary = _result(Stop.DONE, C).json()
    assert summary["event"] == "summary" and summary["exit_code"] == 0
    assert summary["migrations"][0]["status"] == "complete"
    json.dumps(summary)


def test_the_throttle_s_events_are_json_lines():
    events = [
        Baseline(0.5, 1.2, 2.4, 200, {"active": 1.0, "lock_waits": 0.0}),
        Paced("m", "slower", 0.1, 0.3, 0.25, 3.1, 2.6, 100, 0.0),
        Paused("m", ("lock_waits=2>0",)),
        Resumed("m", 1.5),
        CriticalLoad("m", ("active=50>40",)),
    ]
    kinds = [json.loads(json.dumps(event_json(e)))["event"] for e in events]
    assert kinds == ["baseline", "pace", "paused", "resumed", "critical-load"]
    pace = event_json(events[1])
    assert pace["pause"] == 0.3 and pace["ratio"] == 2.6
    assert event_json(events[2])["reasons"] == ("lock_waits=2>0",)
    summary = _result(Stop.CRITICAL_LOAD, C, P).json()
    assert summary["stopped"] == "critical-load" and summary["exit_code"] == 3
