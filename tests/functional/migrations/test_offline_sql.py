"""``zerodown db expand --sql`` piped into the database's own client builds
what the online command builds: the schema, the dual-write triggers and the
backfills' bookkeeping, for the compute stack (``move_column``) and the
online example (``rename_column`` of a NOT NULL column and
``move_column``); ``migrate``, ``contract`` and ``alembic check`` then run
online on it, and the result is the schema of a database upgraded online
all along.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from sqlclient import client

from zerodown.cli import main
from zerodown.testing.backends import (
    TestDatabase,
    fresh_database,
    start_backend,
)
from zerodown.testing.schema import snapshot

ROOT = Path(__file__).resolve().parents[3]
INI = ROOT / "alembic.ini"
EXAMPLE = ROOT / "examples" / "online" / "alembic.ini"
RELEASE_1 = "3c51b0e2a9d4"  # instances.image_ref, before it moves
# Release 2's expand and contract: release 3's expand needs release 2
# contracted, so the walk goes one release at a time.
RELEASE_2, RELEASE_2_CONTRACT = "5e2b7c4d1a90", "8f1d3a6b2c57"
UUID = "5d6f0d8e-0c0e-4d3b-9a49-1f3c2b7e0a11"


def zerodown(url: str, *args: str, ini: Path = INI) -> str:
    result = CliRunner().invoke(
        main, ["db", "-c", str(ini), "--database-url", url, *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def seed(database: TestDatabase) -> None:
    """A release-1 instance whose image_ref the backfill must move."""
    now = datetime.datetime(2026, 12, 1, 12, 0)
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO instances (uuid, vcpus, memory_mb, root_gb, "
                "ephemeral_gb, image_ref, created_at, deleted) VALUES "
                "(:u, 1, 512, 1, 0, 'cirros', :now, :false)"
            ),
            {"u": UUID, "now": now, "false": False},
        )
        connection.execute(
            sa.text(
                "INSERT INTO instance_extra (instance_uuid, flavor) "
                "VALUES (:u, '{}')"
            ),
            {"u": UUID},
        )


def state(database: TestDatabase) -> dict:
    """Everything expand leaves: schema, triggers, bookkeeping rows."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT name, kind, spec, revision, status "
                "FROM zerodown_data_migrations ORDER BY name"
            )
        )
        inspector = sa.inspect(connection)
        return {
            "schema": snapshot(connection),
            "triggers": triggers(connection),
            "bookkeeping": [
                (c["name"], str(c["type"]), c["nullable"])
                for c in inspector.get_columns("zerodown_data_migrations")
            ],
            "rows": [tuple(row) for row in rows],
        }


def triggers(connection: sa.Connection) -> list[str]:
    query = {
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
        "mysql": "SELECT trigger_name FROM information_schema.triggers "
        "WHERE trigger_schema = DATABASE()",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    }[connection.dialect.name]
    return sorted(connection.scalars(sa.text(query)))


def image_refs(database: TestDatabase) -> list[tuple]:
    with database.engine.connect() as connection:
        query = "SELECT instance_uuid, image_ref FROM instance_extra"
        return [tuple(row) for row in connection.execute(sa.text(query))]


def test_a_database_built_from_expand_sql_upgrades_like_one_built_online(
    zerodown_db, zerodown_backend_name
):
    scripted = zerodown_db
    backend = start_backend(zerodown_backend_name, os.environ)
    with fresh_database(backend) as online:
        # Release 1 with a row, then release 2's expand: by script ...
        client(
            scripted.url, zerodown(scripted.url, "expand", "--sql", RELEASE_1)
        )
        seed(scripted)
        script = zerodown(
            scripted.url, "expand", "--sql", "--from", RELEASE_1, RELEASE_2
        )
        client(scripted.url, script)
        # ... and online.
        zerodown(online.url, "expand", RELEASE_1)
        seed(online)
        zerodown(online.url, "expand", RELEASE_2)
        assert state(scripted) == state(online)

        # The contract's script stops where the online contract refuses:
        # the backfill has not run, and it would drop image_ref's data.
        contract = zerodown(
            scripted.url,
            "contract",
            "--sql",
            "--from",
            RELEASE_2,
            RELEASE_2_CONTRACT,
        )
        said = client(scripted.url, contract, fails=True)
        assert "still has rows to copy" in said
        columns = sa.inspect(scripted.engine).get_columns("instances")
        assert "image_ref" in {c["name"] for c in columns}

        for database in (scripted, online):
            zerodown(database.url, "migrate")
            zerodown(database.url, "contract", RELEASE_2_CONTRACT)
            # Then release 3, which needed release 2 contracted.
            zerodown(database.url, "expand")
            zerodown(database.url, "migrate")
            zerodown(database.url, "contract")
        # alembic check, through Alembic's API and the URL set there.
        config = Config(str(INI))
        config.set_main_option("sqlalchemy.url", scripted.url)
        command.check(config)
        assert state(scripted) == state(online)
        assert image_refs(scripted) == image_refs(online) == [(UUID, "cirros")]


def test_the_online_examples_script_upgrades_like_the_online_commands(
    zerodown_db, zerodown_backend_name
):
    scripted = zerodown_db
    if zerodown_backend_name == "sqlite":
        # Relaxing the old NOT NULL column rebuilds the table on SQLite,
        # which Alembic can only do from the live table: the script says
        # so rather than leave the column NOT NULL.
        args = ["-c", str(EXAMPLE), "--database-url", scripted.url]
        result = CliRunner().invoke(main, ["db", *args, "expand", "--sql"])
        assert result.exit_code == 1
        assert "cannot be written as SQL (--sql)" in result.output
        assert "alter_column instances.hostname" in result.output
        return
    backend = start_backend(zerodown_backend_name, os.environ)
    with fresh_database(backend) as online:
        client(
            scripted.url,
            zerodown(scripted.url, "expand", "--sql", ini=EXAMPLE),
        )
        zerodown(online.url, "expand", ini=EXAMPLE)
        assert state(scripted) == state(online)
        for database in (scripted, online):
            zerodown(database.url, "migrate", ini=EXAMPLE)
            zerodown(database.url, "contract", ini=EXAMPLE)
        config = Config(str(EXAMPLE))
        config.set_main_option("sqlalchemy.url", scripted.url)
        command.check(config)
        assert state(scripted) == state(online)
        # The whole history as one contract script (an empty database has
        # nothing to backfill): the new column takes the old one's NOT
        # NULL, as the online contract did from the recorded facts.
        with fresh_database(backend) as whole:
            script = zerodown(whole.url, "contract", "--sql", ini=EXAMPLE)
            client(whole.url, script)
            assert state(whole)["schema"] == state(online)["schema"]
