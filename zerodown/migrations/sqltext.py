"""SQL that zerodown writes as text: identifiers quoted by the dialect,
and nothing in it that SQLAlchemy's ``text()`` would take for a parameter.

Every statement an online operation plans, and every batch of a keyset
backfill, is a string that reaches the database through ``sa.text()``
(Alembic's ``op.execute`` makes one of a string).  Two things in a quoted
name would then go wrong:

* ``text()`` reads ``:word`` as a bind parameter, also inside quotes, so a
  column called ``a:b`` asks for a value of ``b``; :func:`escape_binds`
  escapes such colons, which ``text()`` turns back into plain ones;
* the dialect's preparer doubles ``%`` for drivers whose parameters are
  ``%s``, and ``text()`` doubles it again when it compiles; :func:`quoter`
  returns names with ``%`` as written, so that it is doubled once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa

__all__ = ["Quote", "escape_binds", "literal", "quoter"]

Quote = Callable[[str], str]

# SQLAlchemy's own pattern for a bind parameter in text().
_BIND = re.compile(r"(?<![:\w\\]):(?=\w+(?![:\w]))", re.UNICODE)


def quoter(dialect: sa.Dialect) -> Quote:
    """``dialect``'s identifier quoting, for SQL that goes to ``text()``.

    The dialect's own preparer decides when a name needs quotes (its
    reserved words: MariaDB's differ from MySQL's) and how a quote inside
    a name is escaped.
    """
    preparer = dialect.identifier_preparer
    doubles = "%%" in preparer.quote("%")

    def quote(name: str) -> str:
        quoted = preparer.quote(name)
        # The preparer doubled every '%'; halving restores the name.
        return quoted.replace("%%", "%") if doubles else quoted

    return quote


def escape_binds(sql: str) -> str:
    """``sql`` with each colon that ``text()`` would read as a bind
    parameter escaped (``text()`` removes the escape)."""
    return _BIND.sub(r"\\:", sql)


def literal(sql: str) -> sa.TextClause:
    """``sql`` as a statement with no parameters, whatever its names hold."""
    return sa.text(escape_binds(sql))
