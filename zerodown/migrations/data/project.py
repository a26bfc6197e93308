"""A project's data migrations: those of its applied revisions, of its
settings, and of the online operations its expand revisions registered.

What ``zerodown db migrate`` runs and what the contract gate asks about.
"""

from __future__ import annotations

from types import ModuleType

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

from zerodown.migrations.data.discovery import Discovered, Resolver, discover
from zerodown.migrations.data.settings import DataMigrationSettings
from zerodown.migrations.layout import Layout

__all__ = ["applied_revisions", "project_migrations"]


def applied_revisions(
    layout: Layout, connection: sa.Connection
) -> list[tuple[str, ModuleType]]:
    """``(revision, module)`` of every applied revision, oldest first."""
    heads = MigrationContext.configure(connection).get_current_heads()
    applied = layout.ancestors(heads)
    return [
        (script.revision, script.module)
        for script in reversed(layout.all_revisions())
        if script.revision in applied
    ]


def project_migrations(
    connection: sa.Connection,
    layout: Layout,
    settings: DataMigrationSettings,
    resolver: Resolver | None,
) -> list[Discovered]:
    """Every data migration of the project, in the order they run."""
    return discover(
        connection,
        applied_revisions(layout, connection),
        settings.data_migrations,
        resolver,
    )
