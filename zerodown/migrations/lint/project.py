"""Lint a project as its alembic.ini describes it, without importing it.

The revision folders come from Alembic's configuration, the backend from
the configured database URL, and whether the engine's own lock timeout
protects each DDL statement from the settings and the project's env.py.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from zerodown.exceptions import ConfigError
from zerodown.migrations.lint.rules import LintOptions
from zerodown.migrations.settings import MigrationSettings

__all__ = ["dialect_of", "options_for", "version_locations"]

# The module a project's env.py imports when zerodown runs its revisions.
_ENGINE_MODULE = "zerodown.migrations.env"


def version_locations(cfg: AlembicConfig) -> list[Path]:
    """The folders that hold the project's revision scripts."""
    scripts = _scripts(cfg)
    return [Path(location) for location in scripts.version_locations]


def _scripts(cfg: AlembicConfig) -> ScriptDirectory:
    # Reading the configuration loads no revision script.
    try:
        return ScriptDirectory.from_config(cfg)
    except CommandError as err:
        raise ConfigError(problem=str(err)) from err


def dialect_of(url: str | None) -> str:
    """The lint dialect of a database URL (``mariadb`` for MariaDB)."""
    if not url:
        raise ConfigError(
            problem="lint needs a dialect: pass --dialect, or configure a "
            "database URL (sqlalchemy.url, database_url, "
            "ZERODOWN_DATABASE_URL)"
        )
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as err:
        raise ConfigError(problem=f"database URL: {err}") from err
    return parsed.get_backend_name()


def options_for(
    settings: MigrationSettings, cfg: AlembicConfig
) -> LintOptions:
    """What lint may assume about how the project runs its revisions."""
    return LintOptions(
        lock_timeout=settings.lock_timeout > 0 and _runs_through_zerodown(cfg)
    )


def _runs_through_zerodown(cfg: AlembicConfig) -> bool:
    env_py = Path(_scripts(cfg).dir) / "env.py"
    try:
        return _ENGINE_MODULE in env_py.read_text(encoding="utf-8")
    except OSError:
        return False
