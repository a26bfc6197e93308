"""The contract gate refuses with reasons, and --force is recorded."""

from __future__ import annotations

import datetime
import json

from zerodown.config import load_config
from zerodown.migrations import command
from zerodown.migrations.gate import GateContext, overrides


def _pair(project):
    assert project.zerodown("expand").exit_code == 0
    assert project.zerodown("contract").exit_code == 0
    expand, contract = project.revision("pair", "--contract")
    project.write_upgrade(
        expand,
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
    )
    return expand, contract


def test_contract_never_pulls_in_an_unapplied_expand(project):
    expand, _ = _pair(project)
    result = project.zerodown("contract")
    assert result.exit_code == 3
    expand_id = expand.stem.split("_")[0]
    assert f"expand-applied: expand revision {expand_id}" in result.output
    assert "run 'zerodown db expand' first" in result.output
    assert "t" not in project.tables()

    status = project.zerodown("status")
    assert status.exit_code == 3
    assert "contract gate: closed" in status.output
    assert "WAIT expand-applied" in status.output
    state = json.loads(project.zerodown("status", "--format", "json").output)
    assert state["gate"]["open"] is False
    assert state["gate"]["checks"]["expand-applied"]["passed"] is False


def test_gate_opens_once_expand_ran(project):
    _pair(project)
    assert project.zerodown("expand").exit_code == 0
    state = json.loads(project.zerodown("status", "--format", "json").output)
    assert state["gate"]["open"] is True
    assert project.zerodown("contract").exit_code == 0
    assert (
        "contract gate: nothing to contract"
        in project.zerodown("status").output
    )


def test_force_runs_and_is_recorded(project, caplog):
    _pair(project)
    result = project.zerodown("contract", "--force")
    assert result.exit_code == 0, result.output
    assert any("CONTRACT FORCED" in r.getMessage() for r in caplog.records)
    with project.database.engine.connect() as conn:
        (record,) = overrides(conn)
    assert "expand-applied" in record["reasons"]
    assert "@" in record["operator"]
    assert "t" in project.tables()  # alembic applied the expand with it


def test_minimum_service_versions_are_collected(project):
    _pair(project)
    _, contract = project.revision("needs new computes", "--contract")
    text = contract.read_text().replace(
        "def upgrade() -> None:",
        'minimum_service_versions = {"compute": 6}\n\n\ndef upgrade() -> None:',
    )
    contract.write_text(text)
    config = load_config(project.ini, environ={})
    layout = command.layout(config)
    with project.database.engine.connect() as conn:
        context = GateContext(
            connection=conn,
            layout=layout,
            pending=(layout.revision(contract.stem.split("_")[0]),),
            applied=frozenset(),
        )
        assert context.required_service_versions() == {"compute": 6}


def test_bookkeeping_tables_are_invisible_to_autogenerate(project):
    _pair(project)
    assert project.zerodown("contract", "--force").exit_code == 0
    assert "zerodown_gate_overrides" in project.tables()
    project.models(
        '\nt = sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True))\n'
    )
    config = load_config(project.ini, environ={})
    assert command.model_diff(config) == []


def _service(conn, host, version, seen_ago, **extra):
    from zerodown.services import SERVICES

    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    conn.execute(
        SERVICES.insert().values(
            host=host,
            binary="compute",
            version=version,
            supports_from=1,
            last_seen_up=now - datetime.timedelta(seconds=seen_ago),
            created_at=now,
            updated_at=now,
            **extra,
        )
    )


def test_contract_waits_for_old_running_services(project):
    """A service that stopped heartbeating an hour ago may still run (a
    broken link, not a dead process): it holds the contract until it
    stops or an operator forces it down.  One that recorded its stop
    does not."""
    from zerodown.services import SERVICES

    _pair(project)
    _, contract = project.revision("needs new computes", "--contract")
    contract.write_text(
        contract.read_text().replace(
            "def upgrade() -> None:",
            'minimum_service_versions = {"compute": 6}\n\n\ndef upgrade() -> None:',
        )
    )
    assert project.zerodown("expand").exit_code == 0
    with project.database.engine.begin() as conn:
        SERVICES.create(conn, checkfirst=True)
        _service(conn, "old-live", 5, seen_ago=5)
        _service(conn, "old-silent", 4, seen_ago=3600)  # no heartbeat
        _service(
            conn,
            "old-stopped",
            4,
            seen_ago=3600,
            stopped_at=datetime.datetime(2026, 1, 1),
        )
        _service(conn, "new-live", 6, seen_ago=5)
    refused = project.zerodown("contract")
    assert refused.exit_code == 3
    assert (
        "services-new-enough: compute on old-live runs service version 5; "
        "the contract needs 6 or newer" in refused.output
    )
    assert "compute on old-silent runs service version 4" in refused.output
    assert "old-stopped" not in refused.output
    with project.database.engine.begin() as conn:
        conn.execute(SERVICES.delete().where(SERVICES.c.host == "old-live"))
        conn.execute(
            SERVICES.update()
            .where(SERVICES.c.host == "old-silent")
            .values(forced_down=True)
        )
    assert project.zerodown("contract").exit_code == 0
