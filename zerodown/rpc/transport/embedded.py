"""The embedded broker: a kombu transport on one SQLite file, no server.

Processes on one machine that open the same file talk to each other as
through RabbitMQ, with what kombu's own SQLite-backed transports lack
(measured; see ``docs/rpc.md``):

* **fanout across processes** - bindings live in the file, not in each
  process's memory;
* **acknowledgements** - a delivered message stays in the file, claimed,
  until it is acknowledged; a claim of a process that died is released
  and the message delivered again, marked ``redelivered``;
* **no polling delay** - a consumer sleeps on a datagram socket that
  publishers poke after each commit (Linux abstract sockets; elsewhere it
  polls), with a slow poll as a safety net;
* **message time-to-live**, exclusive queues that vanish with their
  process, and no table that grows without end.

The file uses SQLite's write-ahead log, so readers do not block writers.
"""

# kombu's virtual transport is partly typed; overriding its hooks with
# precise signatures is what this module does.
# mypy: disable-error-code="no-untyped-call,override,assignment,union-attr"

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import sqlite3
import sys
import threading
import time
import uuid
from queue import Empty
from typing import Any

import msgpack
from kombu.exceptions import ChannelError
from kombu.transport import virtual

from zerodown.rpc.transport.amqp_guard import UNREADABLE
from zerodown.rpc.transport.embedded_db import Database

__all__ = ["EmbeddedKombuTransport"]

LOG = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS zd_queues (
    name TEXT PRIMARY KEY, owner INTEGER);
CREATE TABLE IF NOT EXISTS zd_bindings (
    exchange TEXT, queue TEXT, PRIMARY KEY (exchange, queue));
CREATE TABLE IF NOT EXISTS zd_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
    payload BLOB NOT NULL, expires REAL, claimed_by TEXT,
    redelivered INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS zd_messages_ready
    ON zd_messages (queue, id) WHERE claimed_by IS NULL;
CREATE TABLE IF NOT EXISTS zd_waiters (
    queue TEXT, address TEXT, PRIMARY KEY (queue, address));
"""
# A claim reads first: a read takes no lock in WAL mode, and most polls
# find their queue empty (a server polls three queues for each message).
_READY = """
SELECT id FROM zd_messages
WHERE queue = ? AND claimed_by IS NULL AND (expires IS NULL OR expires > ?)
ORDER BY id LIMIT 1
"""
_CLAIM = """
UPDATE zd_messages SET claimed_by = ?
WHERE id = (SELECT id FROM zd_messages
            WHERE queue = ? AND claimed_by IS NULL
              AND (expires IS NULL OR expires > ?)
            ORDER BY id LIMIT 1)
RETURNING id, payload, redelivered
"""
_QUEUE_ROWS = (
    ("zd_queues", "name"),
    ("zd_bindings", "queue"),
    ("zd_messages", "queue"),
    ("zd_waiters", "queue"),
)
_GC_INTERVAL = 2.0
_SAFETY_POLL = 0.25
_WAKE = sys.platform.startswith("linux")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _QoS(virtual.QoS):
    """Acknowledging deletes the stored message; restoring unclaims it."""

    def ack(self, delivery_tag: Any) -> None:
        message = self._delivered.get(delivery_tag)
        if message is not None:
            self.channel._forget(message.properties.get("zd_row"))
        super().ack(delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        message = self._delivered.get(delivery_tag)
        if message is not None:
            row = message.properties.get("zd_row")
            if requeue:
                self.channel._unclaim(row)
            else:
                self.channel._forget(row)
        self._quick_ack(delivery_tag)


class Channel(virtual.Channel):
    """A channel with its own SQLite connection."""

    QoS = _QoS
    supports_fanout = True
    body_encoding = None
    connection: EmbeddedKombuTransport

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        self.db = Database(connection.path, _SCHEMA)
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex}"
        self._exclusive: set[str] = set()
        self._gc_due = 0.0

    # -- queues and bindings ----------------------------------------------

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        owner = os.getpid() if kwargs.get("exclusive") else None
        self.db.execute(
            "INSERT OR IGNORE INTO zd_queues (name, owner) VALUES (?, ?)",
            (queue, owner),
        )
        if owner is not None:
            self._exclusive.add(queue)

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM zd_queues WHERE name = ?", (queue,)
        ).fetchone()
        return row is not None

    def exchange_declare(self, exchange: str | None = None, **kw: Any) -> None:
        # Fanout exchanges exist implicitly: their bindings are the data.
        return None

    def queue_bind(
        self,
        queue: str,
        exchange: str | None = None,
        routing_key: str = "",
        arguments: Any = None,
        **kwargs: Any,
    ) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO zd_bindings VALUES (?, ?)",
            (exchange or "", queue),
        )

    def queue_delete(self, queue: str, **kwargs: Any) -> None:
        self.db.execute("DELETE FROM zd_queues WHERE name = ?", (queue,))
        self.db.execute("DELETE FROM zd_bindings WHERE queue = ?", (queue,))
        self.db.execute("DELETE FROM zd_messages WHERE queue = ?", (queue,))
        self.db.execute("DELETE FROM zd_waiters WHERE queue = ?", (queue,))
        self._exclusive.discard(queue)

    # -- messages -----------------------------------------------------------

    def basic_publish(
        self, message: Any, exchange: str, routing_key: str, **kwargs: Any
    ) -> None:
        self._inplace_augment_message(message, exchange, routing_key)
        if not exchange:
            return self._put(routing_key, message)
        queues = [
            row[0]
            for row in self.db.execute(
                "SELECT queue FROM zd_bindings WHERE exchange = ?",
                (exchange,),
            )
        ]
        self._store(queues, message)
        return None

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        self._store([queue], message)

    def _store(self, queues: list[str], message: Any) -> None:
        if not queues:
            return
        expiration = message["properties"].get("expiration")
        expires = time.time() + int(expiration) / 1000 if expiration else None
        payload = msgpack.packb(message, use_bin_type=True)
        self.db.executemany(
            "INSERT INTO zd_messages (queue, payload, expires) "
            "VALUES (?, ?, ?)",
            [(queue, payload, expires) for queue in queues],
        )
        self.connection.wake(self.db, queues)

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        now = time.time()
        if now >= self._gc_due:
            self._gc_due = now + _GC_INTERVAL
            self._collect(now)
        while True:
            if self.db.execute(_READY, (queue, now)).fetchone() is None:
                raise Empty()
            row = self.db.execute(_CLAIM, (self.owner, queue, now)).fetchone()
            if row is None:
                raise Empty()  # another consumer was quicker
            message = _readable(row[1])
            if message is not None:
                break
            # Whoever can write the file wrote something kombu cannot
            # even hold: drop it rather than choke on it forever.
            LOG.warning(
                "dropping unreadable row %s of queue %s", row[0], queue
            )
            self._forget(row[0])
        properties = message["properties"]
        properties["zd_row"] = row[0]
        properties["delivery_info"]["redelivered"] = bool(row[2])
        return message

    def _forget(self, row: int | None) -> None:
        if row is not None:
            self.db.execute("DELETE FROM zd_messages WHERE id = ?", (row,))

    def _unclaim(self, row: int | None) -> None:
        if row is not None:
            self.db.execute(
                "UPDATE zd_messages SET claimed_by = NULL, redelivered = 1 "
                "WHERE id = ?",
                (row,),
            )

    def _restore(self, message: Any) -> None:
        self._unclaim(message.properties.get("zd_row"))

    def _purge(self, queue: str) -> int:
        cursor = self.db.execute(
            "DELETE FROM zd_messages WHERE queue = ? AND claimed_by IS NULL",
            (queue,),
        )
        return int(cursor.rowcount)

    def _size(self, queue: str) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM zd_messages "
            "WHERE queue = ? AND claimed_by IS NULL",
            (queue,),
        ).fetchone()
        return int(row[0])

    def _collect(self, now: float) -> None:
        # Release what dead processes claimed; drop their exclusive queues
        # and expired messages.
        self.db.execute("DELETE FROM zd_messages WHERE expires < ?", (now,))
        owners = self.db.execute(
            "SELECT DISTINCT claimed_by FROM zd_messages "
            "WHERE claimed_by IS NOT NULL"
        ).fetchall()
        for (owner,) in owners:
            if not _alive(int(owner.split(":", 1)[0])):
                self.db.execute(
                    "UPDATE zd_messages SET claimed_by = NULL, "
                    "redelivered = 1 WHERE claimed_by = ?",
                    (owner,),
                )
        dead = [
            name
            for name, pid in self.db.execute(
                "SELECT name, owner FROM zd_queues WHERE owner IS NOT NULL"
            )
            if not _alive(pid)
        ]
        for name in dead:
            self.queue_delete(name)

    # -- consuming ------------------------------------------------------------

    def basic_consume(
        self,
        queue: str,
        no_ack: bool,
        callback: Any,
        consumer_tag: str,
        **kwargs: Any,
    ) -> Any:
        self.connection.listen(self.db, queue)
        return super().basic_consume(
            queue, no_ack, callback, consumer_tag, **kwargs
        )

    def close(self) -> None:
        if self.closed:
            return
        # kombu's close detaches the channel from its connection.
        connection = self.connection
        super().close()
        for name in list(self._exclusive):
            with contextlib.suppress(sqlite3.Error):
                self.queue_delete(name)
        with contextlib.suppress(sqlite3.Error):
            if connection is not None:
                connection.unlisten(self.db)
            self.db.close()


class EmbeddedKombuTransport(virtual.Transport):
    """kombu transport class; the file is ``transport_options["path"]``."""

    Channel = Channel
    default_port = 0
    driver_type = "zerodown-embedded"
    driver_name = "sqlite3"
    polling_interval = _SAFETY_POLL
    connection_errors = (sqlite3.OperationalError, OSError)
    channel_errors = (ChannelError, sqlite3.IntegrityError)
    implements = virtual.Transport.implements.extend(
        exchange_type=frozenset(["direct", "fanout"])
    )

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.path = str(client.transport_options["path"])
        self._socket: socket.socket | None = None
        self._address = ""
        self._lock = threading.Lock()
        #: Set by the consuming thread: a wait ends when it is poked (its
        #: workers have acknowledgements for it to send).
        self.interrupt: Any = None

    def driver_version(self) -> str:
        return sqlite3.sqlite_version

    # -- wake-ups ---------------------------------------------------------

    def listen(self, db: Database, queue: str) -> None:
        """Register this connection's socket for ``queue``'s wake-ups."""
        if not _WAKE:
            return
        with self._lock:
            if self._socket is None:
                self._address = f"\0zerodown-{os.getpid()}-{uuid.uuid4().hex}"
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                sock.bind(self._address)
                sock.setblocking(False)
                self._socket = sock
        db.execute(
            "INSERT OR IGNORE INTO zd_waiters VALUES (?, ?)",
            (queue, self._address),
        )

    def unlisten(self, db: Database) -> None:
        if self._address:
            db.execute(
                "DELETE FROM zd_waiters WHERE address = ?", (self._address,)
            )

    def wake(self, db: Database, queues: list[str]) -> None:
        """Poke every consumer of ``queues`` (best effort)."""
        if not _WAKE:
            return
        marks = ",".join("?" * len(queues))
        rows = db.execute(
            "SELECT DISTINCT address FROM zd_waiters "
            f"WHERE queue IN ({marks})",
            queues,
        ).fetchall()
        if not rows:
            return
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sender.setblocking(False)
        try:
            for (address,) in rows:
                try:
                    sender.sendto(b"!", address)
                except (ConnectionRefusedError, FileNotFoundError):
                    db.execute(
                        "DELETE FROM zd_waiters WHERE address = ?", (address,)
                    )
                except BlockingIOError:
                    pass  # its buffer is full of pokes: it is awake
        finally:
            sender.close()

    def drain_events(
        self, connection: Any, timeout: float | None = None
    ) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                pass
            remaining = (
                _SAFETY_POLL
                if deadline is None
                else deadline - time.monotonic()
            )
            if remaining <= 0 or self._sleep(min(remaining, _SAFETY_POLL)):
                raise TimeoutError()

    def _sleep(self, seconds: float) -> bool:
        """Wait for a publisher's poke; whether :attr:`interrupt` ended
        the wait."""
        sock, interrupt = self._socket, self.interrupt
        watched = [s for s in (sock, interrupt) if s is not None]
        if not watched:
            time.sleep(seconds)
            return False
        readable, _, _ = select.select(watched, [], [], seconds)
        if sock is not None and sock in readable:
            with contextlib.suppress(BlockingIOError):
                while sock.recv(64):
                    pass
        return interrupt is not None and interrupt in readable

    def close_connection(self, connection: Any) -> None:
        super().close_connection(connection)
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _readable(payload: bytes) -> dict[str, Any] | None:
    """A stored message kombu can hold, or ``None``.  A compressed body
    or one in an encoding of kombu's is marked unreadable, not decoded
    (kombu would inflate it before any size check)."""
    try:
        message = msgpack.unpackb(payload, raw=False)
    except Exception:  # any bytes at all: not a message
        return None
    if type(message) is not dict:
        return None
    properties, headers = message.get("properties"), message.get("headers")
    if type(properties) is not dict or type(headers) not in (dict, NONE):
        return None
    info = properties.setdefault("delivery_info", {})
    if type(info) is not dict or "delivery_tag" not in properties:
        return None
    if type(message.get("body")) not in (bytes, str, NONE):
        return None
    encoded = properties.pop("body_encoding", None)
    if encoded or (headers and "compression" in headers):
        message["headers"] = {
            k: v for k, v in (headers or {}).items() if k != "compression"
        }
        properties[UNREADABLE] = "a compressed or encoded body (unread)"
        message["body"] = b""
    return message


NONE = type(None)
