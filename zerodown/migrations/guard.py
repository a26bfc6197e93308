"""The phase guard: which operations each phase may run.

``expand`` runs while the old release serves, so it must not drop, rename
or tighten anything the old code uses.  ``contract`` runs after the old
release is gone, so it must not create anything the new code would have
needed earlier.  Each Alembic operation is classified once, by its type,
into an :class:`Effect`; :func:`check` compares that with the phase.

A revision may declare reasoned exceptions::

    phase_exceptions = [
        allow("drop_index", "ix_users_old", reason="replaced above"),
    ]
"""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import singledispatch
from typing import Any

from alembic.operations import ops
from sqlalchemy import types as sqltypes

from zerodown.exceptions import MigrationError, PhaseViolation
from zerodown.migrations.phases import Phase

__all__ = ["Effect", "PhaseException", "Verdict", "allow", "check", "classify"]


class Effect(enum.Flag):
    NEUTRAL = 0
    CREATES = enum.auto()  # adds something old code ignores
    BREAKS = enum.auto()  # drops, renames or tightens what old code uses


@dataclass(frozen=True)
class Verdict:
    kind: str  # the operation's name, e.g. "drop_column"
    target: str  # what it acts on, e.g. "users.email"
    effect: Effect
    why: str = ""


@dataclass(frozen=True)
class PhaseException:
    """A revision's reasoned permission to run one kind of operation."""

    kind: str
    target: str
    reason: str

    def covers(self, verdict: Verdict) -> bool:
        return self.kind == verdict.kind and fnmatch.fnmatchcase(
            verdict.target, self.target
        )


def allow(kind: str, target: str = "*", *, reason: str) -> PhaseException:
    """Permit ``kind`` on ``target`` (a glob) in one revision, with why."""
    if not reason or not reason.strip():
        raise MigrationError(
            problem=f"allow({kind!r}, {target!r}) needs a reason"
        )
    return PhaseException(kind, target, reason.strip())


_FORBIDDEN = {
    Phase.EXPAND: (Effect.BREAKS, "the old release still uses it"),
    Phase.CONTRACT: (
        Effect.CREATES,
        "contract runs after the new release started; additions belong in "
        "expand",
    ),
}


def check(
    operation: ops.MigrateOperation,
    phase: Phase,
    revision: str,
    exceptions: Sequence[PhaseException] = (),
) -> Verdict:
    """Classify ``operation``; raise :class:`PhaseViolation` if forbidden."""
    verdict = classify(operation)
    forbidden, reason = _FORBIDDEN.get(phase, (Effect.NEUTRAL, ""))
    if verdict.effect & forbidden and not any(
        exc.covers(verdict) for exc in exceptions
    ):
        raise PhaseViolation(
            phase=phase.value,
            revision=revision,
            action=verdict.kind.replace("_", " "),
            kind=verdict.kind,
            target=verdict.target,
            why=verdict.why or reason,
        )
    return verdict


@singledispatch
def classify(operation: Any) -> Verdict:
    """What an operation does to code that runs against the schema."""
    # On the instance: an online operation's kind and target are
    # properties (a failure names them: "failed at rename_column t.c").
    name = getattr(operation, "zerodown_kind", None)
    target = getattr(operation, "target_name", None)
    # Given a class, these are property objects: "failed at <property
    # object at 0x...>" says nothing, its name does.
    return Verdict(
        name if isinstance(name, str) else _type_name(operation),
        target if isinstance(target, str) else "*",
        Effect.NEUTRAL,
    )


def _type_name(operation: Any) -> str:
    cls = operation if isinstance(operation, type) else type(operation)
    return cls.__name__


def _simple(
    kind: str, effect: Effect, target: Callable[[Any], str]
) -> Callable[[Any], Verdict]:
    return lambda op: Verdict(kind, target(op), effect)


def _table(op: Any) -> str:
    return str(op.table_name)


def _column(op: Any) -> str:
    return f"{op.table_name}.{op.column_name}"


def _named(op: Any) -> str:
    # A foreign key names its table source_table.
    table = getattr(op, "table_name", None) or getattr(op, "source_table", "*")
    return str(op.constraint_name or table)


def _index(op: Any) -> str:
    return str(op.index_name)


_REGISTRY: list[tuple[type[Any], str, Effect, Callable[[Any], str]]] = [
    (ops.CreateTableOp, "create_table", Effect.CREATES, _table),
    (ops.DropTableOp, "drop_table", Effect.BREAKS, _table),
    (ops.RenameTableOp, "rename_table", Effect.BREAKS, _table),
    (ops.CreateIndexOp, "create_index", Effect.CREATES, _index),
    (ops.DropIndexOp, "drop_index", Effect.BREAKS, _index),
    (ops.AddConstraintOp, "add_constraint", Effect.CREATES, _named),
    (ops.DropConstraintOp, "drop_constraint", Effect.BREAKS, _named),
    (ops.DropColumnOp, "drop_column", Effect.BREAKS, _column),
    (ops.BulkInsertOp, "bulk_insert", Effect.NEUTRAL, lambda op: "*"),
    (ops.CreateTableCommentOp, "comment", Effect.NEUTRAL, _table),
    (ops.DropTableCommentOp, "comment", Effect.NEUTRAL, _table),
]
for _cls, _kind, _effect, _target in _REGISTRY:
    classify.register(_cls)(_simple(_kind, _effect, _target))  # type: ignore[no-untyped-call]


@classify.register
def _add_column(op: ops.AddColumnOp) -> Verdict:
    column = op.column
    target = f"{op.table_name}.{column.name}"
    if (
        not column.nullable
        and column.server_default is None
        and not column.primary_key
    ):
        return Verdict(
            "add_column",
            target,
            Effect.CREATES | Effect.BREAKS,
            "a NOT NULL column without a server default makes the old "
            "release's inserts fail; add it nullable in expand and tighten "
            "it in contract",
        )
    return Verdict("add_column", target, Effect.CREATES)


@classify.register
def _alter_column(op: ops.AlterColumnOp) -> Verdict:
    target = _column(op)
    if op.modify_name is not None:
        return Verdict(
            "rename_column",
            target,
            Effect.BREAKS,
            "renaming a column breaks every query of the other release",
        )
    if op.modify_type is not None and not is_widening(
        op.existing_type, op.modify_type
    ):
        return Verdict(
            "change_column_type",
            target,
            Effect.BREAKS,
            "the type change narrows or converts what the column holds",
        )
    if op.modify_nullable is False:
        return Verdict(
            "set_not_null",
            target,
            Effect.BREAKS,
            "NOT NULL makes the old release's inserts without it fail",
        )
    if op.modify_server_default is None and op.existing_server_default not in (
        False,
        None,
    ):
        return Verdict("drop_server_default", target, Effect.BREAKS)
    return Verdict("alter_column", target, Effect.NEUTRAL)


_BREAKING_SQL = re.compile(
    r"^\s*(DROP\b|TRUNCATE\b|ALTER\s+TABLE\b.*\b(DROP|RENAME|MODIFY|CHANGE)\b"
    r"|ALTER\s+TABLE\b.*\bSET\s+NOT\s+NULL\b|ALTER\s+TABLE\b.*\bTYPE\b"
    r"|RENAME\b)",
    re.IGNORECASE | re.DOTALL,
)
_CREATING_SQL = re.compile(
    r"^\s*(CREATE\b|ALTER\s+TABLE\b.*\bADD\b)", re.IGNORECASE | re.DOTALL
)


@classify.register
def _execute(op: ops.ExecuteSQLOp) -> Verdict:
    sql = str(op.sqltext)
    first = " ".join(sql.split())[:60]
    if _BREAKING_SQL.match(sql):
        return Verdict("execute", first, Effect.BREAKS, "raw SQL that drops")
    if _CREATING_SQL.match(sql):
        return Verdict("execute", first, Effect.CREATES)
    return Verdict("execute", first, Effect.NEUTRAL)


def is_widening(old: Any, new: Any) -> bool:
    """True when ``new`` holds every value of ``old`` with no conversion."""
    if old is None or new is None:
        return False
    if isinstance(old, sqltypes.String) and isinstance(new, sqltypes.String):
        if type(old)._type_affinity is not type(new)._type_affinity:
            return False
        if new.length is None:
            return True
        return old.length is not None and new.length >= old.length
    if isinstance(old, sqltypes.Integer) and isinstance(new, sqltypes.Integer):
        return _INT_WIDTH.get(type(new), 0) >= _INT_WIDTH.get(type(old), 9)
    if isinstance(old, sqltypes.Numeric) and isinstance(new, sqltypes.Numeric):
        return bool(
            type(old) is type(new)
            and (new.precision or 0) - (new.scale or 0)
            >= (old.precision or 0) - (old.scale or 0)
            and (new.scale or 0) >= (old.scale or 0)
        )
    return False


_INT_WIDTH = {
    sqltypes.SmallInteger: 2,
    sqltypes.Integer: 4,
    sqltypes.BigInteger: 8,
    sqltypes.SMALLINT: 2,
    sqltypes.INTEGER: 4,
    sqltypes.BIGINT: 8,
}


def is_narrowing(old: Any, new: Any) -> bool:
    """True when ``new`` is ``old``'s kind of type, only smaller."""
    return is_widening(new, old) and not is_widening(old, new)
