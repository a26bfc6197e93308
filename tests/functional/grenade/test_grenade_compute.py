"""The compute stack's own upgrade job: release r1 -> this checkout,
grenade-style, on SQLite and the embedded broker.

Release r1's code comes from this clone's history (``RELEASES``).  The
job's verify hook requires every pinned, huge-page and PCI guest created
on r1 to keep exactly its host, cells, pinning, page size and device
through the mixed phase and after the roll, and the hosts' usage per
cell to be unchanged.  Two API processes run behind HAProxy and are
restarted one at a time while load runs: no request may fail.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from zerodown.cli import main
from zerodown.grenade.job import PHASES

ROOT = Path(__file__).resolve().parents[3]


def test_the_compute_job_upgrades_r1_to_this_checkout(tmp_path):
    workdir = tmp_path / "work"
    result = CliRunner().invoke(
        main,
        [
            "grenade",
            str(ROOT / "grenade" / "compute.toml"),
            "--repo",
            str(ROOT),
            "--workdir",
            str(workdir),
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
    assert (logs / "hook-verify.log").read_text().count("--- new:") == 2
    report = json.loads((workdir / "report" / "report.json").read_text())
    records = [
        json.loads(line)
        for line in (workdir / "load.jsonl").read_text().splitlines()
    ]
    assert report["requests"] == len(records) > 100
    assert report["failed"] == sum(not r["ok"] for r in records) == 0, [
        r for r in records if not r["ok"]
    ][:5]
    assert (workdir / "report" / "timeline.png").exists()
