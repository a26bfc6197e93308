"""A :class:`Check` in a ``--sql`` script: statements that stop the script
with the check's reason when its query finds a row.

Online, the executor runs the query and refuses; a script must do the same
where it runs, so each backend gets the construct its client stops on:
PostgreSQL an anonymous ``DO`` block that raises, MySQL/MariaDB a
procedure that signals (created, called, dropped; the ``mysql`` client
reads it between ``DELIMITER`` lines, see the runtime), SQLite a
temporary trigger that aborts an insert.
"""

from __future__ import annotations

from zerodown.migrations.operations import naming
from zerodown.migrations.operations.base import Check, Target

__all__ = ["check_statements"]

# MySQL's MESSAGE_TEXT holds 128 characters.
_MYSQL_MESSAGE = 128


def check_statements(check: Check, target: Target) -> list[str]:
    """Statements that fail, saying why, when ``check.query`` finds a row."""
    why = check.why.replace("{row}", "a row")
    message = f"cannot {check.operation} {check.target}: {why}"
    name = target.quote(naming.generated("check", check.query))
    found = f"EXISTS ({check.query})"
    # The whole reason, where the client's error shows MySQL's cut one.
    said = "-- zerodown check, must find no row, else: " + " ".join(
        message.split()
    )
    if target.dialect == "postgresql":
        return [
            f"DO $zd$ BEGIN IF {found} THEN RAISE EXCEPTION USING "
            f"MESSAGE = {_string(message)}; END IF; END $zd$"
        ]
    if target.dialect == "mysql":
        short = message[:_MYSQL_MESSAGE]
        return [
            said,
            f"DROP PROCEDURE IF EXISTS {name}",
            f"CREATE PROCEDURE {name}() BEGIN IF {found} THEN SIGNAL "
            f"SQLSTATE '45000' SET MESSAGE_TEXT = {_string(short, True)}; "
            "END IF; END",
            f"CALL {name}()",
            f"DROP PROCEDURE {name}",
        ]
    return [
        f"CREATE TEMP TABLE {name} (x INTEGER)",
        f"CREATE TEMP TRIGGER {name} BEFORE INSERT ON {name} WHEN {found} "
        f"BEGIN SELECT RAISE(ABORT, {_string(message)}); END",
        f"INSERT INTO {name} VALUES (1)",
        f"DROP TABLE {name}",
    ]


def _string(text: str, backslashes: bool = False) -> str:
    """``text`` as an SQL string literal (MySQL also escapes backslashes)."""
    if backslashes:
        text = text.replace("\\", "\\\\")
    return "'" + text.replace("'", "''") + "'"
