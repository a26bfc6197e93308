"""``zerodown db migrate``: Nova's exit codes, JSON lines, discovery."""

from __future__ import annotations

import json
import sys

import pytest
import sqlalchemy as sa

ITEMS = """
op.create_table(
    "items",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("counter", sa.Integer, nullable=False),
)
op.bulk_insert(
    sa.table("items", sa.column("id"), sa.column("counter")),
    [{"id": i, "counter": 0} for i in range(1, 121)],
)
"""
DATA_MIGRATIONS = """

from zerodown.migrations.data import KeysetBackfill

data_migrations = [
    KeysetBackfill(
        name="bump_items",
        table="items",
        key=("id",),
        assignments="counter = counter + 1",
    )
]
"""
SETTING_MODULE = """
from zerodown.migrations.data import data_migration
import sqlalchemy as sa


@data_migration(description="fails while items hold a 7")
def picky(ctx, max_count):
    seven = ctx.connection.execute(
        sa.text("SELECT COUNT(*) FROM items WHERE id = 7 AND counter < 5")
    ).scalar()
    if seven:
        raise ValueError("id 7 is not ready")
    return 0, 0
"""


@pytest.fixture
def items(project):
    project.zerodown("expand"), project.zerodown("contract")
    (script,) = project.revision("items")
    project.write_upgrade(script, ITEMS)
    script.write_text(script.read_text() + DATA_MIGRATIONS)
    return project


def _counters(project):
    with project.database.engine.connect() as conn:
        query = "SELECT counter FROM items ORDER BY id"
        return [row[0] for row in conn.execute(sa.text(query))]


def _lines(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_revision_s_migrations_run_once_it_is_applied(items):
    before = items.zerodown("migrate")
    assert before.exit_code == 0, before.output
    assert "no data migrations" in before.stdout
    assert items.zerodown("expand").exit_code == 0
    result = items.zerodown("migrate")
    assert result.exit_code == 0, result.output
    assert "bump_items" in result.stdout and "complete" in result.stdout
    assert set(_counters(items)) == {1}
    again = items.zerodown("migrate")
    assert again.exit_code == 0 and set(_counters(items)) == {1}


def test_json_lines_and_exit_1_while_more_remains(items):
    assert items.zerodown("expand").exit_code == 0
    args = ("migrate", "--format", "json", "--batch-size", "25")
    first = items.zerodown(*args, "--max-count", "60")
    assert first.exit_code == 1, first.output
    lines = _lines(first)
    batches = [line for line in lines if line["event"] == "batch"]
    assert [b["done"] for b in batches] == [25, 25, 10]
    assert lines[0]["event"] == "started"
    assert lines[-1]["event"] == "summary"
    assert lines[-1]["stopped"] == "max-count"
    assert lines[-1]["exit_code"] == 1
    second = items.zerodown(*args, "--sleep", "0.001")
    assert second.exit_code == 0, second.output
    assert _lines(second)[-1]["done"] == 60
    assert set(_counters(items)) == {1}


def test_a_failing_migration_exits_2_and_the_others_run(items):
    assert items.zerodown("expand").exit_code == 0
    (items.root / "dm_settings.py").write_text(SETTING_MODULE)
    env = {"ZERODOWN_DATA_MIGRATIONS": "dm_settings"}
    sys.path.insert(0, str(items.root))  # CliRunner runs in this process
    try:
        result = items.zerodown("migrate", "--format", "json", env=env)
    finally:
        sys.path.remove(str(items.root))
        sys.modules.pop("dm_settings", None)
    assert result.exit_code == 2, result.output
    summary = _lines(result)[-1]
    statuses = {m["name"]: m["status"] for m in summary["migrations"]}
    assert statuses == {"bump_items": "complete", "picky": "failed"}
    assert "id 7 is not ready" in summary["migrations"][1]["error"]
    assert set(_counters(items)) == {1}


@pytest.mark.parametrize(
    "args",
    [
        ("--max-count", "0"),
        ("--max-count", "many"),
        ("--batch-size", "0"),
        ("--sleep", "-1"),
        ("--max-duration", "0"),
        ("--format", "yaml"),
        ("--no-such-option",),
    ],
)
def test_bad_arguments_exit_127(project, args):
    result = project.zerodown("migrate", *args)
    assert result.exit_code == 127, result.output


def test_a_bad_setting_exits_127(project):
    env = {"ZERODOWN_MIGRATE_BATCH_TIME": "0"}
    result = project.zerodown("migrate", env=env)
    assert result.exit_code == 127
    assert "migrate_batch_time must be > 0" in result.output


def test_a_missing_settings_module_is_a_failure(project):
    env = {"ZERODOWN_DATA_MIGRATIONS": "dm_no_such_module"}
    result = project.zerodown("migrate", env=env)
    assert result.exit_code == 2
    assert "dm_no_such_module: it does not import" in result.output
