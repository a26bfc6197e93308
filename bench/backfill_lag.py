"""The replica-lag point: a backfill under ``--max-replica-lag`` while the
replica stops replaying now and then.

On the primary/replica pair of ``scripts/replicas`` (servers of their
own: the shared ones have no binlog or standby), with the two writers
running: ``zerodown db migrate --max-impact 2 --replica R
--max-replica-lag L`` while a *laggard* stops the replica's replay
(``pg_wal_replay_pause()``, ``STOP SLAVE SQL_THREAD``) for ``stop``
seconds every ``period`` seconds, and a sampler reads the replica's lag
every 20 ms on its own: PostgreSQL the age of the last replayed
transaction when replay is behind what it received; MariaDB a heartbeat
row of the sampler's own, written on the primary every 20 ms.

While replay is stopped the lag grows by itself, whatever the backfill
does.  What the backfill adds is the rest: the lag beyond the stop's
length, made of the batches it committed before it noticed (it checks
before each batch) and that the replica must replay after.  Reported:
the peak lag, the stop, their difference ("extra lag"), the lag when the
runner paused, and the longest batch; the target is extra lag <= L + one
batch.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from backfill_data import BACKENDS
from backfill_load import KINDS, Writers, window_stats
from sqlalchemy.engine import make_url

_KEYS = {"postgresql": "PG", "mariadb": "MYSQL"}
_STOP = {
    "postgresql": "SELECT pg_wal_replay_pause()",
    "mariadb": "STOP SLAVE SQL_THREAD",
}
_START = {
    "postgresql": "SELECT pg_wal_replay_resume()",
    "mariadb": "START SLAVE SQL_THREAD",
}
_PG_LAG = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
    "THEN 0 ELSE EXTRACT(EPOCH FROM now() - "
    "pg_last_xact_replay_timestamp())::float8 END"
)


def replica_point(
    name: str, servers: dict[str, str], args: Any, zerodown: Any, project: Any
) -> dict[str, Any]:
    key = _KEYS[name]
    database = f"{args.database}_lag"
    backend = BACKENDS[name](
        servers[f"ZERODOWN_TEST_{key}_PRIMARY_URL"], database
    )
    replica_url = (
        make_url(servers[f"ZERODOWN_TEST_{key}_REPLICA_URL"])
        .set(database=database)
        .render_as_string(hide_password=False)
    )
    backend.create_database()
    try:
        backend.populate(args.rows)
        replica = sa.create_engine(replica_url, isolation_level="AUTOCOMMIT")
        sampler = _Sampler(name, backend, replica)
        sampler.until_caught_up()
        import tempfile

        with tempfile.TemporaryDirectory(prefix="zd_bench_lag_") as tmp:
            where = project(backend, Path(tmp))
            flags = [
                "--max-impact",
                "2",
                "--replica",
                replica_url,
                "--max-replica-lag",
                str(args.max_replica_lag),
                "--max-duration",
                str(args.lag_max_duration),
            ]
            writers = Writers(backend.name, backend.writer_dsn(), args.rows)
            sampler.start()
            laggard = _Laggard(
                name, replica, args.replay_stop, args.replay_period
            )
            try:
                start, end, info = zerodown(backend, where, flags)()
            finally:
                laggard.stop()
                sampler.stop()
                logs = writers.stop()
        replica.dispose()
    finally:
        if not args.keep:
            backend.drop_database()
    samples = [(t, lag) for t, lag in sampler.samples if start <= t <= end]
    peak = max((lag for _, lag in samples), default=0.0)
    pauses = [e for e in info["throttle"] if e["event"] == "paused"]
    at_pause = [_nearest(samples, e["at"]) for e in pauses]
    return {
        "backend": backend.label,
        "rows": info["rows"],
        "seconds": info["seconds"],
        "exit_code": info["exit_code"],
        "max_replica_lag": args.max_replica_lag,
        "replay_stop": args.replay_stop,
        "replay_period": args.replay_period,
        "replay_stops": laggard.stops,
        "peak_lag": peak,
        "extra_lag": max(0.0, peak - args.replay_stop),
        "lag_at_pauses": at_pause,
        "pauses": len(pauses),
        "longest_batch_ms": info["longest_batch_ms"],
        "writers": {k: window_stats(logs[k], start, end) for k in KINDS},
    }


def _nearest(samples: list[tuple[float, float]], at: float) -> float:
    if not samples:
        return 0.0
    return min(samples, key=lambda s: abs(s[0] - at))[1]


class _Sampler:
    """The replica's lag every 20 ms, measured apart from the runner."""

    def __init__(self, name: str, backend: Any, replica: sa.Engine) -> None:
        self.name = name
        self.primary = sa.create_engine(
            backend.url, isolation_level="AUTOCOMMIT"
        )
        self.replica = replica
        self.samples: list[tuple[float, float]] = []
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if name == "mariadb":
            with self.primary.connect() as conn:
                conn.exec_driver_sql(
                    "CREATE TABLE bench_heartbeat (id INT PRIMARY KEY, "
                    "beat DOUBLE NOT NULL)"
                )
                conn.exec_driver_sql(
                    f"INSERT INTO bench_heartbeat VALUES (1, {time.time()})"
                )

    def lag(
        self, replica: sa.Connection, primary: sa.Connection
    ) -> float | None:
        if self.name == "postgresql":
            value = replica.exec_driver_sql(_PG_LAG).scalar()
            return None if value is None else max(0.0, float(value))
        primary.exec_driver_sql(
            f"UPDATE bench_heartbeat SET beat = {time.time()} WHERE id = 1"
        )
        try:
            beat = replica.exec_driver_sql(
                "SELECT beat FROM bench_heartbeat WHERE id = 1"
            ).scalar()
        except sa.exc.ProgrammingError:
            return None
        return None if beat is None else max(0.0, time.time() - float(beat))

    def until_caught_up(self) -> None:
        with (
            self.replica.connect() as replica,
            self.primary.connect() as primary,
        ):
            for _ in range(6000):
                lag = self.lag(replica, primary)
                count = None
                with contextlib.suppress(sa.exc.ProgrammingError):
                    count = replica.exec_driver_sql(
                        "SELECT COUNT(*) FROM instances"
                    ).scalar()
                if lag is not None and lag < 0.1 and count:
                    return
                time.sleep(0.05)
        raise RuntimeError("the replica did not catch up with the fill")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        with (
            self.replica.connect() as replica,
            self.primary.connect() as primary,
        ):
            while not self._halt.wait(0.02):
                lag = self.lag(replica, primary)
                if lag is not None:
                    self.samples.append((time.monotonic(), lag))

    def stop(self) -> None:
        self._halt.set()
        self._thread.join()
        self.primary.dispose()


class _Laggard:
    """Stops the replica's replay for ``stop`` s every ``period`` s."""

    def __init__(
        self, name: str, replica: sa.Engine, stop: float, period: float
    ) -> None:
        self.name = name
        self.replica = replica
        self.pause, self.period = stop, period
        self.stops = 0
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self.replica.connect() as conn:
            while not self._halt.wait(self.period - self.pause):
                conn.exec_driver_sql(_STOP[self.name])
                self.stops += 1
                self._halt.wait(self.pause)
                conn.exec_driver_sql(_START[self.name])

    def stop(self) -> None:
        self._halt.set()
        self._thread.join()
