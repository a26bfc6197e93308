"""A zerodown project under Alembic's own API and command line, as a user
of the ecosystem's tools meets it."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from zerodown.migrations import command as zerodown_command
from zerodown.migrations.errors import DowngradeRefused

ROOT = Path(__file__).resolve().parents[3]
MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


def _project(root: Path, url: str) -> Path:
    ini = root / "alembic.ini"
    zerodown_command.init(root / "migrations", ini, url)
    (root / "models.py").write_text(MODELS)
    env = root / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None",
            "from models import metadata as target_metadata",
        )
    )
    return ini


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_init_project_runs_under_plain_alembic(tmp_path, zerodown_db):
    """prepend_sys_path lets env.py import the models; fileConfig logs."""
    _project(tmp_path, zerodown_db.url)
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "heads"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "INFO  [alembic.runtime.migration] Running upgrade" in done.stderr
    assert "INFO  [zerodown.migrations.runtime] upgrade" in done.stderr
    assert "alembic_version" in _tables(zerodown_db.url)


def test_a_url_set_through_alembics_api_is_the_one_migrated(
    tmp_path, zerodown_db, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # prepend_sys_path = . finds models.py
    # An earlier "." on sys.path (another project's prepend_sys_path) left
    # a finder that still lists the old directory.
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "models", raising=False)
    in_file = tmp_path / "named-in-the-file.sqlite"
    ini = _project(tmp_path, f"sqlite:///{in_file}")
    config = Config(str(ini))
    config.set_main_option("sqlalchemy.url", zerodown_db.url)
    command.upgrade(config, "heads")
    assert "alembic_version" in _tables(zerodown_db.url)
    assert not in_file.exists()


def test_a_contract_downgrade_is_refused_with_why_and_what_to_do(
    zerodown_db,
):
    config = Config(str(ROOT / "alembic.ini"))
    # An Engine, as pytest-alembic and other tools hand it over.
    config.attributes["connection"] = zerodown_db.engine
    command.upgrade(config, "heads")
    with pytest.raises(DowngradeRefused) as refused:
        command.downgrade(config, "contract@-1")
    err = refused.value
    assert isinstance(err, NotImplementedError)
    # The newest contract: release 3's swap of the widened instances.id.
    assert "cannot undo the contract of widen_primary_key instances.id" in (
        str(err)
    )
    assert "restore the backup taken before this contract ran" in str(err)
    assert err.__cause__ is not err
    # Refused before anything ran: the contract is still applied.
    columns = sa.inspect(zerodown_db.engine).get_columns("instances")
    assert "image_ref" not in {c["name"] for c in columns}
    key = next(c for c in columns if c["name"] == "id")
    wide = (
        "INTEGER" if zerodown_db.engine.dialect.name == "sqlite" else "BIGINT"
    )
    assert str(key["type"]).upper() == wide
    with zerodown_db.engine.connect() as connection:
        versions = set(
            connection.scalars(
                sa.text("SELECT version_num FROM alembic_version")
            )
        )
    assert "e3a9c5d1f7b2" in versions
