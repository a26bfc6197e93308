"""Benchmark: how fast ``zerodown db migrate`` backfills, and what the
application's writers pay meanwhile, against one UPDATE and a naive loop.

    .venv/bin/python bench/backfill.py [--rows N] [--backends ...] [--plot F]

On PostgreSQL and MariaDB (127.0.0.1, or --pg-url / --mysql-url), in a
database of its own, for each backend and in one run, two writer
processes running throughout (UPDATE by primary key, INSERT):

1. baseline: the writers alone;
2. single: ``UPDATE instances SET extra = ...`` of all N rows in one
   statement (the physical limit);
3. the curve: for each point, on a freshly filled table, the same change
   by ``zerodown db migrate --format json --max-impact X`` (the real
   command in a subprocess, X of ``--impacts``; its RSS sampled) and by
   naive keyset batches of 1,000 rows with a fixed pause (``--pauses``,
   :mod:`backfill_naive`);
4. with ``--replicas ENV`` (the file ``scripts/replicas start`` writes): a
   backfill under ``--max-replica-lag`` on a primary of its own whose
   replica stops replaying now and then; the replica's lag is sampled.

Each point prints rows/s ÷ the single UPDATE's, and the writers' tx/s and
p99 ÷ baseline, with their worst latency and errors; then issue 14's
targets, met or missed, with the measured figures.  Nothing is tuned to
meet them.
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

import bench_database
import psutil
from backfill_data import BACKENDS, DATABASE, Backend
from backfill_lag import replica_point
from backfill_load import KINDS, Writers, WriterStats, window_stats
from backfill_naive import naive
from backfill_report import plot, report

from zerodown.migrations import command

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
    warm = time.monotonic() + 1.0  # connections made, loops running
    time.sleep(args.lead)
    lead_end = time.monotonic()
    cpu = psutil.cpu_times()
    start, end, info = work()
    busy = _busy_cores(cpu, psutil.cpu_times())
    time.sleep(args.tail)
    logs = writers.stop()
    stats = {kind: window_stats(logs[kind], start, end) for kind in KINDS}
    # The writers alone just before this phase: its own baseline, side by
    # side, so that what other tenants do to the host moves both.
    alone = {kind: window_stats(logs[kind], warm, lead_end) for kind in KINDS}
    return {
        "start": start,
        "end": end,
        "writers": stats,
        "writers_alone": alone,
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
        argv = [
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
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE)
        sampler = _RSS(proc.pid)
        marks: dict[str, float] = {}
        batches: list[dict] = []
        throttle: list[dict] = []
        summary: dict = {}
        assert proc.stdout is not None
        for raw in proc.stdout:
            event = json.loads(raw)
            now = time.monotonic()
            if event["event"] in ("started", "baseline"):
                # The probe's baseline (2 s) comes before the first batch;
                # the writers' window starts after it.
                marks["start"] = now
                if event["event"] == "baseline":
                    throttle.append({**event, "at": now})
            elif event["event"] in ("pace", "paused", "resumed"):
                throttle.append({**event, "at": now})
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
                "throttle": throttle,
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
    command.init(where / "migrations", where / "alembic.ini", backend.url)
    module = MIGRATION.format(expr=backend.update_expr.replace('"', '\\"'))
    (where / "bench_backfill_migration.py").write_text(module)
    return where


def run_backend(backend: Backend, args: Any) -> dict:
    print(f"== {backend.label}: {args.rows:,} rows", file=sys.stderr)
    backend.create_database()
    result: dict[str, Any] = {"backend": backend.label, "points": []}
    try:
        fill = backend.populate(args.rows)
        print(f"   filled in {fill:.1f}s; baseline", file=sys.stderr)
        result["baseline"] = _phase(backend, args.rows, args, _baseline(args))
        print("   single UPDATE", file=sys.stderr)
        result["single"] = _phase(
            backend, args.rows, args, _single(backend, args.rows)
        )
        with tempfile.TemporaryDirectory(prefix="zd_bench_") as tmp:
            project = _project(backend, Path(tmp))
            for kind, value in _points(args):
                backend.populate(args.rows)
                label = _label(kind, value)
                print(f"   {label}", file=sys.stderr)
                work = (
                    _zerodown(
                        backend,
                        project,
                        [
                            "--max-impact",
                            str(value),
                            "--max-duration",
                            str(args.point_max_duration),
                            *args.migrate_args.split(),
                        ],
                    )
                    if kind == "zerodown"
                    else naive(
                        backend,
                        args.naive_batch,
                        value / 1000,
                        args.point_max_duration,
                    )
                )
                point = _phase(backend, args.rows, args, work)
                point.update(kind=kind, value=value, label=label)
                result["points"].append(point)
    finally:
        if not args.keep:
            backend.drop_database()
    return result


def _points(args: Any) -> list[tuple[str, float]]:
    impacts = [float(x) for x in args.impacts.split(",") if x]
    pauses = [float(x) for x in args.pauses.split(",") if x]
    return [("zerodown", x) for x in impacts] + [("naive", p) for p in pauses]


def _label(kind: str, value: float) -> str:
    if kind == "zerodown":
        return f"zerodown --max-impact {value:g}"
    return f"naive B=1000, pause {value:g} ms"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    results: list[dict] = []
    lag: list[dict] = []

    def keep() -> None:  # after each part: a long run keeps what it did
        if args.json:
            raw = {"results": results, "replica_lag": lag}
            Path(args.json).write_text(json.dumps(raw, default=_plain))

    for backend in bench_database.chosen(args, BACKENDS):
        results.append(run_backend(backend, args))
        print(report(results[-1:], [], args), flush=True)
        keep()
    if args.plot:
        plot(results, args.plot, args.rows)
    if args.replicas:
        servers = _env_file(args.replicas)
        for name in args.backends.split(","):
            print(f"== {name}: replica lag", file=sys.stderr)
            lag.append(replica_point(name, servers, args, _zerodown, _project))
            print(report([], lag[-1:], args), flush=True)
            keep()
    # 1: a point cut short by --point-max-duration (more remains).
    failed = any(p["exit_code"] > 1 for r in results for p in r["points"])
    return 1 if failed else 0


def _env_file(path: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in Path(path).read_text().split())
    return {key: value for key, value in pairs}


def _plain(value: object) -> object:
    if isinstance(value, WriterStats):
        return {**value.__dict__, "tps": value.tps}
    raise TypeError(type(value).__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_database.server_arguments(parser, DATABASE)
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=10.0,
        help="how long the writers run alone for the run's baseline",
    )
    parser.add_argument(
        "--lead",
        type=float,
        default=6.0,
        help="writers' head start, s; its last lead - 1 s are the phase's "
        "own baseline",
    )
    parser.add_argument(
        "--tail", type=float, default=2.0, help="writers run on after, s"
    )
    parser.add_argument(
        "--migrate-args",
        default="",
        help="extra flags for zerodown db migrate besides --max-impact",
    )
    parser.add_argument(
        "--impacts",
        default="1.5,2,3,5",
        help="zerodown's points: --max-impact values",
    )
    parser.add_argument(
        "--pauses",
        default="0,10,50",
        help="the naive loop's points: pauses after each batch, ms",
    )
    parser.add_argument("--naive-batch", type=int, default=1000)
    parser.add_argument(
        "--point-max-duration",
        type=float,
        default=600.0,
        help="a point starts no batch after this many seconds (its rows/s "
        "is over the time it ran; the table shows the rows it did)",
    )
    parser.add_argument(
        "--replicas",
        help="the env file scripts/replicas start wrote: adds the replica "
        "lag point on those servers",
    )
    parser.add_argument(
        "--max-replica-lag", type=float, default=1.0, help="for --replicas"
    )
    parser.add_argument(
        "--replay-stop",
        type=float,
        default=2.0,
        help="for --replicas: seconds the replica stops replaying ...",
    )
    parser.add_argument(
        "--replay-period",
        type=float,
        default=6.0,
        help="... every this many seconds",
    )
    parser.add_argument(
        "--lag-max-duration",
        type=float,
        default=300.0,
        help="for --replicas: the runner's --max-duration (a replica that "
        "cannot keep up with the writers alone would pause it for ever)",
    )
    parser.add_argument("--plot", help="write the curve to this PNG")
    parser.add_argument("--json", help="also write raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the db")
    return parser


if __name__ == "__main__":
    sys.exit(main())
