"""The names zerodown gives its own objects: dual-write triggers and their
functions, check constraints, the views a table rename stages.

A generated name is ``zd_<kind>_<readable>_<hash>``:

* the hash (8 hex digits of SHA-256) covers the kind and every input
  that identifies the operation, so two operations never share a name,
  however long their tables' names are;
* the readable part is the inputs in lower-case ASCII letters and digits,
  cut to fit: PostgreSQL allows 63 *bytes* (a longer name is cut, and two
  cut names may collide), MySQL and MariaDB 64 characters, SQLite any
  length.  Being ASCII, every generated name is as long in bytes as in
  characters, and fits all three with room for a suffix
  (:data:`SUFFIX_ROOM`, ``_bi`` and the like);
* it depends on the operation's inputs alone, so the expand, contract and
  rollback of one ``zop`` call compute the same name.

Names are quoted like any other identifier when they go into SQL.
Releases up to 2.0 generated other names (:func:`legacy`), which contract
and rollback still drop.
"""

from __future__ import annotations

import hashlib
import json
import re

__all__ = [
    "HASH_LENGTH",
    "MAX_BYTES",
    "SUFFIX_ROOM",
    "backfill",
    "clipped",
    "generated",
    "is_plain",
    "legacy",
]

MAX_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1; the strictest of the three
SUFFIX_ROOM = 3  # "_bi", "_su", "_s": what trigger names append
HASH_LENGTH = 8

_NOT_READABLE = re.compile(r"[^a-z0-9]+")
# What the releases that did not quote generated names could create: a
# name the server reads as one identifier without quotes.
_PLAIN = re.compile(r"[^\W\d][\w$]*", re.UNICODE)


def generated(kind: str, *inputs: str) -> str:
    """The name of the ``kind`` object that ``inputs`` identify, leaving
    :data:`SUFFIX_ROOM` bytes for a suffix."""
    digest = _digest(kind, inputs)
    fixed = len(f"zd_{kind}__{digest}")
    room = MAX_BYTES - SUFFIX_ROOM - fixed
    readable = _readable(inputs)[:room].strip("_")
    middle = f"_{readable}" if readable else ""
    return f"zd_{kind}{middle}_{digest}"


def legacy(kind: str, *inputs: str, length: int) -> str:
    """The name releases up to 2.0 generated: ``zd_<kind>_<inputs>`` cut
    to ``length`` characters (56 for column syncs and fills, 54 for moves,
    63 for check constraints)."""
    return f"zd_{kind}_{'_'.join(inputs)}"[:length]


def is_plain(name: str) -> bool:
    """Whether ``name`` reads as one identifier without quotes.

    The releases that put names into SQL unquoted could only create
    objects under such names; dropping any other would be a syntax error.
    """
    return _PLAIN.fullmatch(name) is not None


def backfill(operation: str, table: str, column: str) -> str:
    """The name an operation's backfill is stored under in the
    data-migration state table.

    ``operation:table.column``, as releases up to 2.0 stored it, unless a
    name holds a dot: ``a.b`` + ``c`` and ``a`` + ``b.c`` would share that
    name, and one operation would take over the other's progress; those
    are stored as ``operation#["a.b", "c"]``.
    """
    if "." in table or "." in column:
        return f"{operation}#{json.dumps([table, column], ensure_ascii=False)}"
    return f"{operation}:{table}.{column}"


def clipped(name: str) -> str:
    """``name`` as PostgreSQL stores it: cut to :data:`MAX_BYTES` bytes of
    UTF-8, never inside a character."""
    cut = name.encode()[:MAX_BYTES]
    return cut.decode(errors="ignore")


def _digest(kind: str, inputs: tuple[str, ...]) -> str:
    # JSON keeps ("a_b", "c") apart from ("a", "b_c").
    text = json.dumps([kind, *inputs], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def _readable(inputs: tuple[str, ...]) -> str:
    words = (_NOT_READABLE.sub("_", part.lower()) for part in inputs)
    return "_".join(word.strip("_") for word in words if word.strip("_"))
