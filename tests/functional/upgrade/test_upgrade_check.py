"""``zerodown upgrade-check`` and ``zerodown status`` on each database,
against the compute stack's own migrations and service history."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from zerodown.cli import main
from zerodown.compute.version import HISTORY
from zerodown.services import ServiceDirectory

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
    assert {c["api"] for c in found["caps"]} >= {"compute", "conductor"}
    branches = {b["branch"]: b for b in found["schema"]}
    assert branches["expand"]["pending"] == []
    # The contract base and release 2's drop of instances.image_ref.
    assert branches["contract"]["pending"] == ["cae7009e84da", "8f1d3a6b2c57"]
    assert found["gate"]["open"] is True
    assert found["errors"] == {}
    table = CliRunner().invoke(
        main, ["status", *db, "--history", HISTORY_SPEC]
    )
    assert table.exit_code == 0 and "contract gate: open" in table.output
