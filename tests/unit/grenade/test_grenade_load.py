"""Load flows: one record per step, a failed step ends its flow, and a
job's flows file is loaded from the job's folder (or named when it
cannot be)."""

from __future__ import annotations

import threading
import time

import pytest

from zerodown.grenade.errors import GrenadeError
from zerodown.grenade.load import LoadGenerator, Operation, python_operations
from zerodown.grenade.phases import PhaseClock
from zerodown.testing.waiting import eventually


def _run(operations, tmp_path, enough):
    """Run the load until ``enough(records)`` holds, then stop it."""
    clock = PhaseClock()
    clock.start("base")
    load = LoadGenerator(
        operations, clock, tmp_path / "load.jsonl", workers=1, pause=0.0
    ).start()
    try:
        eventually(
            lambda: enough(list(load.records)),
            message=lambda: f"not enough yet: {load.records[:10]}",
        )
    finally:
        records = load.stop()
    return records


def test_each_step_of_a_flow_is_a_record(tmp_path):
    def flow():
        state = {}
        yield "create", lambda: state.update(id=1)
        yield "show", lambda: state["id"]
        yield "delete", lambda: None

    records = _run(
        [Operation("server", 1, flow, flow=True)],
        tmp_path,
        lambda records: len(records) >= 3,
    )
    names = [r.operation for r in records]
    assert names[:3] == ["server.create", "server.show", "server.delete"]
    assert all(r.ok and r.phase == "base" for r in records)


def test_a_failed_step_is_counted_and_ends_its_flow(tmp_path):
    def flow():
        yield "create", lambda: None
        yield "pause", lambda: 1 / 0
        yield "never", lambda: None

    records = _run(
        [Operation("server", 1, flow, flow=True)],
        tmp_path,
        lambda records: len(records) >= 4,  # two flows: the second began
    )
    assert "server.never" not in {r.operation for r in records}
    failed = [r for r in records if not r.ok]
    assert failed and failed[0].operation == "server.pause"
    assert failed[0].error.startswith("ZeroDivisionError")


def test_flows_come_from_the_jobs_own_file(tmp_path):
    # A flows file may import the job's other modules.
    (tmp_path / "job_client.py").write_text("def get(url):\n    return url\n")
    (tmp_path / "hooks.py").write_text(
        "from job_client import get\n"
        "def flows(url):\n"
        "    def one():\n"
        "        yield 'get', lambda: get(url)\n"
        "    return [('ping', 3, one)]\n"
    )
    (op,) = python_operations("hooks.py:flows", tmp_path, "http://x")
    assert (op.name, op.weight, op.flow) == ("ping", 3, True)
    assert [name for name, _ in op.call()] == ["get"]
    # A flows function that asks for the work directory gets it.
    (tmp_path / "tokens.py").write_text(
        "def flows(url, workdir):\n"
        "    return [(str(workdir), 1, lambda: iter(()))]\n"
    )
    (op,) = python_operations(
        "tokens.py:flows", tmp_path, "http://x", tmp_path
    )
    assert op.name == str(tmp_path)
    with pytest.raises(GrenadeError, match=r"hooks\.py:missing"):
        python_operations("hooks.py:missing", tmp_path, "http://x")
    with pytest.raises(GrenadeError, match=r"nowhere\.py"):
        python_operations("nowhere.py:flows", tmp_path, "http://x")


def test_hold_waits_for_the_phase_s_requests_and_its_time(tmp_path):
    clock = PhaseClock()
    clock.start("mixed")
    load = LoadGenerator(
        [Operation("noop", 1, lambda: None)],
        clock,
        tmp_path / "load.jsonl",
        workers=2,
        pause=0.0,
    ).start()
    try:
        begun = time.time()
        held = load.hold("mixed", 50, until=begun + 0.3, deadline=begun + 60)
        assert held >= 50 and time.time() >= begun + 0.3
        assert load.requests_in("mixed") >= held
        assert load.requests_in("roll") == 0
    finally:
        load.stop()


def test_hold_gives_up_at_its_deadline_when_requests_stop(tmp_path):
    clock = PhaseClock()
    clock.start("roll")
    stuck = threading.Event()
    load = LoadGenerator(
        [Operation("stuck", 1, lambda: stuck.wait(30))],
        clock,
        tmp_path / "load.jsonl",
        workers=1,
    ).start()
    try:
        begun = time.time()
        held = load.hold("roll", 1, until=begun, deadline=begun + 0.2)
        assert held == 0 and time.time() >= begun + 0.2
    finally:
        stuck.set()
        load.stop()
