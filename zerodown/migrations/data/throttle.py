"""The runner's brake: between two batches, ask whether to go on, and when.

Built from the settings when any of ``migrate_max_impact``,
``migrate_max_load``, ``migrate_critical_load`` or ``migrate_replicas`` is
set (otherwise :class:`Unthrottled` answers "go, no pause").  It owns the
watching thread (:mod:`.watch`), the replicas (:mod:`.replicas`) and the
latency controller (:mod:`.controller`), and tells the runner:

- :meth:`Throttle.wait`, before each batch: stop (a ``--critical-load``
  limit passed: :attr:`Stop.CRITICAL_LOAD`), or wait while a
  ``--max-load`` limit is passed or a replica is further behind than
  ``--max-replica-lag`` (checked again every ``migrate_check_interval``),
  then go.  The first call takes the baseline;
- :meth:`Throttle.pause`, after each batch: the pause the controller
  wants, and :attr:`Throttle.batch_time`, the time a batch should take.

Every decision goes to the run's events (``baseline``, ``pace``,
``paused``, ``resumed``, ``critical-load``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from zerodown.exceptions import ConfigError
from zerodown.migrations.data import signals
from zerodown.migrations.data.controller import Controller, percentile
from zerodown.migrations.data.replicas import Replica, open_replicas
from zerodown.migrations.data.report import (
    Baseline,
    CriticalLoad,
    OnEvent,
    Paced,
    Paused,
    Resumed,
    Stop,
)
from zerodown.migrations.data.settings import DataMigrationSettings
from zerodown.migrations.data.watch import Samples, Watch
from zerodown.migrations.database import create_engine

__all__ = ["Throttle", "Unthrottled", "throttle_for"]

LOG = logging.getLogger(__name__)

ShouldStop = Callable[[], "Stop | None"]


class Unthrottled:
    """No limits set: go at once, pause only ``migrate_sleep``."""

    def __init__(self, settings: DataMigrationSettings) -> None:
        self.batch_time = settings.migrate_batch_time
        self.sleep = settings.migrate_sleep

    def wait(self, name: str, should_stop: ShouldStop) -> Stop | None:
        return None

    def pause(self, name: str) -> float:
        return self.sleep

    def close(self) -> None:
        pass


def throttle_for(
    connection: sa.Connection,
    settings: DataMigrationSettings,
    emit: OnEvent,
    sleep: Callable[[float], None],
    now: Callable[[], float],
) -> Throttle | Unthrottled:
    """The brake the settings ask for (checked against the backend)."""
    if not settings.throttled:
        return Unthrottled(settings)
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "mysql"):
        raise ConfigError(
            problem=f"{dialect} tells no load or lag: migrate_max_impact, "
            "migrate_max_load, migrate_critical_load and migrate_replicas "
            "need PostgreSQL or MySQL/MariaDB (pace SQLite with "
            "migrate_sleep)"
        )
    return Throttle(connection, settings, emit, sleep, now)


class Throttle:
    """Watches the primary (and replicas) for one run."""

    def __init__(
        self,
        connection: sa.Connection,
        settings: DataMigrationSettings,
        emit: OnEvent,
        sleep: Callable[[float], None],
        now: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.emit = emit
        self.sleep = sleep
        self.now = now
        self.max_load = signals.parse_limits(
            "migrate_max_load", settings.migrate_max_load
        )
        self.critical = signals.parse_limits(
            "migrate_critical_load", settings.migrate_critical_load
        )
        limits = (*self.max_load, *self.critical)
        signals.check_backend(connection.dialect.name, limits)
        url = connection.engine.url.render_as_string(hide_password=False)
        self.engine = create_engine(url)
        heartbeat = bool(settings.migrate_replicas) and (
            connection.dialect.name == "mysql"
        )
        self.watch = Watch(
            self.engine,
            probe=settings.migrate_max_impact is not None or heartbeat,
            interval=settings.migrate_probe_interval,
            names=[limit.name for limit in limits],
            runner=_backend_pid(connection),
        )
        self.primary = connection
        self.replicas: list[Replica] = []
        self.controller: Controller | None = None
        self.batch_time = settings.migrate_batch_time
        self._window = Samples()
        self._window_opened = 0.0
        self._started = False

    def wait(self, name: str, should_stop: ShouldStop) -> Stop | None:
        """Before a batch: stop, wait, or go (None)."""
        # A batch that ended a migration had no pause() after it.
        self.watch.batch_ended()
        if not self._started:
            self._start()
        paused_at: float | None = None
        while True:
            if critical := signals.over(self.watch.latest, self.critical):
                LOG.warning("critical load: %s; stopping", ", ".join(critical))
                self.emit(CriticalLoad(name, tuple(critical)))
                return Stop.CRITICAL_LOAD
            reasons = signals.over(self.watch.latest, self.max_load)
            reasons += self._lagging()
            if not reasons:
                break
            if paused_at is None:
                paused_at = self.now()
                LOG.info("pausing: %s", ", ".join(reasons))
                self.emit(Paused(name, tuple(reasons)))
            if stop := should_stop():
                return stop
            self.sleep(self.settings.migrate_check_interval)
        if paused_at is not None:
            self.emit(Resumed(name, self.now() - paused_at))
            self.watch.take()  # probes of a pause say nothing of the pace
            self._new_window()
        self.watch.batch_started()
        return None

    def pause(self, name: str) -> float:
        """After a batch: how long to pause (the controller decides)."""
        self.watch.batch_ended()
        if self.controller is None:
            return self.settings.migrate_sleep
        self._collect()
        lock_waits = self._window.mean(signals.LOCK_WAITS)
        decision = self.controller.decide(
            self._window.latencies,
            lock_waits,
            idle=self._window.idle,
            elapsed=self.now() - self._window_opened,
        )
        if decision is not None:
            if decision.action == "rebaseline":
                LOG.warning(
                    "over the latency budget with no batch running: the "
                    "baseline moves to %.1f ms",
                    self.controller.baseline_p99 * 1000,
                )
            self._new_window()
            self.batch_time = decision.pace.batch_time
            self.emit(
                Paced(
                    name,
                    decision.action,
                    round(decision.pace.batch_time, 4),
                    round(decision.pace.pause, 4),
                    round(decision.pace.duty, 4),
                    round(decision.p99 * 1000, 3),
                    round(decision.ratio, 3),
                    decision.samples,
                    lock_waits,
                    round(self.controller.baseline_p99 * 1000, 3),
                )
            )
        assert self.controller is not None
        return max(self.settings.migrate_sleep, self.controller.pace.pause)

    def close(self) -> None:
        if self._started:
            self.watch.stop()
        for replica in self.replicas:
            replica.close()
        self.engine.dispose()

    def _start(self) -> None:
        self._started = True
        if self.settings.migrate_replicas:
            self.replicas = open_replicas(
                self.settings.migrate_replicas, self.primary, self.watch.row
            )
        self.watch.start()
        names = {limit.name for limit in (*self.max_load, *self.critical)}
        signals.check_names_in(self.watch.latest, names)
        if self.settings.migrate_max_impact is None:
            self.emit(Baseline(None, None, None, 0, dict(self.watch.latest)))
            return
        self.sleep(self.settings.migrate_baseline_time)
        base = self.watch.take()
        if not base.latencies:
            raise ConfigError(problem="the probe could not run (see the log)")
        p50 = percentile(base.latencies, 0.5)
        p99 = percentile(base.latencies, 0.99)
        self.controller = Controller(
            max_impact=self.settings.migrate_max_impact,
            baseline_p99=p99,
            batch_time=self.settings.migrate_batch_time,
            baseline_lock_waits=base.mean(signals.LOCK_WAITS),
        )
        self.batch_time = self.controller.pace.batch_time
        self._new_window()
        self.emit(
            Baseline(
                round(p50 * 1000, 3),
                round(p99 * 1000, 3),
                round(self.controller.budget * 1000, 3),
                len(base.latencies),
                {k: v for k, v in self.watch.latest.items()},
            )
        )

    def _collect(self) -> None:
        taken = self.watch.take()
        self._window.latencies += taken.latencies
        self._window.idle += taken.idle
        self._window.signals += taken.signals

    def _new_window(self) -> None:
        self._window = Samples()
        self._window_opened = self.now()

    def _lagging(self) -> list[str]:
        limit = self.settings.migrate_max_replica_lag
        if limit is None:
            return []
        lags = [replica.lag() for replica in self.replicas]
        return [f"{lag} > {limit:g}s" for lag in lags if lag.over(limit)]


def _backend_pid(connection: sa.Connection) -> int:
    """The PostgreSQL pid of the runner's own session (0 elsewhere)."""
    if connection.dialect.name != "postgresql":
        return 0
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    connection.commit()
    return int(pid or 0)
