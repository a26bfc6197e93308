"""What the database says about its own load, and the limits set on it.

Two signals on every server backend, under the same names:

- ``active``: sessions running a statement.  PostgreSQL: sessions of this
  database in ``pg_stat_activity`` whose state is ``active``, the
  runner's own (its batches, its watch) excepted; MySQL/MariaDB: the
  server's ``Threads_running`` (gh-ost's and pt-online-schema-change's
  ``--max-load`` default), less the query that reads it; a batch running
  at that moment counts, as with those tools.
- ``lock_waits``: sessions waiting on a lock.  PostgreSQL: sessions of
  this database whose ``wait_event_type`` is ``Lock``; MySQL/MariaDB:
  ``Innodb_row_lock_current_waits``.

On MySQL/MariaDB any other global status variable can be named too
(``--max-load Threads_connected=200``), as with gh-ost.  SQLite reports
nothing, so limits on it are refused.

A limit is ``NAME=VALUE``: ``--max-load`` pauses the run while a signal
is above its value, ``--critical-load`` stops it (cursor saved).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from zerodown.exceptions import ConfigError

__all__ = [
    "ACTIVE",
    "LOCK_WAITS",
    "Limit",
    "check_backend",
    "check_names_in",
    "over",
    "parse_limits",
    "read",
]

ACTIVE = "active"
LOCK_WAITS = "lock_waits"

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_MYSQL_ALIASES = {
    ACTIVE: "Threads_running",
    LOCK_WAITS: "Innodb_row_lock_current_waits",
}

_PG_SIGNALS = f"""
SELECT
  count(*) FILTER (WHERE state = 'active') AS {ACTIVE},
  count(*) FILTER (WHERE wait_event_type = 'Lock') AS {LOCK_WAITS}
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND pid <> %(runner)s
"""


@dataclass(frozen=True)
class Limit:
    """A signal's ceiling: ``name`` above ``value``."""

    name: str
    value: float

    def __str__(self) -> str:
        return f"{self.name}={self.value:g}"


def parse_limits(setting: str, specs: Iterable[str]) -> tuple[Limit, ...]:
    """``NAME=VALUE`` items (of the setting named ``setting``) as limits."""
    limits = []
    for spec in specs:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not sep or not _NAME.match(name) or not value >= 0:
            raise ConfigError(
                problem=f"{setting}: {spec!r} is not NAME=VALUE with a "
                "signal name and a number >= 0 (e.g. active=20)"
            )
        limits.append(Limit(name, value))
    return tuple(limits)


def check_backend(dialect: str, limits: Iterable[Limit]) -> None:
    """Refuse limits the backend cannot measure."""
    names = {limit.name for limit in limits}
    if not names:
        return
    if dialect == "sqlite":
        raise ConfigError(
            problem="SQLite reports no load signals; migrate_max_load and "
            "migrate_critical_load need PostgreSQL or MySQL/MariaDB"
        )
    unknown = names - {ACTIVE, LOCK_WAITS}
    if dialect == "postgresql" and unknown:
        raise ConfigError(
            problem=f"PostgreSQL signals are {ACTIVE} and {LOCK_WAITS}, "
            f"not {', '.join(sorted(unknown))}"
        )


def read(
    connection: sa.Connection, names: Iterable[str] = (), runner: int = 0
) -> dict[str, float]:
    """The two common signals and any other ``names`` the backend has.

    Empty on SQLite.  ``runner``: the PostgreSQL backend pid of the
    runner's batches, left out of the counts.  A MySQL status variable
    that does not exist is missing from the result
    (:func:`check_names_in` refuses such a limit before the run).
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        row = connection.exec_driver_sql(
            _PG_SIGNALS, {"runner": int(runner)}
        ).one()
        return {ACTIVE: float(row[0]), LOCK_WAITS: float(row[1])}
    if dialect != "mysql":
        return {}
    wanted = {ACTIVE, LOCK_WAITS, *names}
    variables = {_MYSQL_ALIASES.get(n, n).lower(): n for n in wanted}
    status = _mysql_status(connection, variables)
    values = {}
    for variable, name in variables.items():
        if variable in status:
            values[name] = status[variable]
    if ACTIVE in values:
        values[ACTIVE] = max(0.0, values[ACTIVE] - 1)  # this very query
    return values


def check_names_in(values: Mapping[str, float], names: Iterable[str]) -> None:
    """Refuse a limit on a signal the server did not report."""
    missing = set(names) - set(values)
    if missing:
        raise ConfigError(
            problem=f"the server has no status variable "
            f"{', '.join(sorted(missing))} (limits name a signal: "
            f"{ACTIVE}, {LOCK_WAITS}, or a global status variable)"
        )


def over(values: Mapping[str, float], limits: Iterable[Limit]) -> list[str]:
    """Each limit that ``values`` exceed, as ``name=value>limit``."""
    return [
        f"{limit.name}={values[limit.name]:g}>{limit.value:g}"
        for limit in limits
        if limit.name in values and values[limit.name] > limit.value
    ]


def _mysql_status(
    connection: sa.Connection, variables: Mapping[str, str]
) -> dict[str, float]:
    # The names are checked against _NAME, and bound as parameters anyway.
    placeholders = ", ".join(f":v{i}" for i in range(len(variables)))
    # SHOW (not information_schema.GLOBAL_STATUS): MySQL 8 dropped it.
    query = sa.text(
        f"SHOW GLOBAL STATUS WHERE LOWER(Variable_name) IN ({placeholders})"
    )
    params = {f"v{i}": name for i, name in enumerate(variables)}
    found = {}
    for name, value in connection.execute(query, params):
        try:
            found[str(name).lower()] = float(value)
        except (TypeError, ValueError):
            continue  # a status that is not a number cannot be a limit
    return found
