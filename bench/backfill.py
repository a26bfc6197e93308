"""Benchmark: ``zerodown db migrate`` against one single-statement UPDATE.

    .venv/bin/python bench/backfill.py [--rows N] [--backends ...]

On PostgreSQL and MariaDB (127.0.0.1, or --pg-url / --mysql-url), in a
database of its own, for each backend and in one run:

1. baseline: two writer processes (UPDATE by primary key, INSERT) alone;
2. single: ``UPDATE instances SET extra = ...`` of all N rows in one
   statement (the physical limit), with the writers running;
3. zerodown: the same change as a :class:`KeysetBackfill` run by the real
   command (``zerodown db migrate --format json`` in a subprocess, default
   settings), with the writers running; its RSS is sampled as it goes.

Each measured phase starts from a freshly filled table.  Writer figures
cover the transactions that started while the phase's statement (or the
runner's batches) ran.  It prints rows/s, the writers' throughput, p50,
p99, max latency and errors per phase, the runner's memory, and each
target of issue 3 with the measured ratio; nothing is tuned to meet them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from backfill_data import BACKENDS, DATABASE, Backend
from backfill_load import KINDS, Writers, WriterStats, window_stats
from backfill_report import report

from zerodown.migrations import api

MIGRATION = """
from zerodown.migrations.data import KeysetBackfill

data_migrations = [
    KeysetBackfill(
        name="bench_extra",
        table="instances",
        key=("id",),
        assignments="extra = {expr}",
        where="extra IS NULL",
    )
]
"""


def _phase(backend: Backend, rows: int, args: Any, work: Any) -> dict:
    """Writers on; ``lead`` s; ``work()`` -> (start, end, info); ``tail`` s."""
    writers = Writers(backend.name, backend.writer_dsn(), rows)
    time.sleep(args.lead)
    cpu = psutil.cpu_times()
    start, end, info = work()
    busy = _busy_cores(cpu, psutil.cpu_times())
    time.sleep(args.tail)
    logs = writers.stop()
    stats = {kind: window_stats(logs[kind], start, end) for kind in KINDS}
    return {
        "start": start,
        "end": end,
        "writers": stats,
        "host_busy_cores": busy,
        **info,
    }


def _busy_cores(before: Any, after: Any) -> float:
    """Cores busy on the whole host (every process, ours included)."""
    total = sum(after) - sum(before)
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    return (total - idle) / total * psutil.cpu_count() if total else 0.0


def _baseline(args: Any) -> Any:
    def work() -> tuple[float, float, dict]:
        start = time.monotonic()
        time.sleep(args.baseline_seconds)
        return start, time.monotonic(), {}

    return work


def _single(backend: Backend, rows: int) -> Any:
    def work() -> tuple[float, float, dict]:
        engine = backend.engine()
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN")
            start = time.monotonic()
            done = conn.exec_driver_sql(
                f"UPDATE instances SET extra = {backend.update_expr}"
            ).rowcount
            conn.exec_driver_sql("COMMIT")
            end = time.monotonic()
        engine.dispose()
        return start, end, {"rows": done, "seconds": end - start}

    return work


def _zerodown(backend: Backend, project: Path, extra: list[str]) -> Any:
    def work() -> tuple[float, float, dict]:
        env = {
            **os.environ,
            "PYTHONPATH": str(project),
            "ZERODOWN_DATA_MIGRATIONS": "bench_backfill_migration",
        }
        command = [
            str(Path(sys.executable).with_name("zerodown")),
            "db",
            "-c",
            str(project / "alembic.ini"),
            "migrate",
            "--format",
            "json",
            *extra,
        ]
        launched = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
        sampler = _RSS(proc.pid)
        marks: dict[str, float] = {}
        batches: list[dict] = []
        summary: dict = {}
        assert proc.stdout is not None
        for raw in proc.stdout:
            event = json.loads(raw)
            now = time.monotonic()
            if event["event"] == "started":
                marks["start"] = now
            elif event["event"] == "batch":
                batches.append(event)
                sampler.after_first_batch()
            elif event["event"] == "summary":
                marks["end"], summary = now, event
        _, status, usage = os.wait4(proc.pid, 0)
        sampler.stop()
        return (
            marks["start"],
            marks["end"],
            {
                "rows": summary["done"],
                "seconds": marks["end"] - marks["start"],
                "runner_seconds": summary["seconds"],
                "process_seconds": time.monotonic() - launched,
                "exit_code": os.waitstatus_to_exitcode(status),
                "batches": len(batches),
                "batch_sizes": [b["batch_size"] for b in batches],
                "longest_batch_ms": max(b["seconds"] for b in batches) * 1000,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "rss_first_batch_mb": sampler.first / 2**20,
                "rss_samples_mb": [s / 2**20 for s in sampler.samples],
            },
        )

    return work


class _RSS:
    """Samples a process's RSS every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.samples: list[int] = []
        self.first = 0
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._halt.wait(0.05):
            try:
                self.samples.append(self.process.memory_info().rss)
            except psutil.Error:
                return

    def after_first_batch(self) -> None:
        if not self.first:
            self.first = self.process.memory_info().rss

    def stop(self) -> None:
        self._halt.set()
        self._thread.join()


def _project(backend: Backend, where: Path) -> Path:
    api.init(where / "migrations", where / "alembic.ini", backend.url)
    module = MIGRATION.format(expr=backend.update_expr.replace('"', '\\"'))
    (where / "bench_backfill_migration.py").write_text(module)
    return where


def run_backend(backend: Backend, args: Any) -> dict:
    print(f"== {backend.label}: {args.rows:,} rows", file=sys.stderr)
    backend.create_database()
    result: dict[str, Any] = {
        "backend": backend.label,
        "migrate_args": args.migrate_args,
    }
    try:
        fill = backend.populate(args.rows)
        print(f"   filled in {fill:.1f}s; baseline", file=sys.stderr)
        result["baseline"] = _phase(backend, args.rows, args, _baseline(args))
        print("   single UPDATE", file=sys.stderr)
        result["single"] = _phase(
            backend, args.rows, args, _single(backend, args.rows)
        )
        backend.populate(args.rows)
        print("   zerodown db migrate", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="zd_bench_") as tmp:
            project = _project(backend, Path(tmp))
            result["zerodown"] = _phase(
                backend,
                args.rows,
                args,
                _zerodown(backend, project, args.migrate_args.split()),
            )
    finally:
        if not args.keep:
            backend.drop_database()
    return result


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    urls = {"postgresql": args.pg_url, "mariadb": args.mysql_url}
    results = [
        run_backend(BACKENDS[name](urls[name], args.database), args)
        for name in args.backends.split(",")
    ]
    print(report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, default=_plain))
    zerodown_failed = any(r["zerodown"]["exit_code"] != 0 for r in results)
    return 1 if zerodown_failed else 0


def _plain(value: object) -> object:
    if isinstance(value, WriterStats):
        return {**value.__dict__, "tps": value.tps}
    raise TypeError(type(value).__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="postgresql,mariadb")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument(
        "--mysql-url", default="mysql+pymysql://root@127.0.0.1:3306/"
    )
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=10.0,
        help="how long the writers run alone",
    )
    parser.add_argument(
        "--lead", type=float, default=3.0, help="writers' head start, s"
    )
    parser.add_argument(
        "--tail", type=float, default=2.0, help="writers run on after, s"
    )
    parser.add_argument(
        "--database",
        default=DATABASE,
        help="the benchmark's own database (dropped and created)",
    )
    parser.add_argument(
        "--migrate-args",
        default="",
        help="extra flags for zerodown db migrate (default: none, i.e. "
        "its default settings), e.g. '--sleep 0.05'",
    )
    parser.add_argument("--json", help="also write raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the db")
    return parser


if __name__ == "__main__":
    sys.exit(main())
