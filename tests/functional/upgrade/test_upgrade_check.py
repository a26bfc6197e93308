"""``zerodown upgrade-check`` and ``zerodown status`` on each database,
against the compute stack's own migrations and service history."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from zerodown.cli import main
from zerodown.compute.version import HISTORY
from zerodown.services import ServiceDirectory, SigningReport

ROOT = Path(__file__).resolve().parents[3]
HISTORY_SPEC = "zerodown.compute.version:HISTORY"


def _run(db, *args):
    result = CliRunner().invoke(
        main,
        [
            *args,
            "-c",
            str(ROOT / "alembic.ini"),
            "--database-url",
            db.url,
            "--history",
            HISTORY_SPEC,
            "--format",
            "json",
        ],
    )
    return result.exit_code, json.loads(result.output)


def _checks(report):
    return {c["check"]: c["result"] for c in report["checks"]}


def test_the_check_follows_a_rolling_upgrade(zerodown_db):
    code, report = _run(zerodown_db, "upgrade-check")
    assert code == 2
    assert _checks(report)["schema expanded"] == "failure"
    db = ["-c", str(ROOT / "alembic.ini"), "--database-url", zerodown_db.url]
    runner = CliRunner()
    assert runner.invoke(main, ["db", *db, "expand"]).exit_code == 0
    code, report = _run(zerodown_db, "upgrade-check")
    assert code == 1, report
    assert _checks(report) == {
        "schema expanded": "success",
        "data migrations done": "success",
        "contract": "warning",
        "service versions": "success",
        "message signing": "success",
    }
    assert runner.invoke(main, ["db", *db, "contract"]).exit_code == 0
    code, report = _run(zerodown_db, "upgrade-check")
    assert (code, report["result"]) == (0, "success")
    # A live service older than this release supports stops the upgrade.
    engine = sa.create_engine(zerodown_db.url)
    try:
        ServiceDirectory(engine, HISTORY).register(
            "old-host", "compute", version=0, check=False
        )
    finally:
        engine.dispose()
    code, report = _run(zerodown_db, "upgrade-check")
    assert code == 2
    failed = next(c for c in report["checks"] if c["result"] == "failure")
    assert "compute on old-host (version 0)" in failed["details"]


def test_a_service_that_accepts_unsigned_messages_is_a_warning(zerodown_db):
    db = ["-c", str(ROOT / "alembic.ini"), "--database-url", zerodown_db.url]
    runner = CliRunner()
    for phase in ("expand", "contract"):
        assert runner.invoke(main, ["db", *db, phase]).exit_code == 0
    engine = sa.create_engine(zerodown_db.url)
    directory = ServiceDirectory(engine, HISTORY)
    try:
        for host in ("node-1", "node-2"):
            directory.register(host, "compute")
        # Registered, but no report yet: a release from before signing.
        code, report = _run(zerodown_db, "upgrade-check")
        assert code == 1, report
        (check,) = [c for c in report["checks"] if c["result"] == "warning"]
        assert (
            "compute on node-1 (version 3: reports no signing)"
            in (check["details"])
        )
        directory.heartbeat(
            "node-1", "compute", SigningReport("permissive", 12, 0)
        )
        directory.heartbeat(
            "node-2", "compute", SigningReport("required", 0, 3)
        )
        code, report = _run(zerodown_db, "upgrade-check")
        assert code == 1, report
        (check,) = [c for c in report["checks"] if c["result"] == "warning"]
        assert check["check"] == "message signing"
        assert "compute on node-1 (permissive, 12 unsigned" in check["details"]
        assert "node-2" not in check["details"]
        directory.heartbeat(
            "node-1", "compute", SigningReport("required", 12, 0)
        )
        code, report = _run(zerodown_db, "upgrade-check")
        assert code == 0, report
        table = runner.invoke(main, ["status", *db, "--history", HISTORY_SPEC])
        assert table.exit_code == 0
        assert "not required by" not in table.output
        directory.heartbeat("node-2", "compute", SigningReport("off", 40, 0))
        table = runner.invoke(main, ["status", *db, "--history", HISTORY_SPEC])
        assert "message signing is not required by: compute on node-2" in (
            table.output
        )
    finally:
        engine.dispose()


def test_status_shows_the_whole_deployment(zerodown_db):
    db = ["-c", str(ROOT / "alembic.ini"), "--database-url", zerodown_db.url]
    assert CliRunner().invoke(main, ["db", *db, "expand"]).exit_code == 0
    engine = sa.create_engine(zerodown_db.url)
    try:
        ServiceDirectory(engine, HISTORY).register("node-1", "compute")
    finally:
        engine.dispose()
    code, found = _run(zerodown_db, "status")
    assert code == 0
    assert found["project"] == "zerodown.compute"
    (service,) = found["services"]
    assert (service["binary"], service["state"], service["version"]) == (
        "compute",
        "up",
        HISTORY.current,
    )
    assert service["rpc_signing"] is None  # it has not reported yet
    assert {c["api"] for c in found["caps"]} >= {"compute", "conductor"}
    branches = {b["branch"]: b for b in found["schema"]}
    assert branches["expand"]["pending"] == []
    # Release 3's widening of instances.id needs release 2's contract
    # (its expand depends on it), so expand ran that; its swap is left.
    assert branches["contract"]["pending"] == ["e3a9c5d1f7b2"]
    engine = sa.create_engine(zerodown_db.url)
    try:
        ServiceDirectory(engine, HISTORY).heartbeat(
            "node-1", "compute", SigningReport("permissive", 7, 2)
        )
    finally:
        engine.dispose()
    code, found = _run(zerodown_db, "status")
    (service,) = found["services"]
    assert (
        service["rpc_signing"],
        service["rpc_unsigned"],
        service["rpc_refused"],
    ) == ("permissive", 7, 2)
    assert found["gate"]["open"] is True
    assert found["errors"] == {}
    table = CliRunner().invoke(
        main, ["status", *db, "--history", HISTORY_SPEC]
    )
    assert table.exit_code == 0 and "contract gate: open" in table.output
