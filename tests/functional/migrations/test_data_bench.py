"""The backfill benchmark runs: a tiny table, every phase, the report.

Its numbers mean nothing at this size; the full run is
``.venv/bin/python bench/backfill.py`` (see bench/README.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from zerodown.testing.plugin import selected_backends

BENCH = Path(__file__).resolve().parents[3] / "bench" / "backfill.py"


@pytest.mark.slow
def test_the_backfill_benchmark_runs(request, tmp_path):
    chosen = selected_backends(request.config)
    servers = {
        "postgresql": ("--pg-url", "ZERODOWN_TEST_POSTGRESQL_URL"),
        "mariadb": ("--mysql-url", "ZERODOWN_TEST_MYSQL_URL"),
    }
    wanted = {"postgresql": "postgresql", "mariadb": "mysql"}
    backends = [
        name
        for name, backend in wanted.items()
        if backend in chosen and os.environ.get(servers[name][1])
    ]
    if not backends:
        pytest.skip("the benchmark needs a PostgreSQL or MariaDB server")
    command = [
        sys.executable,
        str(BENCH),
        "--rows",
        "2000",
        "--backends",
        ",".join(backends),
        "--baseline-seconds",
        "0.3",
        "--lead",
        "0.2",
        "--tail",
        "0.1",
        "--impacts",
        "2",
        "--pauses",
        "10",
        "--database",
        f"zd_bench_{uuid.uuid4().hex[:8]}",
        "--json",
        str(tmp_path / "raw.json"),
    ]
    for name in backends:
        flag, env = servers[name]
        command += [flag, os.environ[env]]
    quick = {**os.environ, "ZERODOWN_MIGRATE_BASELINE_TIME": "0.3"}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=quick
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in backends:
        label = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}[name]
        assert f"## {label}" in done.stdout
    # Each point in the curve, zerodown's again against the naive curve.
    zerodown = done.stdout.count("| zerodown --max-impact 2 |")
    assert zerodown == 2 * len(backends), done.stdout
    naive = done.stdout.count("| naive B=1000, pause 10 ms |")
    assert naive == len(backends), done.stdout
    targets = done.stdout.count("| --max-impact 2: writers' p99 <= 2x |")
    assert targets == len(backends), done.stdout
    assert (tmp_path / "raw.json").exists()
