"""Watching the primary while batches run: the probe and the signals.

A thread of its own, on a connection of its own (each read in a short
transaction of its own, so no snapshot goes stale), samples two things
while the runner's batches run:

- the **probe**: a transaction that updates one row of
  ``zerodown_heartbeat`` with the runner's wall clock and commits, timed
  from begin to commit.  It pays what a short application write pays
  (CPU, row and WAL contention, the commit's flush; PostgreSQL keeps its
  default ``synchronous_commit``), every ``interval`` seconds.  The row
  is also the heartbeat a MariaDB/MySQL replica's lag is read from
  (:mod:`.replicas`); each runner has its own row and deletes it at the
  end;
- the **signals** of :mod:`.signals`, every ``signal_interval`` seconds.

The runner drains what was sampled (:meth:`Watch.take`) when it decides,
and says when its batches run (:meth:`Watch.batch_started`,
:meth:`Watch.batch_ended`): a probe that runs wholly within a pause, and
starts at least :data:`SETTLE` seconds (or the last batch's duration, if
longer) after the batch before it ended, is also kept apart
(``Samples.idle``): what the writers pay without the backfill, for the
controller's rebaseline.  Right after a batch, writers queued behind its
row locks and its WAL flush still pay for it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from zerodown.migrations.data import busy, signals

__all__ = ["HEARTBEAT", "SETTLE", "Samples", "Watch", "idle_probe"]

LOG = logging.getLogger(__name__)

HEARTBEAT = sa.Table(
    "zerodown_heartbeat",
    sa.MetaData(),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("beat", sa.Double(), nullable=False),  # time.time() seconds
)


#: Seconds after a batch before a probe counts as idle (at least).
SETTLE = 0.1


@dataclass(frozen=True)
class Batches:
    """What the watch knows of the runner's batches at one moment."""

    running: bool = False
    count: int = 0  # batches begun so far
    ended_at: float = float("-inf")  # monotonic end of the last one
    last_took: float = 0.0  # seconds the last one took


def idle_probe(before: Batches, after: Batches, started: float) -> bool:
    """Whether a probe that began at ``started`` (monotonic), with the
    batches as ``before`` said then and ``after`` says at its end, paid
    nothing for the backfill: no batch ran at either end or began
    meanwhile, and the last one had ended long enough before."""
    return (
        not before.running
        and not after.running
        and before.count == after.count
        and started - before.ended_at >= max(SETTLE, before.last_took)
    )


@dataclass
class Samples:
    """What was sampled since the last :meth:`Watch.take`."""

    latencies: list[float] = field(default_factory=list)  # seconds
    idle: list[float] = field(default_factory=list)  # no batch running
    signals: list[dict[str, float]] = field(default_factory=list)
    failures: int = 0

    def mean(self, name: str) -> float | None:
        values = [s[name] for s in self.signals if name in s]
        return sum(values) / len(values) if values else None


class Watch:
    """The watching thread; :meth:`start` it, :meth:`take`, :meth:`stop`."""

    def __init__(
        self,
        engine: sa.Engine,
        probe: bool,
        interval: float,
        signal_interval: float = 0.2,
        names: Iterable[str] = (),
        wall: Callable[[], float] = time.time,
        runner: int = 0,
    ) -> None:
        self.engine = engine
        self.probe = probe
        self.interval = interval
        self.signal_interval = signal_interval
        self.names = tuple(names)
        self.wall = wall
        self.runner = runner  # PostgreSQL pid of the batches' session
        self.row = (
            f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        self.latest: dict[str, float] = {}
        self._batches = Batches()
        self._batch_began = 0.0
        self._samples = Samples()
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sa.Connection | None = None

    def start(self) -> None:
        """Connect, create the heartbeat row, read the signals once, and
        start sampling."""
        self._connection = self._connect()
        if self.probe:
            with self.engine.begin() as conn:
                HEARTBEAT.create(conn, checkfirst=True)
                conn.execute(
                    HEARTBEAT.insert().values(name=self.row, beat=self.wall())
                )
        with self._connection.begin():
            self.latest = signals.read(
                self._connection, self.names, self.runner
            )
        self._thread = threading.Thread(
            target=self._run, name="zerodown-watch", daemon=True
        )
        self._thread.start()

    def batch_started(self) -> None:
        """The runner begins a batch."""
        with self._lock:
            self._batch_began = time.monotonic()
            self._batches = Batches(
                True,
                self._batches.count + 1,
                self._batches.ended_at,
                self._batches.last_took,
            )

    def batch_ended(self) -> None:
        """The runner's batch is over (its pause begins)."""
        with self._lock:
            if not self._batches.running:
                return
            now = time.monotonic()
            self._batches = Batches(
                False, self._batches.count, now, now - self._batch_began
            )

    def take(self) -> Samples:
        """Everything sampled since the last call."""
        with self._lock:
            taken, self._samples = self._samples, Samples()
        return taken

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
        if self._connection is not None:
            self._connection.close()
        if self.probe:
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        HEARTBEAT.delete().where(HEARTBEAT.c.name == self.row)
                    )
            except sa.exc.DBAPIError as err:  # the row is harmless
                LOG.warning(
                    "cannot delete heartbeat row: %s", busy.describe(err)
                )

    def _connect(self) -> sa.Connection:
        return self.engine.connect()

    def _run(self) -> None:
        next_signals = 0.0
        while not self._halt.is_set():
            started = time.monotonic()
            try:
                if self.probe:
                    self._probe()
                if started >= next_signals:
                    next_signals = started + self.signal_interval
                    self._signals()
            except sa.exc.DBAPIError as err:  # the next tick tries again
                LOG.warning("watch: %s", busy.describe(err))
                with self._lock:
                    self._samples.failures += 1
                self._reconnect()
            elapsed = time.monotonic() - started
            self._halt.wait(max(0.0, self.interval - elapsed))

    def _probe(self) -> None:
        assert self._connection is not None
        update = (
            HEARTBEAT.update()
            .where(HEARTBEAT.c.name == self.row)
            .values(beat=self.wall())
        )
        with self._lock:
            before = self._batches
        started = time.monotonic()
        # One explicit transaction, timed to its commit (as a writer's).
        with self._connection.begin():
            self._connection.execute(update)
        took = time.monotonic() - started
        with self._lock:
            self._samples.latencies.append(took)
            if idle_probe(before, self._batches, started):
                self._samples.idle.append(took)

    def _signals(self) -> None:
        assert self._connection is not None
        with self._connection.begin():
            values = signals.read(self._connection, self.names, self.runner)
        with self._lock:
            self.latest = values
            self._samples.signals.append(values)

    def _reconnect(self) -> None:
        try:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._connect()
        except sa.exc.DBAPIError as err:
            LOG.warning("watch cannot reconnect: %s", busy.describe(err))
            self._halt.wait(1.0)
