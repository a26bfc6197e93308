"""The one place online operations' steps run.

Alembic dispatches every :class:`OnlineOperation` here (one
``implementation_for`` on the base class).  The phase and direction of the
running revision pick the steps; the steps then go back through the
guarded ``op`` proxy, so they are phase-checked, lock-timed and journaled
like hand-written operations.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations, ops

from zerodown.migrations import guard, runtime, sqltext
from zerodown.migrations.errors import MigrationError, OperationRefused
from zerodown.migrations.locking import cleanup_between_attempts
from zerodown.migrations.operations import backfills, offline
from zerodown.migrations.operations.base import (
    Backfill,
    Check,
    OnlineOperation,
    Step,
    Target,
)
from zerodown.migrations.operations.reflected import Reflected
from zerodown.migrations.phases import Phase
from zerodown.migrations.runtime import RunningStep, current_step
from zerodown.migrations.sqltext import literal

__all__ = ["plan", "run", "target_of"]

LOG = logging.getLogger(__name__)


@Operations.implementation_for(OnlineOperation)
def run(operations: Operations, operation: OnlineOperation) -> None:
    step = current_step()
    if step is None or step.phase is None:
        raise MigrationError(
            problem=f"online operation {operation.name} must run inside a "
            "revision of zerodown's expand or contract branch (env.py "
            "calls zerodown.migrations.env.run_migrations)"
        )
    target = _target(operations)
    if step.direction == "upgrade" and step.phase is Phase.EXPAND:
        operation.validate(target)
    # Planned before anything runs: the steps may drop what it inspects.
    # The plan first: a contract's downgrade is refused before the backfill
    # looks for a column the contract dropped.
    actions = plan(operation, step, target)
    work = operation.backfill(target)
    for action in actions:
        _execute(operations, action)
    if work is not None:
        _track_backfill(operations, work, step)


def plan(
    operation: OnlineOperation, step: RunningStep, target: Target
) -> Sequence[Step]:
    """The steps ``operation`` takes in the running revision."""
    if step.direction == "upgrade":
        if step.phase is Phase.EXPAND:
            return operation.expand(target)
        return [*_copied(operation, target), *operation.contract(target)]
    if step.phase is Phase.EXPAND:
        return operation.rollback(target)
    return operation.uncontract(target)


def _copied(operation: OnlineOperation, target: Target) -> list[Step]:
    """Before a contract drops anything: every row the backfill would
    still copy is copied.  The gate says the same, but ``--force`` passes
    the gate, and this would lose the rows' data; the dual-write triggers
    keep it true once true."""
    work = operation.backfill(target)
    if work is None or not work.where:
        return []
    return [
        Step(
            f"check that {work.name} left no row to copy",
            check=Check(
                query=f"SELECT 1 FROM {target.quote(work.table)} "
                f"WHERE {work.where} LIMIT 1",
                operation=operation.name,
                target=operation.target_name,
                why=f"its backfill {work.name} still has rows to copy, "
                "whose data the contract would drop (even with --force): "
                "run 'zerodown db migrate' until it exits 0",
            ),
        )
    ]


def _execute(operations: Operations, action: Step) -> None:
    LOG.info("%s", action.description)
    step = current_step()
    journaled = len(step.journal) if step else 0
    with _waived(action):
        if action.autocommit:
            # Offline, the block renders COMMIT before and BEGIN after.
            with operations.get_context().autocommit_block():
                _committed()  # the block committed what ran before it
                _cleaned(operations, action)
            _committed()
        else:
            _cleaned(operations, action)
    if action.undo is not None:
        runtime.undone_by(journaled, _as_operation(action.undo))


def _as_operation(
    undo: str | ops.MigrateOperation,
) -> ops.MigrateOperation:
    return ops.ExecuteSQLOp(literal(undo)) if isinstance(undo, str) else undo


def _committed() -> None:
    step = current_step()
    if step is not None:
        step.committed = len(step.journal)


@contextlib.contextmanager
def _waived(action: Step) -> Iterator[None]:
    """Let the guard pass the one step whose waiver says why it is safe."""
    step = current_step()
    if action.waiver is None or step is None:
        yield
        return
    operation = action.operation or ops.ExecuteSQLOp(action.sql or "")
    kind = guard.classify(operation).kind
    saved = step.exceptions
    step.exceptions = (*saved, guard.allow(kind, "*", reason=action.waiver))
    try:
        yield
    finally:
        step.exceptions = saved


def _cleaned(operations: Operations, action: Step) -> None:
    if action.cleanup is None or operations.migration_context.as_sql:
        _one(operations, action)
        return
    with cleanup_between_attempts(action.cleanup):
        try:
            _one(operations, action)
        except Exception:
            _clean_up(operations, action.cleanup)
            raise


def _clean_up(operations: Operations, sql: str) -> None:
    # Best effort: what it leaves, the operation's next run repairs.
    LOG.warning("the step failed; cleaning up: %s", sql)
    try:
        operations.migration_context.impl._exec(literal(sql))
    except Exception as err:  # logged; the original error is what counts
        LOG.warning("cleanup failed, the next run repairs: %s", err)


def _one(operations: Operations, action: Step) -> None:
    operation = action.operation
    if action.check is not None:
        _check(operations, action.check)
    elif operation is None:
        operations.execute(literal(action.sql or ""))
    elif _needs_batch(operations, operation):
        # SQLite cannot ALTER a column; Alembic's batch mode rebuilds the
        # table, which drops its triggers.  The operation's own are gone
        # by then (its steps are ordered around that); another
        # operation's, still in flight (releases N+1 and N+2 both
        # expanded), are made again on the new table.
        table = _table_of(operation)
        kept = _sqlite_triggers(operations, table)
        with operations.batch_alter_table(table) as batch:
            batch.invoke(operation)
        _recreate_triggers(operations, table, kept)
    else:
        operations.invoke(operation)


def _check(operations: Operations, check: Check) -> None:
    if operations.migration_context.as_sql:
        # The script stops where the online run would refuse.
        target = _target(operations)
        for sql in offline.check_statements(check, target):
            scaffold = Step(
                "check", sql=sql, waiver="the check's own scaffolding"
            )
            with _waived(scaffold):
                operations.execute(literal(sql))
        return
    row = operations.get_bind().execute(literal(check.query)).first()
    if row is not None:
        raise OperationRefused(
            operation=check.operation,
            target=check.target,
            why=check.why.format(row=tuple(row)),
        )


def _comment(text: str) -> str:
    # One line: a name or an expression could hold a line break, and
    # what follows it would no longer be a comment.
    return "-- " + " ".join(text.split())


def _table_of(operation: ops.MigrateOperation) -> str:
    if isinstance(operation, ops.CreateForeignKeyOp):
        return operation.source_table
    return str(operation.table_name)  # type: ignore[attr-defined]


def _sqlite_triggers(operations: Operations, table: str) -> dict[str, str]:
    """The triggers on ``table``: name -> the ``CREATE TRIGGER`` text."""
    if operations.migration_context.as_sql:
        return {}  # offline a rebuild is refused before it gets here
    rows = operations.get_bind().execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = :table"
        ),
        {"table": table},
    )
    return {str(name): str(sql) for name, sql in rows}


def _recreate_triggers(
    operations: Operations, table: str, kept: dict[str, str]
) -> None:
    left = _sqlite_triggers(operations, table)
    for name, sql in kept.items():
        if name not in left:
            # Past the phase guard: it is no addition, only the same
            # trigger again (contract would refuse a CREATE).
            LOG.info("recreating trigger %s after rebuilding %s", name, table)
            operations.migration_context.impl._exec(literal(sql))


def _needs_batch(operations: Operations, operation: object) -> bool:
    # SQLite cannot ALTER a column or a constraint in place.
    return operations.migration_context.dialect.name == "sqlite" and (
        isinstance(
            operation,
            (ops.AlterColumnOp, ops.AddConstraintOp, ops.DropConstraintOp),
        )
    )


def _track_backfill(
    operations: Operations, work: Backfill, step: RunningStep
) -> None:
    context = operations.migration_context
    if context.as_sql:
        _script_backfill(operations, work, step)
        return
    connection = operations.get_bind()
    if step.phase is Phase.EXPAND and step.direction == "upgrade":
        backfills.register(connection, work, step.revision)
        # MySQL commits it with the next DDL: a failed expand forgets it.
        runtime.journal(
            f"register backfill {work.name}", backfills.Forget(work.name)
        )
    elif step.phase is Phase.EXPAND:
        backfills.forget(connection, work)
    elif step.direction == "upgrade":
        backfills.finish(connection, work)


def _script_backfill(
    operations: Operations, work: Backfill, step: RunningStep
) -> None:
    """The bookkeeping of :func:`_track_backfill` as statements of the
    script, so that ``zerodown db migrate`` and the contract gate find
    the backfill on a database the script built."""
    dialect = operations.migration_context.dialect
    if step.phase is Phase.EXPAND and step.direction == "upgrade":
        quote = sqltext.quoter(dialect)
        table = quote(work.table)
        change = f"UPDATE {table} SET {work.assignments}"
        if work.copy_into is not None:
            shadow = quote(work.copy_into)
            change = f"INSERT INTO {shadow} SELECT * FROM {table}"
        operations.execute(
            literal(
                _comment(
                    f"zerodown: backfill {work.name}, run by zerodown db "
                    f"migrate: {change} WHERE {work.where or 'TRUE'}"
                )
            )
        )
        statements = backfills.register_sql(work, step.revision, dialect.name)
        runtime.remember_facts(work.name, work.facts)
    elif step.phase is Phase.EXPAND:
        statements = backfills.forget_sql(work)
    elif step.direction == "upgrade":
        statements = backfills.finish_sql(work, dialect.name)
    else:
        statements = []
    for statement in statements:
        operations.execute(statement)


def _target(operations: Operations) -> Target:
    context = operations.migration_context
    if context.as_sql:
        return dataclasses.replace(
            _describe(context.dialect, None, runtime.scripted_facts),
            scripted=runtime.scripted_column,
            models=context.opts.get("target_metadata"),
            guess_types=bool(context.opts.get(runtime.PREFLIGHT)),
        )
    return target_of(operations.get_bind())


def target_of(connection: sa.Connection) -> Target:
    """What operations plan for on ``connection``."""
    return _describe(
        connection.dialect,
        Reflected(sa.inspect(connection)),
        lambda name: backfills.facts(connection, name),
    )


def _describe(
    dialect: sa.Dialect,
    inspector: Reflected | None,
    recall: Callable[[str], dict[str, Any]] | None = None,
) -> Target:
    return Target(
        dialect=dialect.name,
        server_version=tuple(dialect.server_version_info or ()),
        is_mariadb=bool(getattr(dialect, "is_mariadb", False)),
        inspector=inspector,
        recall=recall,
        sql_dialect=dialect,
    )
