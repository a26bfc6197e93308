"""Triggers, functions and checks that releases up to 2.0 created under
their names (``zd_move_<table>_<column>`` cut to 54 characters, and the
like) are found and dropped by this release's contract and rollback.

Release 2 of the compute stack moved ``instances.image_ref`` with
``zop.move_column``; a deployment upgraded in between has its triggers
under the old names.  The expand here makes them as that release did: its
names were unquoted, and for these plain lower-case names the SQL is the
same text.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for
from identifiers import bookkeeping
from online import Writer, base_schema, downgrade, ok, online, schema

from zerodown.migrations.operations import SetNotNull, naming
from zerodown.migrations.operations.cross_sync import TableSync
from zerodown.migrations.operations.fill import ColumnFill
from zerodown.migrations.operations.sync import ColumnSync

TABLES = """
op.create_table(
    "instances",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), unique=True),
    sa.Column("image_ref", sa.Text),
    sa.Column("hostname", sa.String(100), nullable=False),
    sa.Column("email", sa.String(100)),
    sa.Column("owner", sa.String(100)),
)
op.create_table(
    "instance_extra",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_uuid", sa.String(36), unique=True),
)
"""
# The rename first: on SQLite it rebuilds the table to relax hostname's
# NOT NULL, which would drop the triggers of a move already in flight.
CALLS = [
    'zop.rename_column("instances", "hostname", "display_name")',
    'zop.move_column("instances", "image_ref", "instance_extra", '
    'on={"instance_uuid": "uuid"})',
    'zop.set_not_null("instances", "owner", backfill_sql="{email}")',
]
# What release 2 named them, one name per trigger (and per function on
# PostgreSQL), with the suffixes it appended.
LEGACY = {
    "postgresql": [
        "zd_fill_instances_owner",
        "zd_move_instances_image_ref_f",
        "zd_move_instances_image_ref_s",
        "zd_move_instances_image_ref_t",
        "zd_sync_instances_display_name",
    ],
    "mysql": [
        "zd_fill_instances_owner_bi",
        "zd_fill_instances_owner_bu",
        "zd_move_instances_image_ref_f",
        "zd_move_instances_image_ref_su",
        "zd_move_instances_image_ref_ti",
        "zd_move_instances_image_ref_tu",
        "zd_sync_instances_display_name_bi",
        "zd_sync_instances_display_name_bu",
    ],
    "sqlite": [
        "zd_fill_instances_owner_ai",
        "zd_fill_instances_owner_au",
        "zd_move_instances_image_ref_si",
        "zd_move_instances_image_ref_su",
        "zd_move_instances_image_ref_ti",
        "zd_move_instances_image_ref_tu",
        "zd_sync_instances_display_name_ai",
        "zd_sync_instances_display_name_un",
        "zd_sync_instances_display_name_uo",
    ],
}


def _legacy(self) -> str:
    return self.legacy_name


@pytest.fixture
def old_release(monkeypatch):
    """While it is on, expand names things as release 2 did."""
    for kind in (ColumnSync, TableSync, ColumnFill):
        monkeypatch.setattr(kind, "name", property(_legacy))
    monkeypatch.setattr(
        SetNotNull,
        "check_name",
        property(
            lambda op: naming.legacy(
                "nn", op.table_name, op.column_name, length=63
            )
        ),
    )
    return monkeypatch


@pytest.fixture
def expanded(project, old_release):
    """Expand by release 2's naming; the rest by this release's code."""
    base_schema(project, TABLES)
    engine = engine_for(project.database.url)
    bookkeeping(engine)
    before = schema(engine)
    writer = Writer("old", engine, column_writer("instances", *WRITES))
    for _ in range(5):
        writer.step()
    online(project, "; ".join(CALLS), undo="; ".join(reversed(CALLS)))
    ok(project.zerodown("expand"))
    assert _ours(engine) == LEGACY[project.database.backend]
    if project.database.backend == "postgresql":
        assert schema(engine)["instances"]["checks"] == [
            "zd_nn_instances_owner"
        ]
    old_release.undo()
    yield project, engine, before
    engine.dispose()


WRITES = ("hostname", "email", "image_ref")


def _ours(engine: sa.Engine) -> list[str]:
    return sorted(n for n in schema(engine)["triggers"] if n.startswith("zd_"))


def test_contract_drops_what_release_2_created(expanded):
    project, engine, _ = expanded
    ok(project.zerodown("migrate"))
    ok(project.zerodown("contract"))
    found = schema(engine)
    assert _ours(engine) == []
    assert [f for (f,) in found.get("functions", []) if f[:3] == "zd_"] == []
    assert found["instances"].get("checks", []) == []
    columns = {c[0]: c[2] for c in found["instances"]["columns"]}
    assert "image_ref" not in columns and "hostname" not in columns
    assert columns["owner"] is False  # NOT NULL, the legacy check gone


def test_rollback_drops_what_release_2_created(expanded):
    project, engine, before = expanded
    downgrade(project, "expand@-1")
    assert schema(engine) == before
