"""Running revisions: which phase each step belongs to, and what it did.

Alembic calls each revision's ``upgrade()`` and ``downgrade()`` and has no
hook before a step, so :func:`track_steps` wraps those functions once per
loaded module: the wrapper records the running step in a context variable,
keeps a journal of the operations it applied, and turns a failure into
:class:`MigrationFailed` (rolled back) or :class:`PartiallyApplied` (a
backend whose DDL commits itself; an expand first undoes what it can, see
:mod:`.undo`).  :func:`guarded_operations` installs the ``op`` proxy that
checks every operation against the running phase.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.operations import ops as alembic_ops
from alembic.operations.base import AbstractOperations
from alembic.runtime.migration import MigrationContext

from zerodown.exceptions import ZerodownError
from zerodown.migrations import guard, undo
from zerodown.migrations.errors import (
    MigrationError,
    MigrationFailed,
    PartiallyApplied,
    PhaseViolation,
)
from zerodown.migrations.layout import Layout
from zerodown.migrations.locking import run_with_lock_timeout
from zerodown.migrations.phases import Phase
from zerodown.migrations.settings import MigrationSettings

__all__ = [
    "PREFLIGHT",
    "RunningStep",
    "current_step",
    "guarded_operations",
    "journal",
    "preflight",
    "remember_facts",
    "scripted_column",
    "scripted_facts",
    "track_steps",
    "undone_by",
]

LOG = logging.getLogger(__name__)

_STEP: contextvars.ContextVar[RunningStep | None] = contextvars.ContextVar(
    "zerodown_step", default=None
)
_WRAPPED = "__zerodown_wrapped__"


@dataclass
class RunningStep:
    """One revision being applied in one direction."""

    revision: str
    phase: Phase | None
    direction: str  # "upgrade" or "downgrade"
    exceptions: tuple[guard.PhaseException, ...] = ()
    journal: list[str] = field(default_factory=list)
    # How many journal entries a step outside the revision's transaction
    # (CONCURRENTLY) made permanent on a transactional backend.
    committed: int = 0
    # What undoes each journal entry (by index), where that is known.
    inverses: dict[int, alembic_ops.MigrateOperation] = field(
        default_factory=dict
    )

    @property
    def undoable(self) -> bool:
        """Whether a failure undoes what ran: an expand going up."""
        return self.direction == "upgrade" and self.phase is Phase.EXPAND


def current_step() -> RunningStep | None:
    """The revision step running in this context, if any."""
    return _STEP.get()


def track_steps(layout: Layout, transactional_ddl: Callable[[], bool]) -> None:
    """Wrap every revision's upgrade/downgrade with step tracking."""
    for script in layout.all_revisions():
        module = script.module
        phase = layout.phase_of(script)
        exceptions = tuple(getattr(module, "phase_exceptions", ()))
        for direction in ("upgrade", "downgrade"):
            fn = getattr(module, direction, None)
            if fn is None or getattr(fn, _WRAPPED, False):
                continue
            step = functools.partial(
                RunningStep, script.revision, phase, direction, exceptions
            )
            setattr(
                module,
                direction,
                _tracked(fn, step, transactional_ddl),
            )


def _tracked(
    fn: Callable[..., Any],
    new_step: Callable[[], RunningStep],
    transactional_ddl: Callable[[], bool],
) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        step = new_step()
        running = _STEP.get()
        if running is not None and running.revision == step.revision:
            # downgrade() calling upgrade() (the generated pattern of
            # online operations): the same calls, in the step that runs,
            # so they undo rather than apply again.
            return fn(*args, **kwargs)
        token = _STEP.set(step)
        LOG.info("%s %s (%s)", step.direction, step.revision, step.phase)
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            failure = _failure(step, err, transactional_ddl())
            if failure is err:
                raise  # it says all; its own cause would loop
            raise failure from err
        finally:
            _STEP.reset(token)

    setattr(run, _WRAPPED, True)
    return run


def _failure(
    step: RunningStep, err: Exception, transactional: bool
) -> Exception:
    failed_at = _failed_at(step, err)
    reason = _reason(err)
    context = _CONTEXT.get()
    if context is not None and context.as_sql:
        if isinstance(err, ZerodownError):
            return err
        return MigrationError(
            problem=f"revision {step.revision} cannot be written as SQL "
            f"(--sql) at {failed_at}: {reason}"
        )
    undone = [] if transactional else _undo(step)
    if undone:
        reason += (
            f" ({_DIALECT.get()} commits each DDL statement itself; "
            f"undone: {'; '.join(undone)})"
        )
    applied = step.journal[: step.committed] if transactional else step.journal
    if applied:
        return PartiallyApplied(
            revision=step.revision,
            step=failed_at,
            dialect=_DIALECT.get(),
            why="where steps outside the revision's transaction committed"
            if transactional
            else "which commits each DDL statement itself",
            applied="; ".join(applied),
            reason=reason,
        )
    if isinstance(err, ZerodownError) and not undone:
        return err  # it says what went wrong, and nothing ran
    return MigrationFailed(
        revision=step.revision, step=failed_at, reason=reason
    )


def _undo(step: RunningStep) -> list[str]:
    context = _CONTEXT.get()
    if not step.undoable or context is None or context.as_sql:
        return []
    return undo.undo_applied(context, step.journal, step.inverses)


def _failed_at(step: RunningStep, err: Exception) -> str:
    attempted = getattr(err, "__zerodown_attempt__", None)
    return attempted or f"{step.direction}() after {len(step.journal)} steps"


def _reason(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


_DIALECT: contextvars.ContextVar[str] = contextvars.ContextVar(
    "zerodown_dialect", default="unknown"
)
# --sql: each column the script created so far, by table and column, as
# reflection would describe it; what an offline operation knows instead.
_SCRIPTED: contextvars.ContextVar[
    dict[tuple[str, str], dict[str, Any]] | None
] = contextvars.ContextVar("zerodown_scripted", default=None)

# Marks the offline rendering of preflight, which checks phases only: what
# a script would have to know (a column's type) may stay unknown.
PREFLIGHT = "zerodown_preflight"


# --sql: what each backfill's expand recorded (its facts), by name, for the
# contract later in the same script (online it reads them from the table).
_SCRIPTED_FACTS: contextvars.ContextVar[dict[str, dict[str, Any]] | None] = (
    contextvars.ContextVar("zerodown_scripted_facts", default=None)
)


def remember_facts(backfill: str, facts: dict[str, Any]) -> None:
    """``--sql``: the facts an expand recorded for ``backfill``."""
    known = _SCRIPTED_FACTS.get()
    if known is not None:
        known[backfill] = dict(facts)


def scripted_facts(backfill: str) -> dict[str, Any]:
    """``--sql``: the facts the script's expand recorded, if it ran."""
    return dict((_SCRIPTED_FACTS.get() or {}).get(backfill, {}))


def scripted_column(table: str, column: str) -> dict[str, Any] | None:
    """``--sql``: ``table.column`` as the script made it, if it did."""
    found = (_SCRIPTED.get() or {}).get((table, column))
    return dict(found) if found else None


def _remember_columns(operation: alembic_ops.MigrateOperation) -> None:
    scripted = _SCRIPTED.get()
    if scripted is None:
        return
    if isinstance(operation, alembic_ops.CreateTableOp):
        for column in operation.columns:
            if isinstance(column, sa.Column):
                _remember(scripted, operation.table_name, column)
    elif isinstance(operation, alembic_ops.AddColumnOp):
        _remember(scripted, operation.table_name, operation.column)
    elif isinstance(operation, alembic_ops.DropColumnOp):
        scripted.pop((operation.table_name, operation.column_name), None)
    elif isinstance(operation, alembic_ops.AlterColumnOp):
        known = scripted.get((operation.table_name, operation.column_name))
        if known is not None:
            if operation.modify_nullable is not None:
                known["nullable"] = operation.modify_nullable
            if operation.modify_type is not None:
                known["type"] = operation.modify_type


def _remember(
    scripted: dict[tuple[str, str], dict[str, Any]],
    table: str,
    column: sa.Column[Any],
) -> None:
    default = column.server_default
    arg = getattr(default, "arg", None)
    scripted[(table, column.name)] = {
        "name": column.name,
        "type": column.type,
        "nullable": bool(column.nullable),
        "default": None if arg is None else str(getattr(arg, "text", arg)),
    }


_CONTEXT: contextvars.ContextVar[MigrationContext | None] = (
    contextvars.ContextVar("zerodown_context", default=None)
)


@contextlib.contextmanager
def guarded_operations(
    context: MigrationContext, settings: MigrationSettings | None = None
) -> Iterator[Operations]:
    """Install Alembic's ``op`` proxy with every operation phase-checked.

    Every statement also runs under the lock timeout of ``settings``.
    """
    operations = Operations(context)
    _guard_instance(operations, _journal_operation)
    original_batch = operations.batch_alter_table

    @contextlib.contextmanager
    def batch_alter_table(table_name: str, **kwargs: Any) -> Iterator[Any]:
        # A batch only queues its operations and runs them when the block
        # ends, so the journal records the batch as one step.
        queued: list[str] = []
        described = f"batch_alter_table {table_name}"
        try:
            with (
                _legacy_rename(context),
                original_batch(table_name, **kwargs) as batch,
            ):
                _guard_instance(batch, lambda text, _: queued.append(text))
                yield batch
        except Exception as err:
            _attempted(err, f"{described} ({'; '.join(queued)})")
            raise
        journal(f"{described} ({'; '.join(queued)})")

    operations.batch_alter_table = batch_alter_table  # type: ignore[method-assign,assignment]
    token = _DIALECT.set(context.dialect.name)
    context_token = _CONTEXT.set(context)
    scripted_token = _SCRIPTED.set({} if context.as_sql else None)
    facts_token = _SCRIPTED_FACTS.set({} if context.as_sql else None)
    restore = _lock_safe_statements(context, settings or MigrationSettings())
    unwrap = _client_delimiters(context)
    # Operations.context() would build a plain Operations; installing the
    # proxy ourselves is the same mechanism with our guarded instance.
    operations._install_proxy()
    try:
        yield operations
    finally:
        operations._remove_proxy()
        unwrap()
        restore()
        _SCRIPTED_FACTS.reset(facts_token)
        _SCRIPTED.reset(scripted_token)
        _CONTEXT.reset(context_token)
        _DIALECT.reset(token)


def _lock_safe_statements(
    context: MigrationContext, settings: MigrationSettings
) -> Callable[[], None]:
    # Every statement, batch flushes included, reaches the database
    # through the impl's _exec; wrapping it on this one instance puts
    # each one under the lock timeout.
    impl = context.impl
    original = impl._exec

    def lock_safe_exec(construct: Any, *args: Any, **kwargs: Any) -> Any:
        return run_with_lock_timeout(
            context,
            settings,
            lambda: original(construct, *args, **kwargs),
            _statement(construct),
        )

    impl._exec = lock_safe_exec  # type: ignore[method-assign]

    def restore() -> None:
        impl._exec = original  # type: ignore[method-assign]

    return restore


def _client_delimiters(context: MigrationContext) -> Callable[[], None]:
    """A MySQL/MariaDB script between ``DELIMITER`` lines where a statement
    holds semicolons (a trigger's or a procedure's body): the ``mysql``
    client splits its input at each ``;`` otherwise (ERROR 1064)."""
    impl = context.impl
    if not context.as_sql or context.dialect.name != "mysql":
        return lambda: None
    original = impl.static_output
    end = impl.command_terminator

    def static_output(text: str) -> None:
        body = text[: -len(end)] if text.endswith(end) else text
        if end in body and not body.lstrip().startswith("--"):
            mark = next(m for m in ("//", "$$", "@@@") if m not in body)
            text = f"DELIMITER {mark}\n{body} {mark}\nDELIMITER {end}"
        original(text)

    impl.static_output = static_output  # type: ignore[method-assign]

    def restore() -> None:
        impl.static_output = original  # type: ignore[method-assign]

    return restore


def _statement(construct: Any) -> str:
    text = (
        construct if isinstance(construct, str) else type(construct).__name__
    )
    if hasattr(construct, "text"):
        text = str(construct.text)
    return " ".join(str(text).split())[:80]


@contextlib.contextmanager
def _legacy_rename(context: MigrationContext) -> Iterator[None]:
    """SQLite rebuilds a table as copy, drop, rename.  Since 3.26 the
    rename re-parses every trigger and view of the schema, and one that
    names the table (another table's dual-write trigger, say) fails while
    the table is missing; the legacy rename leaves them alone, and they
    name the rebuilt table again once it has its name back."""
    if context.as_sql or context.dialect.name != "sqlite":
        yield
        return
    connection = context.connection
    assert connection is not None
    connection.exec_driver_sql("PRAGMA legacy_alter_table = ON")
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA legacy_alter_table = OFF")


def journal(
    described: str, inverse: alembic_ops.MigrateOperation | None = None
) -> None:
    """Record that the running revision applied ``described``, undone by
    ``inverse`` if the revision fails (see :mod:`.undo`)."""
    step = _STEP.get()
    if step is None:
        return
    step.journal.append(described)
    if inverse is not None and step.undoable:
        step.inverses[len(step.journal) - 1] = inverse


def undone_by(mark: int, inverse: alembic_ops.MigrateOperation) -> None:
    """The one entry journaled since the journal had ``mark`` entries is
    undone by ``inverse`` (an online operation's step knows its own)."""
    step = _STEP.get()
    if step is not None and step.undoable and len(step.journal) == mark + 1:
        step.inverses[mark] = inverse


def _journal_operation(
    described: str, operation: alembic_ops.MigrateOperation
) -> None:
    journal(described, undo.inverse(operation))


def _attempted(err: Exception, described: str) -> None:
    if not hasattr(err, "__zerodown_attempt__"):
        err.__zerodown_attempt__ = described  # type: ignore[attr-defined]


def _guard_instance(
    operations: AbstractOperations,
    record: Callable[[str, alembic_ops.MigrateOperation], None],
) -> None:
    invoke = operations.invoke

    def guarded_invoke(operation: alembic_ops.MigrateOperation) -> Any:
        step = _STEP.get()
        verdict = guard.classify(operation)
        if step is not None and step.direction == "upgrade" and step.phase:
            guard.check(
                operation,
                step.phase,
                step.revision,
                step.exceptions,
                operations.migration_context.dialect,
            )
        described = f"{verdict.kind} {verdict.target}"
        try:
            result = invoke(operation)
        except Exception as err:
            _attempted(err, described)
            raise
        if not getattr(operation, "zerodown_journals_steps", False):
            record(described, operation)
        _remember_columns(operation)
        return result

    operations.invoke = guarded_invoke  # type: ignore[method-assign]


def preflight(layout: Layout, revisions: Iterable[str], dialect: str) -> None:
    """Render pending upgrades offline and stop on a phase violation.

    On backends whose DDL commits itself this catches the violation before
    any statement of the revision runs.  A script that cannot be rendered
    offline (it reads data, say) is left to the online guard.
    """
    for revision in revisions:
        script = layout.revision(revision)
        upgrade = getattr(script.module, "upgrade", None)
        if upgrade is None:
            continue
        context = MigrationContext.configure(
            dialect_name=dialect,
            opts={
                "as_sql": True,
                "output_buffer": io.StringIO(),
                PREFLIGHT: True,
            },
        )
        step = RunningStep(
            script.revision,
            layout.phase_of(script),
            "upgrade",
            tuple(getattr(script.module, "phase_exceptions", ())),
        )
        token = _STEP.set(step)
        try:
            with guarded_operations(context):
                inspect.unwrap(upgrade)()
        except PhaseViolation:
            raise
        except Exception as err:  # offline rendering is best effort
            LOG.debug("preflight skipped %s: %s", revision, err)
        finally:
            _STEP.reset(token)
