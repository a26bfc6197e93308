"""Settings of ``zerodown db migrate`` (read through :mod:`zerodown.config`).

Set them in ``[zerodown]`` of alembic.ini, ``[tool.zerodown]`` of
pyproject.toml or ``ZERODOWN_<NAME>``; the command's flags override them.
"""

from __future__ import annotations

from dataclasses import dataclass

from zerodown.exceptions import ConfigError
from zerodown.migrations.data.signals import parse_limits

__all__ = ["DataMigrationSettings"]


@dataclass(frozen=True)
class DataMigrationSettings:
    """How data migrations are found and run.

    :param data_migrations: dotted paths of modules whose data migrations
        run besides those of the applied revisions (the module's
        ``data_migrations`` list, or else every ``@data_migration`` in it).
    :param migrate_batch_size: a fixed number of rows per batch; unset,
        the size adapts to ``migrate_batch_time``.
    :param migrate_initial_batch_size: the first batch's size when
        adapting.
    :param migrate_min_batch_size: the smallest adaptive size.
    :param migrate_max_batch_size: the largest adaptive size.
    :param migrate_batch_time: seconds a batch should take.  A batch holds
        the locks of its rows until it commits, so this bounds how long a
        writer can wait on a row being migrated (pt-osc's ``chunk-time``,
        whose default of 0.5 s is too long for interactive writers).
    :param migrate_sleep: seconds to pause after each batch (gives the
        writers the database back; the runner's duty cycle).
    :param migrate_max_duration: stop starting batches after this many
        seconds (unset: run until done).
    :param migrate_lock_timeout: seconds a batch may wait for a row lock
        before it rolls back and retries (whole seconds, at least 1, on
        MySQL/MariaDB).
    :param migrate_retries: retries of a busy batch (lock timeout,
        deadlock) before the migration is marked failed.
    :param migrate_retry_delay: first wait before a retry, in seconds; it
        doubles each time (up to 10 s), with random jitter.
    :param migrate_synchronous_commit: PostgreSQL: make each batch's
        commit wait for its WAL flush.  Off by default: a batch and its
        cursor commit together, so a server crash that loses the last
        batches loses their cursor too and the next run redoes them.
    :param migrate_max_impact: the latency budget: how many times its p99
        before the run a probe transaction may take while batches run
        (e.g. 2.0); the runner paces batch size and pause to stay within
        it (:mod:`.controller`).  Unset: no budget, batches back to back.
    :param migrate_max_load: ``NAME=VALUE`` limits on the database's
        signals (:mod:`.signals`: ``active``, ``lock_waits``, or a MySQL
        global status variable); the run pauses while one is exceeded.
    :param migrate_critical_load: ``NAME=VALUE`` limits past which the
        run stops (cursor saved, exit code 3).
    :param migrate_replicas: URLs of replicas whose lag is watched.
    :param migrate_max_replica_lag: seconds any of ``migrate_replicas``
        may be behind; the run pauses while one is further behind.
    :param migrate_baseline_time: seconds the probe runs alone before the
        first batch, to take the baseline the budget multiplies.
    :param migrate_probe_interval: seconds between two probes (and
        between two heartbeats a MySQL/MariaDB replica's lag is read from).
    :param migrate_check_interval: seconds between two checks while the
        run is paused by a load limit or a lagging replica.
    """

    data_migrations: tuple[str, ...] = ()
    migrate_batch_size: int | None = None
    migrate_initial_batch_size: int = 1000
    migrate_min_batch_size: int = 10
    migrate_max_batch_size: int = 50_000
    migrate_batch_time: float = 0.1
    migrate_sleep: float = 0.0
    migrate_max_duration: float | None = None
    migrate_lock_timeout: float = 1.0
    migrate_retries: int = 10
    migrate_retry_delay: float = 0.1
    migrate_synchronous_commit: bool = False
    migrate_max_impact: float | None = None
    migrate_max_load: tuple[str, ...] = ()
    migrate_critical_load: tuple[str, ...] = ()
    migrate_replicas: tuple[str, ...] = ()
    migrate_max_replica_lag: float | None = None
    migrate_baseline_time: float = 2.0
    migrate_probe_interval: float = 0.01
    migrate_check_interval: float = 0.1

    @property
    def throttled(self) -> bool:
        """Whether anything watches the database while batches run."""
        return bool(
            self.migrate_max_impact is not None
            or self.migrate_max_load
            or self.migrate_critical_load
            or self.migrate_replicas
        )

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be {rule}"
            for name, ok, rule in (
                (
                    "migrate_batch_size",
                    self.migrate_batch_size is None
                    or self.migrate_batch_size >= 1,
                    ">= 1",
                ),
                (
                    "migrate_min_batch_size",
                    1
                    <= self.migrate_min_batch_size
                    <= self.migrate_max_batch_size,
                    "between 1 and migrate_max_batch_size",
                ),
                (
                    "migrate_initial_batch_size",
                    self.migrate_initial_batch_size >= 1,
                    ">= 1",
                ),
                ("migrate_batch_time", self.migrate_batch_time > 0, "> 0"),
                ("migrate_sleep", self.migrate_sleep >= 0, ">= 0"),
                (
                    "migrate_max_duration",
                    self.migrate_max_duration is None
                    or self.migrate_max_duration > 0,
                    "> 0",
                ),
                (
                    "migrate_lock_timeout",
                    self.migrate_lock_timeout > 0,
                    "> 0",
                ),
                ("migrate_retries", self.migrate_retries >= 0, ">= 0"),
                (
                    "migrate_retry_delay",
                    self.migrate_retry_delay >= 0,
                    ">= 0",
                ),
                (
                    "migrate_max_impact",
                    self.migrate_max_impact is None
                    or self.migrate_max_impact > 1,
                    "> 1 (a multiple of the baseline p99)",
                ),
                (
                    "migrate_max_replica_lag",
                    (self.migrate_max_replica_lag is None)
                    == (not self.migrate_replicas)
                    and (
                        self.migrate_max_replica_lag is None
                        or self.migrate_max_replica_lag > 0
                    ),
                    "> 0, and set together with migrate_replicas",
                ),
                (
                    "migrate_baseline_time",
                    self.migrate_baseline_time > 0,
                    "> 0",
                ),
                (
                    "migrate_probe_interval",
                    0 < self.migrate_probe_interval <= 1,
                    "> 0 and <= 1",
                ),
                (
                    "migrate_check_interval",
                    self.migrate_check_interval > 0,
                    "> 0",
                ),
            )
            if not ok
        ]
        if problems:
            raise ConfigError(problem="; ".join(problems))
        # NAME=VALUE items: parsed here so that a typo fails at once.
        parse_limits("migrate_max_load", self.migrate_max_load)
        parse_limits("migrate_critical_load", self.migrate_critical_load)
