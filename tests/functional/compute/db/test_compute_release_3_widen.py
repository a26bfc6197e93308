"""Release 3 widens ``instances.id`` to 64 bits online
(``zop.widen_primary_key``), on SQLite, PostgreSQL and MariaDB.

Its expand depends on release 2's contract: on MySQL/MariaDB the widening
copies the table into a shadow, which cannot stay in step with a column
that an earlier release's contract drops meanwhile, so release 2 must be
contracted first (as Nova needs each release's online migrations done
before the next).  ``zerodown db expand`` runs that contract only through
the contract gate, and refuses with the gate's reasons otherwise.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from compute_releases import (
    R1_CONTRACT,
    R1_EXPAND,
    R2_CONTRACT,
    R2_EXPAND,
    migrate_all,
    r1_boot,
)

from zerodown.compute.db.engine import make_engine
from zerodown.migrations import Phase, command
from zerodown.migrations.errors import ExpandNeedsContract


def _rows(engine) -> dict[str, str]:
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id, uuid FROM instances"))
        return {str(i): u for i, u in found}


def _key_type(engine) -> str:
    with engine.connect() as conn:
        columns = sa.inspect(conn).get_columns("instances")
    # PostgreSQL's swap leaves the widened id last.
    return next(str(c["type"]).upper() for c in columns if c["name"] == "id")


def test_release_3_expand_waits_for_release_2s_contract(config, zerodown_db):
    """From release 1, with a release-1 row not yet moved: expand to the
    head refuses, naming release 2's contract and the gate's reason, and
    applies nothing; release 2 done, it runs."""
    command.expand(config, R1_EXPAND)
    command.contract(config, R1_CONTRACT)
    engine = make_engine(zerodown_db.url)
    try:
        with engine.begin() as conn:
            r1_boot(conn, "44444444-4444-4444-8444-444444444444", "img")
        with pytest.raises(ExpandNeedsContract) as refused:
            command.expand(config)
        assert R2_CONTRACT in str(refused.value)
        assert "expand to it, migrate and contract" in str(refused.value)
        assert command.status(config).branch(Phase.EXPAND).current == R1_EXPAND
        command.expand(config, R2_EXPAND)
        migrate_all(config)
        command.contract(config, R2_CONTRACT)
        command.expand(config)
    finally:
        engine.dispose()


def test_instances_id_widens_with_rows_written_at_every_step(
    config, zerodown_db
):
    """Release 2 done; release 3's expand, migrate and contract with rows
    written between them: every row keeps its id, the key is 64 bits,
    and ids go on past 2^31."""
    command.expand(config, R2_EXPAND)
    command.contract(config, R2_CONTRACT)
    engine = make_engine(zerodown_db.url)
    boot = iter(f"{n:08d}-5555-4555-8555-555555555555" for n in range(99))
    try:
        for _ in range(5):
            with engine.begin() as conn:
                _r2_boot(conn, next(boot))
        command.expand(config)
        with engine.begin() as conn:
            _r2_boot(conn, next(boot))
        migrate_all(config)
        with engine.begin() as conn:
            _r2_boot(conn, next(boot))
        before = _rows(engine)
        command.contract(config)
        assert _rows(engine) == before
        wide = "INTEGER" if engine.dialect.name == "sqlite" else "BIGINT"
        assert _key_type(engine) == wide
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO instances (id, uuid, vm_state, vcpus, "
                    "memory_mb, root_gb, ephemeral_gb, created_at, deleted) "
                    "VALUES (:id, 'past-2-31', 'active', 1, 1, 1, 0, "
                    "CURRENT_TIMESTAMP, :false)"
                ),
                {"id": 2**31 + 7, "false": False},
            )
        assert _rows(engine)[str(2**31 + 7)] == "past-2-31"
    finally:
        engine.dispose()


def _r2_boot(conn, uuid: str) -> None:
    """An instance as release 2 writes it (no image_ref on ``instances``)."""
    conn.execute(
        sa.text(
            "INSERT INTO instances (uuid, display_name, vm_state, vcpus, "
            "memory_mb, root_gb, ephemeral_gb, created_at, deleted) VALUES "
            "(:uuid, 'r2', 'active', 1, 512, 1, 0, CURRENT_TIMESTAMP, :false)"
        ),
        {"uuid": uuid, "false": False},
    )
