"""Release 2 moves ``instances.image_ref`` to ``instance_extra`` online,
on SQLite, PostgreSQL and MariaDB: release 1's rows stay readable by
release 2's code before ``migrate`` (fallback to the old column), writes
of either release reach the other's column (dual-write triggers), the
contract gate waits for the backfill, and a ``ComputeDB`` that read
through the old column keeps working after the contract dropped it."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from compute_releases import (
    R1_CONTRACT,
    R1_EXPAND,
    R2_CONTRACT,
    R2_EXPAND,
    migrate_all,
    r1_boot,
)
from compute_samples import flavor, instance

from zerodown.cli import main
from zerodown.compute.db.api import ComputeDB
from zerodown.compute.db.engine import make_engine
from zerodown.migrations import command
from zerodown.migrations.errors import ContractGateClosed, MigrationError


def _old_column(engine, uuid):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT image_ref FROM instances WHERE uuid = :u"),
            {"u": uuid},
        ).scalar_one()


def test_image_ref_moves_online_through_expand_migrate_contract(
    config, zerodown_db
):
    command.expand(config, R1_EXPAND)
    command.contract(config, R1_CONTRACT)
    engine = make_engine(zerodown_db.url)
    old = "11111111-1111-4111-8111-111111111111"
    try:
        with engine.begin() as conn:
            r1_boot(conn, old, "image-of-r1")
        # Release 2's expand: column + triggers.
        command.expand(config, R2_EXPAND)
        db = ComputeDB(engine)
        # Before migrate: release 2 reads release 1's row through the
        # old column.
        assert db.get_instance(old).image_ref == "image-of-r1"
        with pytest.raises(ContractGateClosed, match="image_ref"):
            command.contract(config, R2_CONTRACT)
        # Release 2 writes instance_extra; the trigger copies back for
        # release 1's readers.
        new = db.create_instance(instance(flavor("small", 1, 512)))
        saved = db.get_instance(new.uuid)
        saved.image_ref = "image-of-r2"
        db.save_instance(saved)
        assert _old_column(engine, new.uuid) == "image-of-r2"
        # Release 1 writes instances; the trigger copies forward.
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE instances SET image_ref = 'renamed' "
                    "WHERE uuid = :u"
                ),
                {"u": old},
            )
        assert db.get_instance(old).image_ref == "renamed"
        migrate_all(config)
        command.contract(config, R2_CONTRACT)
        # The same ComputeDB still selected the old column: its first
        # read after the contract looks again and goes on without it.
        assert db._r1.present is True
        assert db.get_instance(old).image_ref == "renamed"
        assert db.get_instance(new.uuid).image_ref == "image-of-r2"
        assert db._r1.present is False
        columns = {
            c["name"] for c in sa.inspect(engine).get_columns("instances")
        }
        assert "image_ref" not in columns and "description" in columns
    finally:
        engine.dispose()


def _operator(zerodown_db, config, subcommand):
    """``zerodown upgrade-check`` / ``status`` as an operator runs them."""
    result = CliRunner().invoke(
        main,
        [
            subcommand,
            "-c",
            str(config.alembic_ini),
            "--database-url",
            zerodown_db.url,
            "--history",
            "zerodown.compute.version:HISTORY",
            "--format",
            "json",
        ],
    )
    return result.exit_code, json.loads(result.output)


def test_the_operator_sees_the_move_through_the_upgrade(config, zerodown_db):
    command.expand(config, R1_EXPAND)
    command.contract(config, R1_CONTRACT)
    engine = make_engine(zerodown_db.url)
    try:
        with engine.begin() as conn:
            r1_boot(conn, "22222222-2222-4222-8222-222222222222", "img")
    finally:
        engine.dispose()
    command.expand(config, R2_EXPAND)
    code, report = _operator(zerodown_db, config, "upgrade-check")
    checks = {c["check"]: c for c in report["checks"]}
    # Release 3's expand (this checkout's) is still to run: a failure;
    # release 2's move under way: a warning.
    assert code == 2
    assert checks["schema expanded"]["result"] == "failure"
    assert checks["data migrations done"]["result"] == "warning"
    assert (
        "move_column:instances.image_ref"
        in (checks["data migrations done"]["details"])
    )
    code, status = _operator(zerodown_db, config, "status")
    assert [m["name"] for m in status["data_migrations"]] == [
        "move_column:instances.image_ref"
    ]
    assert status["gate"]["open"] is False
    migrate_all(config)
    command.contract(config, R2_CONTRACT)
    # Then release 3 (this checkout), whose expand needed that contract.
    command.expand(config)
    migrate_all(config)
    command.contract(config)
    code, report = _operator(zerodown_db, config, "upgrade-check")
    assert (code, report["result"]) == (0, "success"), report


def test_a_contract_forced_past_the_gate_still_loses_no_data(
    config, zerodown_db
):
    """The operator overrides the gate while the move still has a row to
    copy: the contract refuses anyway, before it drops anything."""
    uuid = "33333333-3333-4333-8333-333333333333"
    command.expand(config, R1_EXPAND)
    command.contract(config, R1_CONTRACT)
    engine = make_engine(zerodown_db.url)
    try:
        with engine.begin() as conn:
            r1_boot(conn, uuid, "img")
        command.expand(config, R2_EXPAND)
        with pytest.raises(MigrationError, match="still has rows to copy"):
            command.contract(config, R2_CONTRACT, force=True)
        assert _old_column(engine, uuid) == "img"
        assert ComputeDB(engine).get_instance(uuid).image_ref == "img"
        migrate_all(config)
        command.contract(config, R2_CONTRACT)
        assert ComputeDB(engine).get_instance(uuid).image_ref == "img"
    finally:
        engine.dispose()
