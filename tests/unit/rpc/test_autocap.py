"""Automatic caps against a stand-in directory (the real table is tested
in tests/functional/rpc on every database backend)."""

from __future__ import annotations

import datetime

import pytest

from zerodown.rpc import AutoCap, announce
from zerodown.rpc.autocap import decide
from zerodown.services import ServiceHistory, ServiceRecord, ServiceVersion
from zerodown.testing.waiting import eventually

HISTORY = ServiceHistory(
    "shop",
    ServiceVersion(1, "a", rpc={"compute": "1.0"}, objects={"W": "1.0"}),
    ServiceVersion(2, "b", rpc={"compute": "1.1"}, objects={"W": "1.1"}),
    ServiceVersion(3, "c", rpc={"compute": "1.2"}),
)


class Directory:
    """What AutoCap reads: ``history`` and ``running(binary)``."""

    def __init__(self) -> None:
        self.history = HISTORY
        self.services: dict[str, int] = {}
        self.reads = 0
        self.fail = False

    def running(self, binary):
        self.reads += 1
        if self.fail:
            from zerodown.exceptions import DatabaseUnreachable

            raise DatabaseUnreachable(url="db", reason="down")
        now = datetime.datetime(2026, 1, 1)
        return [
            ServiceRecord(host, "compute", v, 1, now, False, None)
            for host, v in self.services.items()
        ]


@pytest.fixture
def directory():
    return Directory()


@pytest.mark.parametrize(
    ("services", "cap", "objects", "why"),
    [
        ({}, None, None, "no running compute"),
        ({"a": 1, "b": 3}, "1.0", {"W": "1.0"}, "version 1, which speaks"),
        ({"a": 2, "b": 3}, "1.1", {"W": "1.1"}, "compute 1.1"),
        ({"a": 3}, None, None, "this release's (3) or newer"),
        ({"a": 9}, None, None, "or newer"),
    ],
)
def test_the_oldest_live_service_decides(
    directory, services, cap, objects, why
):
    directory.services = services
    decision = decide(directory, "compute", "compute")
    assert (decision.cap, decision.objects) == (cap, objects)
    assert why in decision.reason


def test_the_hosts_at_the_oldest_version_are_named(directory):
    directory.services = {"b": 1, "a": 1, "c": 2}
    assert decide(directory, "compute", "compute").hosts == ("a", "b")


def test_the_cap_rises_by_itself_on_an_interval(directory):
    directory.services = {"old": 1, "new": 3}
    cap = AutoCap(directory, "compute", interval=0.05)
    try:
        assert cap.current() == "1.0"
        del directory.services["old"]
        eventually(
            lambda: cap.current() is None, message="the cap did not rise"
        )
    finally:
        cap.stop()


def test_a_notice_re_resolves_at_once(directory, transport, monkeypatch):
    directory.services = {"old": 1}
    cap = AutoCap(directory, "compute", transport=transport, interval=60)
    woken = []

    def wake(real=cap.wake):
        woken.append(True)
        real()

    monkeypatch.setattr(cap, "wake", wake)
    try:
        assert cap._notices.wait_ready(5)
        directory.services = {"new": 2}
        announce(transport, "scheduler", "x", 2, "start")
        announce(transport, "compute", "new", 2, "start")
        eventually(
            lambda: cap.current() == "1.1", message="the cap did not rise"
        )
        # One subscriber takes the notices in order: the scheduler's came
        # first, and another binary's notice woke nothing.
        assert len(woken) == 1
        assert cap.object_versions() == {"W": "1.1"}
    finally:
        cap.stop()


def test_the_last_cap_stays_while_the_database_is_away(directory):
    directory.services = {"old": 1}
    cap = AutoCap(directory, "compute", interval=0.02)
    try:
        directory.fail = True
        reads = directory.reads
        eventually(
            lambda: directory.reads > reads + 2,
            message="the cap stopped reading the directory",
        )
        assert cap.current() == "1.0"
    finally:
        cap.stop()
