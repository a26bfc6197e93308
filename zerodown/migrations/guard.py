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
from sqlalchemy.engine import Dialect

from zerodown.migrations.errors import MigrationError, PhaseViolation
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
    dialect: Dialect | None = None,
) -> Verdict:
    """Classify ``operation``; raise :class:`PhaseViolation` if forbidden.

    With the ``dialect`` it runs on, a type change to a type this backend
    spells the same (``DateTime`` to ``DateTime(timezone=True)`` on
    MySQL/MariaDB) changes nothing and is allowed.
    """
    verdict = classify(operation)
    if verdict.kind == "change_column_type" and _same_type(operation, dialect):
        verdict = Verdict("alter_column", verdict.target, Effect.NEUTRAL)
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


def _same_type(operation: Any, dialect: Dialect | None) -> bool:
    if dialect is None or not isinstance(operation, ops.AlterColumnOp):
        return False  # zop.change_column_type is an operation of its own
    old, new = operation.existing_type, operation.modify_type
    if old is None or new is None:
        return False
    try:
        return bool(
            old.compile(dialect=dialect) == new.compile(dialect=dialect)
        )
    except Exception:  # a type this dialect cannot render
        return False


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


# What a raw statement takes away from the release still running, first
# match wins: (pattern, how the phase guard describes it).
_BREAKING_SQL: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE | re.DOTALL), why)
    for pattern, why in (
        (r"^\s*TRUNCATE\b", "raw SQL that empties a table"),
        (r"^\s*DROP\b", "raw SQL that drops"),
        (r"^\s*RENAME\b", "raw SQL that renames a table"),
        (
            r"^\s*ALTER\s+TABLE\b.*\bRENAME\s+COLUMN\b",
            "raw SQL that renames a column",
        ),
        (
            r"^\s*ALTER\s+TABLE\b.*\bRENAME\s+TO\b",
            "raw SQL that renames a table",
        ),
        (r"^\s*ALTER\s+TABLE\b.*\bRENAME\b", "raw SQL that renames"),
        (
            r"^\s*ALTER\s+TABLE\b.*\bSET\s+NOT\s+NULL\b",
            "raw SQL that makes a column NOT NULL",
        ),
        (r"^\s*ALTER\s+TABLE\b.*\bDROP\b", "raw SQL that drops"),
        (
            r"^\s*ALTER\s+TABLE\b.*\b(MODIFY|CHANGE)\b",
            "raw SQL that redefines a column (MODIFY/CHANGE: its type, "
            "NULL-ability and default at once)",
        ),
        (
            r"^\s*ALTER\s+TABLE\b.*\bTYPE\b",
            "raw SQL that changes a column's type",
        ),
    )
)
_CREATING_SQL = re.compile(
    r"^\s*(CREATE\b|ALTER\s+TABLE\b.*\bADD\b)", re.IGNORECASE | re.DOTALL
)


@classify.register
def _execute(op: ops.ExecuteSQLOp) -> Verdict:
    sql = str(op.sqltext)
    first = sql_head(sql)
    for pattern, why in _BREAKING_SQL:
        if pattern.match(sql):
            return Verdict("execute", first, Effect.BREAKS, why)
    if _CREATING_SQL.match(sql):
        return Verdict("execute", first, Effect.CREATES)
    return Verdict("execute", first, Effect.NEUTRAL)


def sql_head(sql: str, limit: int = 60) -> str:
    """The first words of ``sql``, at most ``limit`` characters, never cut
    inside a word (one longer word is cut): what names a raw statement in
    messages, and what a waiver or a phase exception's glob matches."""
    text = " ".join(sql.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0]
    return cut if cut and len(cut) <= limit else text[:limit]


def is_widening(old: Any, new: Any) -> bool:
    """True when ``new`` holds every value of ``old`` with no conversion."""
    if old is None or new is None:
        return False
    if isinstance(old, sqltypes.String) and isinstance(new, sqltypes.String):
        return _string_widening(old, new)
    if isinstance(old, sqltypes.Integer) and isinstance(new, sqltypes.Integer):
        return _int_widening(old, new)
    if isinstance(old, sqltypes.Numeric) and isinstance(new, sqltypes.Numeric):
        return bool(
            type(old) is type(new)
            and (new.precision or 0) - (new.scale or 0)
            >= (old.precision or 0) - (old.scale or 0)
            and (new.scale or 0) >= (old.scale or 0)
        )
    return False


# The kinds of character types: a value keeps its meaning only within a
# kind (CHAR pads with spaces, VARCHAR keeps them; an ENUM holds members),
# and from VARCHAR to TEXT.  Ranks order the kinds that hold longer values.
_STRING_KINDS = {
    "CHAR": "char",
    "NCHAR": "char",
    "string": "varchar",
    "unicode": "varchar",
    "VARCHAR": "varchar",
    "NVARCHAR": "varchar",
    "text": "text",
    "unicode_text": "text",
    "CLOB": "text",
    "TEXT": "text",
    "TINYTEXT": "text",
    "MEDIUMTEXT": "text",
    "LONGTEXT": "text",
    "CITEXT": "citext",
}
_TEXT_RANK = {"TINYTEXT": 1, "MEDIUMTEXT": 3, "LONGTEXT": 4}  # others: 2


def string_kind(type_: Any) -> str:
    """``char``, ``varchar``, ``text``, ``enum``, ``set`` or another
    kind of its own, for a SQLAlchemy character type."""
    if isinstance(type_, sqltypes.Enum):
        return "enum"
    name = getattr(type_, "__visit_name__", "")
    return _STRING_KINDS.get(name, name.lower())


def _string_widening(old: Any, new: Any) -> bool:
    if _collation(old) != _collation(new):
        return False  # values compare and sort differently
    kinds = string_kind(old), string_kind(new)
    if kinds[0] == "enum" or kinds[1] == "enum":
        # Every member stays (their order MySQL's profile judges).
        return kinds == ("enum", "enum") and set(old.enums) <= set(new.enums)
    if kinds == ("varchar", "text"):
        return True
    if kinds[0] != kinds[1]:
        return False
    if kinds[0] == "text":
        return _text_rank(new) >= _text_rank(old)
    if new.length is None:
        return True
    return old.length is not None and new.length >= old.length


def _collation(type_: Any) -> tuple[Any, Any]:
    return getattr(type_, "collation", None), getattr(type_, "charset", None)


def _text_rank(type_: Any) -> int:
    return _TEXT_RANK.get(getattr(type_, "__visit_name__", ""), 2)


# Bytes of an integer type, by the name SQLAlchemy visits it with: the
# generic types and each dialect's (``mysql.INTEGER`` is a subclass of
# ``INTEGER``, whose name it shares; MySQL adds TINYINT and MEDIUMINT).
_INT_WIDTH = {
    "small_integer": 2,
    "integer": 4,
    "big_integer": 8,
    "TINYINT": 1,
    "SMALLINT": 2,
    "MEDIUMINT": 3,
    "INTEGER": 4,
    "BIGINT": 8,
}


def _unsigned(type_: Any) -> bool:
    # MySQL makes a ZEROFILL column UNSIGNED, whatever the type says.
    return bool(getattr(type_, "unsigned", False)) or bool(
        getattr(type_, "zerofill", False)
    )


def _int_widening(old: Any, new: Any) -> bool:
    old_width = _INT_WIDTH.get(getattr(old, "__visit_name__", ""))
    new_width = _INT_WIDTH.get(getattr(new, "__visit_name__", ""))
    if old_width is None or new_width is None:
        return False  # an integer type this table does not know
    old_unsigned, new_unsigned = _unsigned(old), _unsigned(new)
    if old_unsigned == new_unsigned:
        return new_width >= old_width
    if new_unsigned:
        return False  # the negative values have no place
    # Unsigned to signed: the sign takes a bit, a wider type gives it.
    return new_width > old_width


def is_narrowing(old: Any, new: Any) -> bool:
    """True when ``new`` is ``old``'s kind of type, only smaller."""
    return is_widening(new, old) and not is_widening(old, new)
