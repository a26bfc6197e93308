"""How far behind each replica is (``--replica URL --max-replica-lag S``).

**PostgreSQL** (a streaming standby): asked on the standby itself.  When
it has replayed everything it received, it is not behind (0); otherwise
it is behind by ``now() - pg_last_xact_replay_timestamp()``, the age of
the last transaction it replayed, which grows for as long as replay is
stopped or slower than the primary.  A standby whose WAL receiver is not
streaming is behind by an unknown amount.  (``pg_stat_replication`` on
the primary tells ``replay_lag`` too, but that figure stops moving while
replay is paused and reads NULL on an idle primary: it cannot see a
standby falling further behind.)  The timestamps come from the primary's
clock and ``now()`` from the standby's: keep their clocks in sync (NTP),
as any lag monitor of PostgreSQL needs.

**MySQL/MariaDB**: a heartbeat row, as gh-ost and pt-heartbeat do, not
``SHOW SLAVE STATUS``'s ``Seconds_Behind_Master``.  That figure is NULL
while the SQL thread is stopped, 0 while the SQL thread is idle even if
the I/O thread is far behind, whole seconds only, and measured from
event timestamps that a long transaction makes jump.  The runner's probe
(:mod:`.watch`) writes its own wall clock into its row of
``zerodown_heartbeat`` on the primary every few milliseconds; the
replica's copy of that row is as old as the replica is behind: lag =
``time.time() - beat`` read on the replica, on the runner's one clock.
``SHOW SLAVE STATUS`` is still read to refuse a server that is not a
replica and to report one whose threads stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from zerodown.exceptions import ConfigError
from zerodown.migrations.data.busy import describe
from zerodown.migrations.data.watch import HEARTBEAT
from zerodown.migrations.database import create_engine, safe_url
from zerodown.migrations.errors import ReplicaUnusable

__all__ = ["Lag", "Replica", "open_replicas"]

LOG = logging.getLogger(__name__)

_PG_LAG = """
SELECT pg_is_in_recovery(),
  CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
  ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
  END,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1)
"""


@dataclass(frozen=True)
class Lag:
    """One replica's answer: seconds behind, or None with the reason."""

    replica: str  # its URL, password hidden
    seconds: float | None
    reason: str = ""

    def over(self, limit: float) -> bool:
        return self.seconds is None or self.seconds > limit

    def __str__(self) -> str:
        if self.seconds is None:
            return f"replica {self.replica}: {self.reason}"
        return f"replica {self.replica} lag {self.seconds:.2f}s"


class Replica:
    """A connection to one replica, opened once for the run."""

    def __init__(
        self,
        url: str,
        heartbeat: tuple[str | None, str],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.name = safe_url(url)
        self.engine = create_engine(url)
        self.schema, self.row = heartbeat
        self.wall = wall
        self.dialect = self.engine.dialect.name
        self._connection: sa.Connection | None = None

    def check(self, primary_dialect: str) -> None:
        """Refuse a server that is not a replica of the primary's kind."""
        if self.dialect != primary_dialect:
            raise ConfigError(
                problem=f"replica {self.name} is {self.dialect}, the primary "
                f"{primary_dialect}"
            )
        conn = self._connect()
        with conn.begin():
            if self.dialect == "postgresql":
                standby = conn.exec_driver_sql("SELECT pg_is_in_recovery()")
                if not standby.scalar():
                    raise ReplicaUnusable(
                        replica=self.name,
                        reason="it is not in recovery "
                        "(a primary, not a standby)",
                    )
            elif not conn.exec_driver_sql("SHOW SLAVE STATUS").first():
                raise ReplicaUnusable(
                    replica=self.name,
                    reason="SHOW SLAVE STATUS is empty (not a replica)",
                )

    def lag(self) -> Lag:
        try:
            conn = self._connect()
            with conn.begin():
                if self.dialect == "postgresql":
                    return self._pg_lag(conn)
                return self._mysql_lag(conn)
        except sa.exc.DBAPIError as err:
            self.close()
            return Lag(self.name, None, f"unreachable ({describe(err)})")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()

    def _connect(self) -> sa.Connection:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        return self._connection

    def _pg_lag(self, conn: sa.Connection) -> Lag:
        standby, seconds, receiver = conn.exec_driver_sql(_PG_LAG).one()
        if not standby:
            return Lag(self.name, None, "no longer a standby (promoted?)")
        if receiver != "streaming":
            return Lag(self.name, None, "its WAL receiver is not streaming")
        if seconds is None:
            return Lag(self.name, None, "has replayed no transaction yet")
        return Lag(self.name, max(0.0, float(seconds)))

    def _mysql_lag(self, conn: sa.Connection) -> Lag:
        status = conn.exec_driver_sql("SHOW SLAVE STATUS").mappings().first()
        if status is None:
            return Lag(self.name, None, "no longer a replica")
        table = (
            HEARTBEAT.to_metadata(sa.MetaData(), schema=self.schema)
            if self.schema
            else HEARTBEAT
        )
        query = sa.select(table.c.beat).where(table.c.name == self.row)
        try:
            beat = conn.execute(query).scalar()
        except sa.exc.ProgrammingError:
            beat = None  # the table has not reached the replica yet
        if beat is None:
            threads = (
                f"IO {status.get('Slave_IO_Running')}, "
                f"SQL {status.get('Slave_SQL_Running')}"
            )
            return Lag(self.name, None, f"no heartbeat yet ({threads})")
        return Lag(self.name, max(0.0, self.wall() - float(beat)))


def open_replicas(
    urls: tuple[str, ...],
    primary: sa.Connection,
    heartbeat_row: str,
) -> list[Replica]:
    """Connect to each replica of ``urls`` and check it is one."""
    schema = None
    if primary.dialect.name == "mysql":
        schema = (
            make_url(primary.engine.url).database
            or primary.exec_driver_sql("SELECT DATABASE()").scalar()
        )
    opened: list[Replica] = []
    try:
        for url in urls:
            replica = Replica(url, (schema, heartbeat_row))
            opened.append(replica)
            try:
                replica.check(primary.dialect.name)
            except sa.exc.DBAPIError as err:
                raise ReplicaUnusable(
                    replica=replica.name, reason=describe(err)
                ) from err
    except BaseException:
        for replica in opened:
            replica.close()
        raise
    return opened
