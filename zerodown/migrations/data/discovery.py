"""Where data migrations come from.

Three sources, in this order:

1. the backfills online operations registered in the state table while
   their expand revision ran, turned into migrations by a *resolver*
   (the online operations package provides it: the stored spec names a
   table and SQL, the resolver builds the :class:`KeysetBackfill`);
2. the ``data_migrations`` list of every applied revision module, oldest
   revision first;
3. the modules named by the ``data_migrations`` setting (a module's
   ``data_migrations`` list, or else every ``@data_migration`` it holds).

Names are unique across all three: progress is stored by name.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from zerodown.migrations.data import state
from zerodown.migrations.data.busy import describe
from zerodown.migrations.data.protocol import (
    DataContext,
    DataMigration,
    FunctionMigration,
    data_migration,
)
from zerodown.migrations.errors import InvalidDataMigration

__all__ = ["Discovered", "Resolver", "discover"]

LOG = logging.getLogger(__name__)

Resolver = Callable[[dict[str, Any], sa.Connection], DataMigration]
"""Builds the migration of an online operation's stored backfill spec."""


@dataclass(frozen=True)
class Discovered:
    """A migration and where it came from."""

    migration: DataMigration
    kind: str  # "online" or "code"
    revision: str | None = None
    source: str = ""

    @property
    def name(self) -> str:
        return self.migration.name


def discover(
    connection: sa.Connection,
    revisions: Iterable[tuple[str, ModuleType]] = (),
    modules: Iterable[str] = (),
    resolver: Resolver | None = None,
) -> list[Discovered]:
    """Every data migration of the project that is not yet complete
    online, and every code migration (complete or not), in run order.

    :param revisions: ``(revision id, module)`` of the applied revisions,
        oldest first.
    :param modules: dotted module paths (the ``data_migrations`` setting).
    :param resolver: turns a stored online spec into a migration; without
        one, online backfills fail when run.
    """
    found = list(_online(connection, resolver))
    for revision, module in revisions:
        source = f"revision {revision}"
        found += [
            Discovered(m, state.CODE, revision, source)
            for m in _declared(module, source, listed_only=True)
        ]
    for path in modules:
        found += [
            Discovered(m, state.CODE, None, f"module {path}")
            for m in _declared(_import(path), f"module {path}")
        ]
    _unique(found)
    return found


def _online(
    connection: sa.Connection, resolver: Resolver | None
) -> Iterator[Discovered]:
    for row in state.load(connection).values():
        if row.kind != state.ONLINE or row.complete:
            continue
        source = f"online operation of revision {row.revision}"
        yield Discovered(
            _resolved(connection, row, resolver),
            state.ONLINE,
            row.revision,
            source,
        )


def _resolved(
    connection: sa.Connection,
    row: state.MigrationState,
    resolver: Resolver | None,
) -> DataMigration:
    if resolver is None:
        return _Broken(row.name, "no resolver for online backfills given")
    try:
        return resolver(row.spec or {}, connection)
    except Exception as err:  # isolated: this one fails when run
        LOG.warning("online backfill %s does not resolve: %s", row.name, err)
        return _Broken(row.name, f"its spec does not resolve: {describe(err)}")


@dataclass(frozen=True)
class _Broken:
    """Stands for a migration that cannot be built; fails when run."""

    name: str
    problem: str

    def __call__(self, ctx: DataContext, max_count: int) -> tuple[int, int]:
        raise InvalidDataMigration(source=self.name, problem=self.problem)


def _declared(
    module: ModuleType, source: str, listed_only: bool = False
) -> list[DataMigration]:
    listed = getattr(module, "data_migrations", None)
    if listed is None:
        if listed_only:
            return []
        return [
            value
            for value in vars(module).values()
            if isinstance(value, FunctionMigration)
        ]
    if isinstance(listed, (str, bytes)) or not isinstance(listed, Iterable):
        raise InvalidDataMigration(
            source=source, problem="data_migrations must be a list"
        )
    return [_as_migration(item, source) for item in listed]


def _as_migration(item: object, source: str) -> DataMigration:
    if isinstance(item, DataMigration):
        return item
    if callable(item):
        function: Any = item
        wrapped: FunctionMigration = data_migration(function)
        return wrapped
    raise InvalidDataMigration(
        source=source,
        problem=f"{item!r} in data_migrations is neither a data migration "
        "nor a function (ctx, max_count) -> (found, done)",
    )


def _import(path: str) -> ModuleType:
    try:
        return importlib.import_module(path)
    except Exception as err:
        raise InvalidDataMigration(
            source=f"module {path}",
            problem=f"it does not import: {describe(err)}",
        ) from err


def _unique(found: list[Discovered]) -> None:
    seen: dict[str, Discovered] = {}
    for item in found:
        first = seen.setdefault(item.name, item)
        if first is not item:
            raise InvalidDataMigration(
                source=item.name,
                problem=f"the name is declared twice ({first.source} and "
                f"{item.source}); names must be unique",
            )
