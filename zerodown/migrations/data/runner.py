"""Running data migrations in batches, one transaction each.

For every batch the runner opens a transaction, locks the migration's row
of the state table and reads its cursor, calls the migration, and stores
the new cursor and the counts in that same transaction before it commits.
Killed at any moment, a run leaves either the whole batch and its cursor
or neither, so the next run resumes exactly where the last commit left
off.

The batch size adapts to a target time per batch (:mod:`.sizing`); a
batch that waits too long for a lock, deadlocks or hits a serialization
failure is rolled back and retried after a backoff, smaller (:mod:`.busy`);
a migration that fails is recorded as failed and the run goes on with the
others.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from zerodown.exceptions import DataMigrationBusy, InvalidDataMigration
from zerodown.migrations.data import busy, state
from zerodown.migrations.data.discovery import Discovered
from zerodown.migrations.data.protocol import (
    DataContext,
    DataMigration,
    Estimating,
)
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
    items = [_discovered(m) for m in migrations]
    runner = _Runner(
        connection,
        settings or DataMigrationSettings(),
        max_count,
        on_event or (lambda event: None),
        estimate,
        _Clock(sleep, clock),
        busy.Backoff(jitter=jitter),
    )
    return runner.run_all(items)


@dataclass(frozen=True)
class _Clock:
    sleep: Callable[[float], None]
    now: Callable[[], float]


@dataclass(frozen=True)
class _Batch:
    found: int
    done: int
    complete: bool
    stalled: bool
    seconds: float
    attempts: int = 1


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
        backoff.first = settings.migrate_retry_delay
        self.batches = 0
        self.deadline: float | None = None

    def run_all(self, items: list[Discovered]) -> RunResult:
        start = self.clock.now()
        if self.settings.migrate_max_duration is not None:
            self.deadline = start + self.settings.migrate_max_duration
        states = self._prepare(items)
        outcomes: list[Outcome] = []
        stopped = Stop.DONE
        with self._session():
            for item in items:
                known = states.get(item.name)
                if known is not None and known.complete:
                    outcomes.append(
                        Outcome(item.name, item.kind, Status.COMPLETE)
                    )
                    continue
                if stopped is not Stop.DONE:
                    outcomes.append(
                        Outcome(item.name, item.kind, Status.PENDING)
                    )
                    continue
                outcome, stop = self._one(item, known)
                outcomes.append(outcome)
                stopped = stop or stopped
        return RunResult(tuple(outcomes), stopped, self.clock.now() - start)

    def _prepare(
        self, items: list[Discovered]
    ) -> dict[str, state.MigrationState]:
        _settle(self.connection)
        code = [(i.name, i.revision) for i in items if i.kind == state.CODE]
        state.ensure_rows(self.connection, code)
        loaded = state.load(self.connection)
        _settle(self.connection)
        return loaded

    @contextlib.contextmanager
    def _session(self) -> Iterator[None]:
        with (
            busy.lock_timeout(
                self.connection, self.settings.migrate_lock_timeout
            ),
            _read_committed(self.connection),
        ):
            yield

    def _one(
        self, item: Discovered, known: state.MigrationState | None
    ) -> tuple[Outcome, Stop | None]:
        self.emit(
            MigrationStarted(item.name, item.kind, self._estimate(item, known))
        )
        LOG.info("data migration %s: starting", item.name)
        sizer = self._sizer()
        totals = _Totals()
        stop: Stop | None = None
        status = Status.PENDING
        error: str | None = None
        while True:
            stop = self._should_stop()
            if stop is not None:
                break
            size = sizer.size
            if self.budget is not None:
                size = min(size, self.budget)
            try:
                batch = self._retrying(item, size, sizer)
            except Exception as err:
                status, error = Status.FAILED, self._failed(item, err)
                break
            totals.add(batch)
            self.batches += 1
            if self.budget is not None:
                self.budget -= batch.done
            self.emit(totals.event(item.name, batch, size))
            if batch.complete or batch.stalled:
                status = Status.COMPLETE if batch.complete else Status.STALLED
                break
            sizer.observe(max(batch.found, batch.done), batch.seconds)
            if self.settings.migrate_sleep:
                self.clock.sleep(self.settings.migrate_sleep)
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

    def _sizer(self) -> BatchSizer:
        s = self.settings
        fixed = s.migrate_batch_size is not None
        return BatchSizer(
            target=s.migrate_batch_time,
            initial=s.migrate_batch_size or s.migrate_initial_batch_size,
            minimum=s.migrate_min_batch_size,
            maximum=max(s.migrate_max_batch_size, s.migrate_batch_size or 1),
            fixed=fixed,
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

    def _retrying(
        self, item: Discovered, size: int, sizer: BatchSizer
    ) -> _Batch:
        attempt = 1
        while True:
            try:
                batch = self._batch(item, size)
            except Exception as err:
                if not busy.is_busy(err):
                    raise
                if attempt > self.settings.migrate_retries:
                    raise DataMigrationBusy(
                        name=item.name,
                        attempts=attempt,
                        reason=busy.describe(err),
                    ) from err
                size = self._backoff(item, attempt, err, sizer)
                attempt += 1
                continue
            if attempt == 1:
                return batch
            return dataclasses.replace(batch, attempts=attempt)

    def _backoff(
        self, item: Discovered, attempt: int, err: Exception, sizer: BatchSizer
    ) -> int:
        delay = self.backoff.delay(attempt)
        size = sizer.busy()
        if self.budget is not None:
            size = min(size, self.budget)
        reason = busy.describe(err)
        LOG.warning(
            "data migration %s: database busy (%s); retry %d/%d in %.2fs",
            item.name,
            reason,
            attempt,
            self.settings.migrate_retries,
            delay,
        )
        self.emit(BusyRetry(item.name, attempt, delay, reason, size))
        self.clock.sleep(delay)
        return size

    def _batch(self, item: Discovered, size: int) -> _Batch:
        connection = self.connection
        started = self.clock.now()
        with connection.begin():
            busy.apply_lock_timeout(
                connection, self.settings.migrate_lock_timeout
            )
            row = state.claim(connection, item.name)
            if row.complete:  # another runner finished it meanwhile
                return _Batch(0, 0, True, False, 0.0)
            before = state.dumps_cursor(row.cursor, item.name)
            ctx = DataContext(connection, copy.deepcopy(row.cursor), item.name)
            found, done = _counts(item.name, item.migration(ctx, size))
            after = state.dumps_cursor(ctx.cursor, item.name)
            complete = found == 0
            state.record_batch(
                connection, item.name, after, found, done, complete
            )
        stalled = bool(found) and not done and after == before
        return _Batch(
            found, done, complete, stalled, self.clock.now() - started
        )

    def _failed(self, item: Discovered, err: Exception) -> str:
        reason = str(err) if isinstance(err, DataMigrationBusy) else None
        reason = reason or busy.describe(err)
        LOG.error(
            "data migration %s failed: %s",
            item.name,
            reason,
            exc_info=not isinstance(
                err, (DataMigrationBusy, sa.exc.DBAPIError)
            ),
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

    def add(self, batch: _Batch) -> None:
        self.found += batch.found
        self.done += batch.done
        self.batches += 1
        self.seconds += batch.seconds

    def event(self, name: str, batch: _Batch, size: int) -> BatchDone:
        return BatchDone(
            name=name,
            found=batch.found,
            done=batch.done,
            total_found=self.found,
            total_done=self.done,
            batch_size=size,
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


def _counts(name: str, result: object) -> tuple[int, int]:
    if (
        isinstance(result, tuple)
        and len(result) == 2
        and all(isinstance(n, int) and n >= 0 for n in result)
    ):
        return int(result[0]), int(result[1])
    raise InvalidDataMigration(
        source=name,
        problem=f"returned {result!r}; a data migration returns (found, "
        "done), two integers >= 0",
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
    _settle(connection)
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
