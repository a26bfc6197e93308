"""Deploying the compute stack's schema with zerodown's own engine.

The compute stack is a user of the framework: its schema lives in
expand/contract revisions under ``zerodown/compute/db/migrations``.  A
fresh deployment runs all three phases; an upgrade runs them apart
(``zerodown db expand`` / ``migrate`` / ``contract`` on the root
``alembic.ini``).  :func:`alembic_ini` writes an ini for the installed
package, so this works from any directory.
"""

from __future__ import annotations

from pathlib import Path

from zerodown.config import load_config
from zerodown.migrations import command
from zerodown.migrations.errors import DataMigrationError

__all__ = ["MIGRATIONS", "alembic_ini", "deploy_schema"]

MIGRATIONS = Path(__file__).parent / "db" / "migrations"

_INI = """\
[alembic]
script_location = {root}
version_locations = {root}/versions/expand {root}/versions/contract
path_separator = space
sqlalchemy.url = {url}

[zerodown]
"""


def alembic_ini(directory: Path, database_url: str) -> Path:
    """Write ``directory/alembic.ini`` for the compute stack's schema."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "alembic.ini"
    text = _INI.format(root=MIGRATIONS, url=database_url.replace("%", "%%"))
    path.write_text(text)
    return path


def deploy_schema(directory: Path, database_url: str) -> None:
    """Bring a database to the newest schema: expand, migrate, contract.

    For a new database the contract gate has nothing to wait for; on an
    existing one it still refuses while old services run.
    """
    config = load_config(
        alembic_ini(directory, database_url),
        environ={},
        overrides={"database_url": database_url},
    )
    command.expand(config)
    while (result := command.migrate(config)).exit_code == 1:
        pass  # progress made, more to do
    if result.failed:
        failed = result.failed[0]
        raise DataMigrationError(name=failed.name, reason=failed.error)
    command.contract(config)
