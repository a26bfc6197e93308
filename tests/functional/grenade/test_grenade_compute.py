"""The compute stack's own upgrade job: release r1 -> this checkout,
grenade-style, on SQLite + the embedded broker and on PostgreSQL and
MariaDB + RabbitMQ (each run with its own database and topic prefix).

Release r1's code comes from this clone's history (``RELEASES``).  The
job's verify hook requires every pinned, huge-page and PCI guest created
on r1 to keep exactly its host, cells, pinning, page size and device
through the mixed phase and after the roll, and the hosts' usage per
cell to be unchanged.  In the mixed phase a guest boots on an old compute
(through backported objects) and a realtime guest is refused; after the
roll the realtime guest boots.  Two API processes run behind HAProxy and
are restarted one at a time while load runs: no request may fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from zerodown.cli import main
from zerodown.grenade.job import PHASES
from zerodown.testing.backends import fresh_database, start_backend

ROOT = Path(__file__).resolve().parents[3]
AMQP = "amqp://guest:guest@127.0.0.1:5672//"

# A whole upgrade job (two releases' processes, load, the roll, the
# report) runs for minutes; past the suite's default it is still working.
pytestmark = pytest.mark.timeout(1200)


@contextlib.contextmanager
def _stack(name: str) -> Iterator[list[str]]:
    """``--var`` arguments for the job on ``name``; SQLite and the
    embedded broker are the job's own defaults."""
    if name == "sqlite-embedded":
        yield []
        return
    backend = start_backend(name.split("-")[0], os.environ)
    with fresh_database(backend) as database:
        yield [
            f"database_url={database.url}",
            "transport_url=" + os.environ.get("ZERODOWN_TEST_AMQP_URL", AMQP),
            f"topic_prefix=grenade-{uuid.uuid4().hex[:8]}.",
        ]


def _run_job(
    workdir: Path, variables: list[str], failing: frozenset[str] = frozenset()
) -> tuple[Path, list[dict]]:
    """Run the compute job; the checks every variant shares.  Requests may
    fail only in the phases ``failing`` names.  Returns the logs folder
    and the failed requests."""
    result = CliRunner().invoke(
        main,
        [
            "grenade",
            str(ROOT / "grenade" / "compute.toml"),
            "--repo",
            str(ROOT),
            "--workdir",
            str(workdir),
            *(arg for v in variables for arg in ("--var", v)),
        ],
    )
    assert result.exit_code == 0, result.output
    events = [
        json.loads(line)
        for line in (workdir / "phases.jsonl").read_text().splitlines()
    ]
    assert [e["phase"] for e in events if e["event"] == "end"] == list(PHASES)
    logs = workdir / "logs"
    for service in ("conductor", "scheduler", "api-1", "api-2", "compute-1"):
        assert "READY" in (logs / f"{service}-old.log").read_text()
        assert "READY" in (logs / f"{service}-new.log").read_text()
    # verify ran in the mixed phase and after the roll, and passed.
    verified = (logs / "hook-verify.log").read_text()
    assert verified.count("--- new:") == 2
    assert "realtime refused while computes are old: 409" in verified
    assert "mixed-1 ACTIVE on old compute" in verified
    assert "rt-1 ACTIVE on compute-" in verified
    assert "realtime vCPUs [1]" in verified
    status = (logs / "hook-status.log").read_text()
    assert status.count("--- new:") == 3
    assert "move_column:instances.image_ref (rows left)" in status
    assert "contract gate: closed" in status  # after expand, before migrate
    assert "contract gate: open" in status
    report = json.loads((workdir / "report" / "report.json").read_text())
    records = [
        json.loads(line)
        for line in (workdir / "load.jsonl").read_text().splitlines()
    ]
    assert report["requests"] == len(records) > 100
    # Whole server lives ran through the upgrade, one record per request.
    operations = {r["operation"] for r in records}
    assert {"server.create", "server.pause", "server.delete"} <= operations
    failed = [r for r in records if not r["ok"]]
    assert report["failed"] == len(failed)  # counted, never hidden
    assert {r["phase"] for r in failed} <= failing, failed[:5]
    assert (workdir / "report" / "timeline.png").exists()
    return logs, failed


# The job's HAProxy and APIs listen on fixed ports: one job at a time.
@pytest.mark.serial
@pytest.mark.parametrize(
    "stack", ["sqlite-embedded", "postgresql-rabbitmq", "mysql-rabbitmq"]
)
def test_the_compute_job_upgrades_r1_to_this_checkout(tmp_path, stack):
    with _stack(stack) as variables:
        _, failed = _run_job(tmp_path / "work", variables)
    assert failed == []


@pytest.mark.slow
@pytest.mark.serial  # it restarts the shared RabbitMQ
def test_the_fault_run_loses_no_instance_and_counts_every_failure(tmp_path):
    """RabbitMQ restarts in the mixed phase and the data migration is
    killed with SIGKILL after one batch.  Every phase still passes: no
    guest, placement or image reference lost (verify).  Requests may fail
    in the mixed phase and early in migrate only, and each is counted in
    the report: release r1's computes lose a call of their own to the
    restart and stay down until it times out (60 s), and builds meanwhile
    find no valid host."""
    with _stack("postgresql-rabbitmq") as variables:
        logs, failed = _run_job(
            tmp_path / "work",
            [*variables, "faults=rabbitmq-restart,kill-migrate"],
            # r1's computes redeclare their queue only once the call they
            # lost to the restart times out (60 s), and the new API
            # publishes mandatory for 60 s after it reconnects: a cast
            # sent as that window closes, early in migrate, can still be
            # dropped (seen once: a pause at +62 s, its server.show
            # failed).  Release 3's job must show 0 failed requests.
            failing=frozenset({"mixed", "migrate"}),
        )
    print(f"fault run: {len(failed)} failed requests, all in the mixed phase")
    assert "RabbitMQ restarted" in (logs / "hook-verify.log").read_text()
    migrated = (logs / "hook-migrate.log").read_text()
    assert "killed zerodown db migrate (-9) after one batch" in migrated
    assert "it exited with -9" in migrated
    assert "'done': 1" in migrated and "gate closed" in migrated
