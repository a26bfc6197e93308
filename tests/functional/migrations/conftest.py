"""A scratch zerodown project per test, on the test's database."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from zerodown.cli import main
from zerodown.testing.backends import TestDatabase

ENV_PY = """
import runpy
from pathlib import Path

from alembic import context

from zerodown.migrations.env import run_migrations

models = Path(__file__).resolve().parents[1] / "models.py"
run_migrations(context, target_metadata=runpy.run_path(str(models))["metadata"])
"""


@dataclass
class Project:
    root: Path
    database: TestDatabase

    @property
    def ini(self) -> Path:
        return self.root / "alembic.ini"

    def zerodown(
        self, *args: str, env: dict[str, str] | None = None
    ) -> Result:
        return CliRunner().invoke(
            main,
            ["db", "-c", str(self.ini), *args],
            catch_exceptions=False,
            env=env,
        )

    def models(self, body: str) -> None:
        header = "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        (self.root / "models.py").write_text(header + textwrap.dedent(body))

    def revision(self, message: str, *flags: str) -> list[Path]:
        result = self.zerodown("revision", "-m", message, *flags)
        assert result.exit_code == 0, result.output
        return [
            Path(line.split(" ", 1)[1])
            for line in result.output.splitlines()
            if line.startswith("created ")
        ]

    def write_upgrade(self, script: Path, body: str, header: str = "") -> None:
        """Replace the upgrade() of a generated script with ``body``."""
        text = script.read_text()
        indented = textwrap.indent(textwrap.dedent(body).strip(), "    ")
        text = text.replace(
            "def upgrade() -> None:\n    pass",
            f"{header}\ndef upgrade() -> None:\n{indented}",
        )
        script.write_text(text)

    def tables(self) -> set[str]:
        with self.database.engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())

    def versions(self) -> set[str]:
        if "alembic_version" not in self.tables():
            return set()
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT version_num FROM alembic_version")
            )
            return {row[0] for row in rows}


@pytest.fixture
def project(tmp_path: Path, zerodown_db: TestDatabase) -> Project:
    result = CliRunner().invoke(
        main,
        [
            "init",
            str(tmp_path / "migrations"),
            "--ini",
            str(tmp_path / "alembic.ini"),
            "--database-url",
            zerodown_db.url,
        ],
    )
    assert result.exit_code == 0, result.output
    (tmp_path / "migrations" / "env.py").write_text(ENV_PY)
    made = Project(tmp_path, zerodown_db)
    made.models("")
    return made
