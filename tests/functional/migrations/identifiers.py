"""Awkward names for tables, columns and indexes, per backend: a space,
quotes, a dash, reserved words (MariaDB's own among them), non-ASCII
letters, and the longest name each database allows."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from zerodown.migrations.data import state

# PostgreSQL counts bytes (63), MySQL and MariaDB characters (64); SQLite
# has no limit, so its "longest" is merely long.
LIMITS = {"postgresql": (63, "bytes"), "mysql": (64, "chars")}
SQLITE_LONG = 128


@dataclass(frozen=True)
class Names:
    table: str
    other: str  # a second table: a move's target, a child, a new name
    old: str
    new: str
    old2: str
    new2: str
    key: str  # a join or unique column
    index: str  # index and constraint names given by the user
    unique: str
    fkey: str


_WORDS = {
    "space": Names(
        "my table", "my table x", "old col", "new col", "old col 2",
        "new col 2", "the key", "my index", "my unique", "my key",
    ),
    "double-quote": Names(
        'we"ird', 'we"ird x', 'o"ld', 'n"ew', 'o"ld2', 'n"ew2', 'k"ey',
        'i"x', 'u"q', 'f"k',
    ),
    "backtick": Names(
        "back`tick", "back`tick x", "o`ld", "n`ew", "o`ld2", "n`ew2",
        "k`ey", "i`x", "u`q", "f`k",
    ),
    "dash": Names(
        "dash-t", "dash-x", "old-c", "new-c", "old-c2", "new-c2", "key-c",
        "ix-c", "uq-c", "fk-c",
    ),
    # "offset" is reserved by MariaDB but not by MySQL.
    "reserved": Names(
        "select", "order", "from", "where", "group", "having", "offset",
        "index", "unique", "references",
    ),
    "non-ascii": Names(
        "таблица", "größe", "größe_alt", "größe_neu", "столбец",
        "столбец_новый", "ключ", "индекс", "уникальный", "внешний",
    ),
}  # fmt: skip

CASES = [*_WORDS, "longest", "longest-bytes"]


def names(case: str, backend: str) -> Names:
    """The names of ``case`` on ``backend``."""
    if case in _WORDS:
        return _WORDS[case]
    wide = case == "longest-bytes"
    return Names(
        *(
            longest(backend, tail, wide)
            for tail in (
                *("", "_x", "_o", "_n", "_o2", "_n2", "_k"),
                *("_i", "_u", "_f"),
            )
        )
    )


def longest(backend: str, tail: str, wide: bool = False) -> str:
    """A name ending in ``tail`` as long as ``backend`` allows, made of
    two-byte letters if ``wide``."""
    filler = "ж" if wide else "t"
    limit, unit = LIMITS.get(backend, (SQLITE_LONG, "chars"))
    if unit == "chars":
        return filler * (limit - len(tail)) + tail
    room = limit - len(tail.encode())
    count = room // len(filler.encode())
    return filler * count + "x" * (room - count * len(filler.encode())) + tail


def literal(name: str) -> str:
    """``name`` as a Python literal in a revision script."""
    return repr(name)


def bookkeeping(engine: sa.Engine) -> None:
    """Create zerodown's state table up front, so that schema snapshots
    taken before and after an expand compare the application's tables."""
    with engine.begin() as conn:
        state.ensure_table(conn)
