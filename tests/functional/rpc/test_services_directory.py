"""The services table on every database backend."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from zerodown.exceptions import DatabaseUnreachable
from zerodown.rpc import AutoCap
from zerodown.services import (
    SERVICES,
    Heartbeat,
    ServiceDirectory,
    ServiceHistory,
    ServiceVersion,
    SigningReport,
    create_schema,
)
from zerodown.services.errors import ServiceTooOld
from zerodown.services.schema import OPTIONAL_COLUMNS

HISTORY = ServiceHistory(
    "shop",
    ServiceVersion(1, "a", rpc={"compute": "1.0"}, objects={"W": "1.0"}),
    ServiceVersion(2, "b", rpc={"compute": "1.1"}, objects={"W": "1.1"}),
    ServiceVersion(3, "c", rpc={"compute": "1.2"}),
    aliases={"alpha": 1, "beta": 2},
    oldest_supported="alpha",
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 3, 1, 12, 0, 0)

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def directory(zerodown_db, clock):
    create_schema(zerodown_db.engine)
    return ServiceDirectory(
        zerodown_db.engine, HISTORY, down_after=60, clock=clock
    )


def _hosts(records):
    return sorted((r.binary, r.host, r.version) for r in records)


def test_register_heartbeat_and_liveness(directory, clock):
    directory.register("c1", "compute", 1)
    directory.register("c2", "compute")
    directory.register("k1", "conductor", 3)
    assert _hosts(directory.live()) == [
        ("compute", "c1", 1),
        ("compute", "c2", 3),
        ("conductor", "k1", 3),
    ]
    assert directory.min_version("compute") == 1
    assert directory.min_version() == 1
    clock.advance(45)
    assert directory.heartbeat("c2", "compute")
    clock.advance(30)
    # c1 and k1 last beat 75s ago: down; c2 beat 30s ago.
    assert _hosts(directory.live()) == [("compute", "c2", 3)]
    # Down is not gone: c1 may still consume, so it still sets the
    # minimum until it stops or is forced down.
    assert directory.min_version("compute") == 1
    directory.force_down("c1", "compute")
    assert directory.min_version("compute") == 3
    assert directory.min_version("scheduler") is None
    assert len(directory.services()) == 3


def test_registering_again_updates_the_row(directory):
    directory.register("c1", "compute", 1)
    directory.stop("c1", "compute")
    record = directory.register("c1", "compute", 2)
    assert (record.version, record.stopped_at) == (2, None)
    assert len(directory.services("compute")) == 1


def test_forced_down_and_stopped_services_are_not_live(directory):
    for host in ("a", "b", "c"):
        directory.register(host, "compute", 2)
    directory.force_down("a", "compute")
    directory.stop("b", "compute")
    assert _hosts(directory.live()) == [("compute", "c", 2)]
    directory.force_down("a", "compute", down=False)
    assert _hosts(directory.live("compute")) == [
        ("compute", "a", 2),
        ("compute", "c", 2),
    ]
    assert directory.get("b", "compute").stopped_at is not None


def test_a_too_old_service_may_not_join(zerodown_db, directory, clock):
    directory.register("new", "conductor")  # supports from 1
    newer = ServiceHistory("shop", *HISTORY.entries, oldest_supported=2)
    strict = ServiceDirectory(zerodown_db.engine, newer, clock=clock)
    strict.register("newest", "api")  # supports from 2
    with pytest.raises(ServiceTooOld, match="supports services from"):
        directory.register("old", "compute", 1)
    directory.register("old", "compute", 1, check=False)
    with pytest.raises(ServiceTooOld, match="upgrade it first"):
        strict.register("newest-2", "api")


def test_the_heartbeat_thread_registers_a_lost_row(zerodown_db, directory):
    directory.register("c1", "compute", 2)
    with zerodown_db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM zerodown_services"))
    assert not directory.heartbeat("c1", "compute")
    Heartbeat(directory, "c1", "compute").beat()
    assert [r.host for r in directory.live()] == ["c1"]


def test_auto_cap_follows_the_table(directory):
    directory.register("c1", "compute", 1)
    directory.register("c2", "compute", 2)
    cap = AutoCap(directory, "compute", interval=60)
    try:
        assert (cap.current(), cap.object_versions()) == ("1.0", {"W": "1.0"})
        directory.stop("c1", "compute")
        decision = cap.refresh()
        assert (decision.cap, decision.hosts) == ("1.1", ("c2",))
        directory.register("c2", "compute", 3)
        assert cap.refresh().cap is None
    finally:
        cap.stop()


def test_an_unreachable_database_is_a_typed_error():
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/x")
    with pytest.raises(DatabaseUnreachable, match=r"127\.0\.0\.1:1"):
        ServiceDirectory(engine, HISTORY).live()


def test_signing_reports_are_kept_and_read(directory):
    directory.register("c1", "compute")
    assert directory.get("c1", "compute").signing is None
    report = SigningReport("permissive", 5, 2)
    assert directory.heartbeat("c1", "compute", report)
    assert directory.get("c1", "compute").signing == report
    # A heartbeat without a report leaves the last one.
    assert directory.heartbeat("c1", "compute")
    assert directory.services()[0].signing == report


def test_a_table_made_before_signing_reports_still_works(zerodown_db, clock):
    # The table as zerodown 2 created it: without the optional columns.
    old = sa.MetaData()
    sa.Table(
        SERVICES.name,
        old,
        *(
            sa.Column(c.name, c.type, primary_key=c.primary_key)
            for c in SERVICES.columns
            if c.name not in OPTIONAL_COLUMNS
        ),
    )
    old.create_all(zerodown_db.engine)
    directory = ServiceDirectory(zerodown_db.engine, HISTORY, clock=clock)
    directory.register("c1", "compute")
    assert directory.heartbeat("c1", "compute", SigningReport("off", 1, 0))
    (record,) = directory.services()
    assert (record.host, record.signing) == ("c1", None)
