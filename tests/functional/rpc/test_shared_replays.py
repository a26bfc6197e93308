"""A shared replay store: a message taken from a topic's shared queue runs
on one of its servers, once, on every database backend."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from zerodown.rpc import (
    RPCAPI,
    MemoryTransport,
    Protocol,
    RPCServer,
    Signing,
    SqlReplayStore,
    Target,
)
from zerodown.rpc.protocol import Request
from zerodown.rpc.replay import MESSAGES, Seen, create_schema
from zerodown.rpc.transport import Address
from zerodown.testing.waiting import eventually

KEY = "shared-replay-key-0123456789"


class TransferAPI(RPCAPI):
    """A cast that must not run twice.

    API version history:

    * 1.0 - transfer(amount).
    """

    TOPIC = "bank"
    VERSION = "1.0"


class Bank:
    target = Target(version="1.0")
    RPC_API = TransferAPI

    def __init__(self, ledger: list[int], arrived: threading.Event):
        self.ledger, self.arrived = ledger, arrived

    def transfer(self, context, amount):
        self.ledger.append(amount)
        self.arrived.set()


def test_a_replay_on_the_shared_queue_runs_on_no_sibling(zerodown_db):
    engine = zerodown_db.engine
    create_schema(engine)
    transport = MemoryTransport()
    ledger: list[int] = []
    arrived = threading.Event()
    servers = [
        RPCServer(
            transport,
            Target(topic="bank", server=name),
            [Bank(ledger, arrived)],
            protocol=Protocol(Signing([KEY])),
            shared_replays=SqlReplayStore(engine),
            workers=0,
        )
        for name in ("a", "b")
    ]
    message = Protocol(Signing([KEY])).request(
        Request("transfer", "1.0", {"amount": 100}, {}), Address("bank")
    )
    for server in servers:
        server.start()
    try:
        for _ in range(6):  # each server takes some of them
            transport.publish(Address("bank"), message)
        assert arrived.wait(5)
        eventually(
            lambda: (
                not transport.queue_size("bank") and _not_run(servers) >= 5
            ),
            timeout=5,
            message="the replays were not taken",
        )
    finally:
        for server in servers:
            server.stop()
    assert ledger == [100]
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(MESSAGES)
            ).scalar()
            == 1
        )


def _not_run(servers) -> int:
    stats = [s.protocol.signing.stats for s in servers]
    return sum(s.refused_total + s.duplicates for s in stats)


def test_the_store_falls_back_when_the_database_is_away(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    store = SqlReplayStore(engine)
    assert store.take("m1", time.time() + 60, "a") is None
    assert store.take("m1", time.time() + 60, "b") == Seen("a", False)


@pytest.mark.parametrize("message_id", ["x" * 200, "é" * 10, "\udcff"])
def test_any_id_fits_the_table(zerodown_db, message_id):
    create_schema(zerodown_db.engine)
    store = SqlReplayStore(zerodown_db.engine)
    assert store.take(message_id, time.time() + 60, "a") is None
    store.retake(message_id, "b")
    store.finish(message_id)
    assert store.take(message_id, time.time() + 60, "c") == Seen("b", True)
    store.forget(message_id)
    assert store.take(message_id, time.time() + 60, "c") is None


def test_finish_marks_are_written_together_and_by_a_stop(zerodown_db):
    """A finish reaches the table with others (one statement), within
    ``finish_delay``; the server that finished it knows at once, a
    sibling once written, and a stopping server writes what is left."""
    create_schema(zerodown_db.engine)
    mine = SqlReplayStore(zerodown_db.engine, finish_delay=3600)
    sibling = SqlReplayStore(zerodown_db.engine)
    expires = time.time() + 60
    for n in range(3):
        assert mine.take(f"m{n}", expires, "a") is None
        mine.finish(f"m{n}")
    assert mine.take("m0", expires, "a") == Seen("a", True)
    assert sibling.take("m0", expires, "b") == Seen("a", False)
    mine.close()  # as RPCServer.stop flushes
    for n in range(3):
        assert sibling.take(f"m{n}", expires, "b") == Seen("a", True)

    soon = SqlReplayStore(zerodown_db.engine, finish_delay=0.01)
    assert soon.take("m9", expires, "a") is None
    soon.finish("m9")
    eventually(
        lambda: sibling.take("m9", expires, "b") == Seen("a", True),
        timeout=5,
        message="the finish mark was not written",
    )
    soon.close()


def test_marks_a_failed_write_kept_are_written_later(tmp_path):
    """A database that cannot be written keeps the finish marks for the
    next flush instead of dropping them."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'later' / 'x.db'}")
    store = SqlReplayStore(engine, finish_delay=3600)
    store.finish("m1")
    store.flush()  # no database yet: kept
    (tmp_path / "later").mkdir()
    create_schema(engine)
    sibling = SqlReplayStore(engine)
    expires = time.time() + 60
    assert sibling.take("m1", expires, "b") is None
    store.flush()
    assert sibling.take("m1", expires, "c") == Seen("b", True)
    store.close()
