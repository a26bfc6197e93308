"""What a project's Alembic ``env.py`` calls to wire zerodown in.

A scaffolded ``env.py`` is three lines::

    from alembic import context
    from zerodown.migrations.env import run_migrations
    run_migrations(context, target_metadata=Base.metadata)

That single call serves ``zerodown db ...`` and plain ``alembic`` alike:
each revision runs in its own transaction, every operation is checked
against its phase, and autogenerate splits its output by phase.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext

from zerodown.config import Config, load_config
from zerodown.exceptions import ConfigError
from zerodown.migrations.autogen import split_by_phase
from zerodown.migrations.database import TRANSACTIONAL_SQLITE, create_engine
from zerodown.migrations.layout import load_layout
from zerodown.migrations.runtime import guarded_operations, track_steps
from zerodown.migrations.settings import MigrationSettings

__all__ = [
    "CONNECTION_ATTRIBUTE",
    "SETTINGS_ATTRIBUTE",
    "URL_ATTRIBUTE",
    "run_migrations",
]

# zerodown's API hands an open connection (or a URL) to env.py through the
# Alembic Config's attributes, as Alembic's cookbook recommends.
CONNECTION_ATTRIBUTE = "connection"
URL_ATTRIBUTE = "zerodown_database_url"
SETTINGS_ATTRIBUTE = "zerodown_settings"


def run_migrations(
    context: EnvironmentContext,
    target_metadata: sa.MetaData | None = None,
    **configure_kw: Any,
) -> None:
    """Configure ``context`` for zerodown and run the requested migrations.

    Extra keyword arguments go to ``context.configure``; a
    ``process_revision_directives`` given there runs after zerodown's split.
    """
    layout = load_layout(context.script)
    opts: dict[str, Any] = {
        "target_metadata": target_metadata,
        "transaction_per_migration": True,
        "compare_type": True,
        # Batch mode renders portable scripts: plain ALTER where the
        # backend has it, move-and-copy on SQLite.
        "render_as_batch": True,
        **configure_kw,
        "process_revision_directives": _compose(
            split_by_phase, configure_kw.get("process_revision_directives")
        ),
        "include_object": _without_bookkeeping(
            configure_kw.get("include_object")
        ),
    }

    def transactional() -> bool:
        return bool(context.get_impl().transactional_ddl)

    track_steps(layout, transactional)
    if context.is_offline_mode():
        context.configure(url=_url(context), literal_binds=True, **opts)
        _run(context)
        return
    given = context.config.attributes.get(CONNECTION_ATTRIBUTE)
    if isinstance(given, sa.Connection):
        _run_on(context, given, opts)
    elif isinstance(given, sa.Engine):
        # What pytest-alembic and other tools hand over: the engine is
        # theirs to dispose of.
        with given.connect() as connection:
            _run_on(context, connection, opts)
    elif given is not None:
        raise ConfigError(
            problem=f"config.attributes[{CONNECTION_ATTRIBUTE!r}] must be "
            f"a SQLAlchemy Connection or Engine, not {type(given).__name__}"
        )
    else:
        engine = create_engine(_url(context))
        try:
            with engine.connect() as connection:
                _run_on(context, connection, opts)
        finally:
            engine.dispose()


def _run_on(
    context: EnvironmentContext,
    connection: sa.Connection,
    opts: dict[str, Any],
) -> None:
    if connection.info.get(TRANSACTIONAL_SQLITE):
        # zerodown's engines make SQLite DDL transactional (see database).
        opts = {"transactional_ddl": True, **opts}
    context.configure(connection=connection, **opts)
    _run(context)


def _run(context: EnvironmentContext) -> None:
    migration_context: MigrationContext = context.get_context()
    with (
        context.begin_transaction(),
        guarded_operations(migration_context, _settings(context)),
    ):
        migration_context.run_migrations()


def _settings(context: EnvironmentContext) -> MigrationSettings:
    given = context.config.attributes.get(SETTINGS_ATTRIBUTE)
    if isinstance(given, MigrationSettings):
        return given
    return _config(context).settings(MigrationSettings)


def _config(context: EnvironmentContext) -> Config:
    # The Config object as the program holds it, not the file again: a
    # URL set with set_main_option("sqlalchemy.url", ...) is the one used.
    config = context.config
    return load_config(config.config_file_name, parsed_ini=config.file_config)


def _url(context: EnvironmentContext) -> str:
    given = context.config.attributes.get(URL_ATTRIBUTE)
    if given:
        return str(given)
    url = _config(context).get("database_url")
    if not url:
        raise ConfigError(
            problem="no database URL: set sqlalchemy.url or database_url in "
            "alembic.ini, ZERODOWN_DATABASE_URL, or --database-url"
        )
    return url


def _without_bookkeeping(
    user: Callable[..., bool] | None,
) -> Callable[..., bool]:
    """Autogenerate ignores zerodown's own tables (``zerodown_*``)."""

    def include(obj: Any, name: str | None, kind: str, *args: Any) -> bool:
        if kind == "table" and (name or "").startswith(BOOKKEEPING_PREFIX):
            return False
        return user(obj, name, kind, *args) if user else True

    return include


BOOKKEEPING_PREFIX = "zerodown_"
Directives = Callable[[MigrationContext, Any, list[Any]], None]


def _compose(first: Directives, second: Directives | None) -> Directives:
    if second is None:
        return first

    def both(
        context: MigrationContext, rev: Any, directives: list[Any]
    ) -> None:
        first(context, rev, directives)
        second(context, rev, directives)

    return both
