"""What a raw SQL string passed to ``op.execute`` does, roughly.

Lint does not parse SQL fully.  It splits the text into statements and
recognises the few shapes its rules care about (index builds, constraint
additions, renames, type changes, MySQL's ``ALGORITHM=`` and ``LOCK=``
clauses, timeouts, data changes).  Everything else is ``other``; the
``raw-sql`` rule asks for an explicit waiver of every statement anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from zerodown.migrations.guard import sql_head

__all__ = ["Statement", "statements"]

_FLAGS = re.IGNORECASE | re.DOTALL
_NAME = r'["`\[]?([\w.]+)["`\]]?'

# (kind, pattern): the first pattern that matches names the statement.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "set_timeout",
        re.compile(r"^SET\s+(LOCAL\s+|SESSION\s+)?\w*timeout\b", _FLAGS),
    ),
    (
        "create_index",
        re.compile(
            r"^CREATE\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\b", _FLAGS
        ),
    ),
    ("drop_index", re.compile(r"^DROP\s+INDEX\b", _FLAGS)),
    (
        "add_foreign_key",
        re.compile(
            r"^ALTER\s+TABLE\b.*\b(FOREIGN\s+KEY|REFERENCES)\b", _FLAGS
        ),
    ),
    (
        "add_exclusion",
        re.compile(r"^ALTER\s+TABLE\b.*\bADD\b.*\bEXCLUDE\b", _FLAGS),
    ),
    (
        "add_index",  # MySQL: ALTER TABLE ... ADD [FULLTEXT|SPATIAL] INDEX
        re.compile(
            r"^ALTER\s+TABLE\b.*\bADD\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?"
            r"(INDEX|KEY)\b",
            _FLAGS,
        ),
    ),
    ("add_check", re.compile(r"^ALTER\s+TABLE\b.*\bADD\b.*\bCHECK\b", _FLAGS)),
    (
        "add_unique",
        re.compile(
            r"^ALTER\s+TABLE\b.*\bADD\b.*\b(UNIQUE|PRIMARY\s+KEY)\b", _FLAGS
        ),
    ),
    (
        "rename_column",
        re.compile(r"^ALTER\s+TABLE\b.*\bRENAME\s+COLUMN\b", _FLAGS),
    ),
    (
        "rename_table",
        re.compile(
            r"^(ALTER\s+TABLE\b.*\bRENAME\s+TO\b|RENAME\s+TABLE\b)", _FLAGS
        ),
    ),
    (
        "set_not_null",
        re.compile(r"^ALTER\s+TABLE\b.*\bSET\s+NOT\s+NULL\b", _FLAGS),
    ),
    (
        "alter_type",
        re.compile(
            r"^ALTER\s+TABLE\b.*(\bTYPE\b|\bMODIFY\b|\bCHANGE\b)", _FLAGS
        ),
    ),
    (
        "add_column",
        re.compile(r"^ALTER\s+TABLE\b.*\bADD\s+(COLUMN\b|\w)", _FLAGS),
    ),
    (
        "drop",
        re.compile(r"^(DROP\b|TRUNCATE\b|ALTER\s+TABLE\b.*\bDROP\b)", _FLAGS),
    ),
    ("dml", re.compile(r"^(UPDATE|DELETE|INSERT|MERGE)\b", _FLAGS)),
)
_TABLE = re.compile(
    rf"^(?:ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?{_NAME}"
    rf"|CREATE\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\b.*?\bON\s+(?:ONLY\s+)?{_NAME}"
    rf"|UPDATE\s+{_NAME}|DELETE\s+FROM\s+{_NAME})",
    _FLAGS,
)
_INDEX_KIND = re.compile(
    r"^(?:CREATE|ALTER\s+TABLE\b.*\bADD)\s+(FULLTEXT|SPATIAL)\s+(?:INDEX|KEY)\b",
    _FLAGS,
)
_ALGORITHM = re.compile(r"\bALGORITHM\s*=?\s*(\w+)", _FLAGS)
_LOCK = re.compile(r"\bLOCK\s*=\s*(\w+)", _FLAGS)
_CONCURRENTLY = re.compile(r"\bCONCURRENTLY\b", _FLAGS)
_NOT_VALID = re.compile(r"\bNOT\s+VALID\b", _FLAGS)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_UNBOUNDED = re.compile(r"\bWHERE\b|\bLIMIT\b", _FLAGS)


@dataclass(frozen=True)
class Statement:
    """One SQL statement as lint understands it."""

    text: str  # whitespace collapsed
    kind: str  # a key of _KINDS, or "other"
    table: str | None = None
    concurrently: bool = False
    not_valid: bool = False
    algorithm: str | None = None  # MySQL ALGORITHM=..., upper case
    lock: str | None = None  # MySQL LOCK=..., upper case
    bounded: bool = False  # DML with a WHERE or LIMIT
    index_kind: str | None = None  # MySQL FULLTEXT or SPATIAL, upper case

    @property
    def short(self) -> str:
        """Its first words, cut at a word (what a waiver's glob names)."""
        return sql_head(self.text)


def statements(sql: str) -> Iterator[Statement]:
    """Split ``sql`` into statements and describe each one."""
    for part in _split(_COMMENT.sub(" ", sql)):
        yield _describe(part)


def _split(sql: str) -> Iterator[str]:
    # Semicolons inside quotes or dollar-quoted bodies do not end a
    # statement; a function body is one statement for lint's purposes.
    if "$$" in sql or "BEGIN" in sql.upper():
        text = " ".join(sql.split())
        if text:
            yield text
        return
    for part in sql.split(";"):
        text = " ".join(part.split())
        if text:
            yield text


def _describe(text: str) -> Statement:
    kind = next((k for k, rx in _KINDS if rx.search(text)), "other")
    table = _TABLE.search(text)
    algorithm = _ALGORITHM.search(text)
    lock = _LOCK.search(text)
    index_kind = _INDEX_KIND.search(text)
    return Statement(
        text=text,
        kind=kind,
        table=next((g for g in table.groups() if g), None) if table else None,
        concurrently=bool(_CONCURRENTLY.search(text)),
        not_valid=bool(_NOT_VALID.search(text)),
        algorithm=algorithm.group(1).upper() if algorithm else None,
        lock=lock.group(1).upper() if lock else None,
        bounded=bool(_UNBOUNDED.search(text)),
        index_kind=index_kind.group(1).upper() if index_kind else None,
    )
