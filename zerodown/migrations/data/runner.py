"""Running data migrations in batches, one transaction each.

Each batch commits its data change together with the cursor where it
stopped (:mod:`.batch`), so a run killed at any moment resumes exactly
where the last commit left off.  The batch size adapts to a target time
per batch (:mod:`.sizing`); a batch that waits too long for a lock,
deadlocks or meets a serialization failure is rolled back and retried
after a backoff, smaller (:mod:`.busy`); a migration that fails is
recorded as failed and the run goes on with the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from zerodown.migrations.data import busy, state
from zerodown.migrations.data.batch import Batch, run_batch
from zerodown.migrations.data.discovery import Discovered
from zerodown.migrations.data.protocol import DataMigration, Estimating
from zerodown.migrations.data.report import (
    BatchDone,
    BusyRetry,
    MigrationFinished,
    MigrationStarted,
    OnEvent,
    Outcome,
    RunResult,
    Status,
    Stop,
)
from zerodown.migrations.data.settings import DataMigrationSettings
from zerodown.migrations.data.sizing import BatchSizer
from zerodown.migrations.data.throttle import (
    Throttle,
    Unthrottled,
    throttle_for,
)
from zerodown.migrations.errors import DataMigrationBusy

__all__ = ["run"]

LOG = logging.getLogger(__name__)


def run(
    connection: sa.Connection,
    migrations: Sequence[Discovered | DataMigration],
    settings: DataMigrationSettings | None = None,
    max_count: int | None = None,
    on_event: OnEvent | None = None,
    estimate: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
) -> RunResult:
    """Run ``migrations`` in order until each is complete, or the run is
    cut short by ``max_count`` (rows done, over all migrations) or the
    ``migrate_max_duration`` setting.

    ``connection`` must not be inside a transaction: the runner commits
    each batch.  ``on_event`` receives progress events; with
    ``estimate``, migrations that can count their remaining rows do so
    first (a full count, for progress bars).
    """
    if max_count is not None and max_count < 1:
        raise ValueError(f"max_count must be >= 1, got {max_count}")
    chosen = settings or DataMigrationSettings()
    runner = _Runner(
        connection,
        chosen,
        max_count,
        on_event or (lambda event: None),
        estimate,
        _Clock(sleep, clock),
        busy.Backoff(first=chosen.migrate_retry_delay, jitter=jitter),
    )
    return runner.run_all([_discovered(m) for m in migrations])


@dataclass(frozen=True)
class _Clock:
    sleep: Callable[[float], None]
    now: Callable[[], float]


class _Runner:
    def __init__(
        self,
        connection: sa.Connection,
        settings: DataMigrationSettings,
        max_count: int | None,
        on_event: OnEvent,
        estimate: bool,
        clock: _Clock,
        backoff: busy.Backoff,
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.budget = max_count
        self.emit = on_event
        self.estimate = estimate
        self.clock = clock
        self.backoff = backoff
        self.batches = 0
        self.deadline: float | None = None
        self.throttle: Throttle | Unthrottled = Unthrottled(settings)

    def run_all(self, items: list[Discovered]) -> RunResult:
        start = self.clock.now()
        if self.settings.migrate_max_duration is not None:
            self.deadline = start + self.settings.migrate_max_duration
        outcomes: list[Outcome] = []
        stopped = Stop.DONE
        with self._session():
            states = self._prepare(items)
            for item in items:
                known = states.get(item.name)
                if known is not None and known.complete:
                    status = Status.COMPLETE
                elif stopped is not Stop.DONE:
                    status = Status.PENDING
                else:
                    outcome, stop = self._one(item, known)
                    outcomes.append(outcome)
                    stopped = stop or stopped
                    continue
                outcomes.append(Outcome(item.name, item.kind, status))
        return RunResult(tuple(outcomes), stopped, self.clock.now() - start)

    @contextlib.contextmanager
    def _session(self) -> Iterator[None]:
        _settle(self.connection)
        self.throttle = throttle_for(
            self.connection,
            self.settings,
            self.emit,
            self.clock.sleep,
            self.clock.now,
        )
        try:
            with (
                busy.lock_timeout(
                    self.connection, self.settings.migrate_lock_timeout
                ),
                _read_committed(self.connection),
            ):
                yield
        finally:
            self.throttle.close()

    def _prepare(
        self, items: list[Discovered]
    ) -> dict[str, state.MigrationState]:
        code = [(i.name, i.revision) for i in items if i.kind == state.CODE]

        def prepare() -> dict[str, state.MigrationState]:
            with self.connection.begin():
                busy.apply_lock_timeout(
                    self.connection, self.settings.migrate_lock_timeout
                )
                state.ensure_rows(self.connection, code)
                return state.load(self.connection)

        def on_busy(attempt: int, delay: float, err: BaseException) -> None:
            reason = busy.describe(err)
            self.emit(BusyRetry(state.TABLE.name, attempt, delay, reason, 0))

        loaded, _ = self._retrying(state.TABLE.name, prepare, on_busy)
        return loaded

    def _one(
        self, item: Discovered, known: state.MigrationState | None
    ) -> tuple[Outcome, Stop | None]:
        estimate = self._estimate(item, known)
        self.emit(MigrationStarted(item.name, item.kind, estimate))
        LOG.info("data migration %s: starting", item.name)
        sizer = self._sizer()
        totals = _Totals()
        status, error, stop = Status.PENDING, None, self._go_on(item, sizer)
        while stop is None:
            try:
                batch = self._batch(item, sizer)
            except Exception as err:
                status, error = Status.FAILED, self._failed(item, err)
                break
            self._account(item, batch, totals)
            if batch.complete or batch.stalled:
                status = Status.COMPLETE if batch.complete else Status.STALLED
                break
            sizer.observe(max(batch.found, batch.done), batch.seconds)
            stop = self._should_stop()
            if stop is None:
                pause = self.throttle.pause(item.name)
                if pause:
                    self.clock.sleep(pause)
                stop = self._go_on(item, sizer)
        outcome = totals.outcome(item, status, error)
        LOG.info(
            "data migration %s: %s (found %d, done %d, %d batches)",
            item.name,
            status,
            outcome.found,
            outcome.done,
            outcome.batches,
        )
        self.emit(MigrationFinished(outcome))
        return outcome, stop

    def _batch(self, item: Discovered, sizer: BatchSizer) -> Batch:
        def attempt() -> Batch:
            return run_batch(
                self.connection,
                item.migration,
                self._size(sizer),
                self.settings.migrate_lock_timeout,
                self.clock.now,
                self.settings.migrate_synchronous_commit,
            )

        def on_busy(attempt: int, delay: float, err: BaseException) -> None:
            sizer.busy()
            reason = busy.describe(err)
            self.emit(
                BusyRetry(item.name, attempt, delay, reason, self._size(sizer))
            )

        batch, attempts = self._retrying(item.name, attempt, on_busy)
        return dataclasses.replace(batch, attempts=attempts)

    def _retrying(
        self,
        name: str,
        action: Callable[[], busy.T],
        on_busy: Callable[[int, float, BaseException], None] | None = None,
    ) -> tuple[busy.T, int]:
        def told(attempt: int, delay: float, err: BaseException) -> None:
            LOG.warning(
                "%s: database busy (%s); retry %d/%d in %.2fs",
                name,
                busy.describe(err),
                attempt,
                self.settings.migrate_retries,
                delay,
            )
            if on_busy is not None:
                on_busy(attempt, delay, err)

        return busy.retrying(
            name,
            action,
            self.settings.migrate_retries,
            self.backoff,
            told,
            self.clock.sleep,
        )

    def _account(
        self, item: Discovered, batch: Batch, totals: _Totals
    ) -> None:
        totals.add(batch)
        self.batches += 1
        if self.budget is not None:
            self.budget -= batch.done
        self.emit(totals.event(item.name, batch))

    def _size(self, sizer: BatchSizer) -> int:
        if self.budget is None:
            return sizer.size
        return max(1, min(sizer.size, self.budget))

    def _should_stop(self) -> Stop | None:
        if self.budget is not None and self.budget <= 0:
            return Stop.MAX_COUNT
        # Every run does one batch at least, whatever its time limit.
        if (
            self.deadline is not None
            and self.batches
            and self.clock.now() >= self.deadline
        ):
            return Stop.MAX_DURATION
        return None

    def _go_on(self, item: Discovered, sizer: BatchSizer) -> Stop | None:
        """None to run the next batch (after any wait the throttle asks
        for), or why to stop."""
        stop = self._should_stop()
        if stop is None:
            stop = self.throttle.wait(item.name, self._should_stop)
        sizer.target = self.throttle.batch_time
        return stop

    def _sizer(self) -> BatchSizer:
        s = self.settings
        return BatchSizer(
            target=s.migrate_batch_time,
            initial=s.migrate_batch_size or s.migrate_initial_batch_size,
            minimum=s.migrate_min_batch_size,
            maximum=max(s.migrate_max_batch_size, s.migrate_batch_size or 1),
            fixed=s.migrate_batch_size is not None,
        )

    def _estimate(
        self, item: Discovered, known: state.MigrationState | None
    ) -> int | None:
        migration = item.migration
        if not self.estimate or not isinstance(migration, Estimating):
            return None
        try:
            cursor = known.cursor if known else {}
            return migration.estimate(self.connection, cursor)
        except Exception as err:  # a count is only for the progress bar
            LOG.warning("cannot estimate %s: %s", item.name, err)
            return None
        finally:
            _rollback(self.connection)

    def _failed(self, item: Discovered, err: Exception) -> str:
        reason = str(err) if isinstance(err, DataMigrationBusy) else None
        reason = reason or busy.describe(err)
        expected = isinstance(err, (DataMigrationBusy, sa.exc.DBAPIError))
        LOG.error(
            "data migration %s failed: %s",
            item.name,
            reason,
            exc_info=not expected,
        )
        _rollback(self.connection)
        state.record_failure(self.connection, item.name, reason)
        return reason


@dataclass
class _Totals:
    found: int = 0
    done: int = 0
    batches: int = 0
    seconds: float = 0.0

    def add(self, batch: Batch) -> None:
        self.found += batch.found
        self.done += batch.done
        self.batches += 1
        self.seconds += batch.seconds

    def event(self, name: str, batch: Batch) -> BatchDone:
        return BatchDone(
            name=name,
            found=batch.found,
            done=batch.done,
            total_found=self.found,
            total_done=self.done,
            batch_size=batch.size,
            seconds=batch.seconds,
            attempts=batch.attempts,
            complete=batch.complete,
        )

    def outcome(
        self, item: Discovered, status: Status, error: str | None
    ) -> Outcome:
        return Outcome(
            item.name,
            item.kind,
            status,
            self.found,
            self.done,
            self.batches,
            self.seconds,
            error,
        )


def _discovered(migration: Discovered | DataMigration) -> Discovered:
    if isinstance(migration, Discovered):
        return migration
    return Discovered(migration, state.CODE, None, "given")


@contextlib.contextmanager
def _read_committed(connection: sa.Connection) -> Iterator[None]:
    # MySQL's REPEATABLE READ takes gap locks on the ranges a batch scans,
    # blocking inserts into them; a backfill needs no snapshot across its
    # statements, so its batches run READ COMMITTED (PostgreSQL's default).
    if connection.dialect.name != "mysql":
        yield
        return
    before = connection.get_isolation_level()
    _settle(connection)
    connection.execution_options(isolation_level="READ COMMITTED")
    try:
        yield
    finally:
        _rollback(connection)
        connection.execution_options(isolation_level=before)


def _settle(connection: sa.Connection) -> None:
    if connection.in_transaction():
        connection.commit()


def _rollback(connection: sa.Connection) -> None:
    if connection.in_transaction():
        connection.rollback()
