"""Benchmark: widening a 32-bit primary key, a plain ALTER TABLE against
``zop.widen_primary_key``, with two writers running.

    .venv/bin/python bench/widen_pk.py [--rows N] [--backends ...]

On PostgreSQL and MariaDB (127.0.0.1, or --pg-url / --mysql-url), in a
database of its own, for each backend and in one run, each phase on a
freshly filled ``instances`` table of N rows (1,000,000) whose ``id`` is
a 32-bit integer:

1. naive: ``ALTER TABLE instances ALTER COLUMN id TYPE bigint``
   (PostgreSQL) / ``MODIFY id BIGINT NOT NULL AUTO_INCREMENT`` (MariaDB);
2. zerodown: the real commands with default settings, ``zerodown db
   expand``, ``zerodown db migrate`` (until it exits 0) and ``zerodown
   db contract`` of a revision pair calling ``zop.widen_primary_key``.

Two writer processes run throughout (one updates a random row by id, one
inserts rows, as in ``backfill.py``) and log every transaction.  Each
phase's figures cover the transactions that started while its command
ran; afterwards every seeded row and every committed write is looked up
by its id, the key's type is read back and a row with an id above 2^31
is inserted.  Nothing is tuned to meet the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_database
from widen_pk_data import BACKENDS, DATABASE, Backend, verify
from widen_pk_load import KINDS, Writers, window, written

CALL = 'zop.widen_primary_key("instances", "id", sa.BigInteger())'
HEADER = "from zerodown.migrations.operations import zop\n"


def _zerodown(project: Path, *args: str) -> tuple[float, float, int, str]:
    """Run ``zerodown db ARGS``; (start, end, exit code, output tail)."""
    argv = [
        str(Path(sys.executable).with_name("zerodown")),
        *("db", "-c", str(project / "alembic.ini"), *args),
    ]
    start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True)
    end = time.monotonic()
    return start, end, done.returncode, (done.stdout + done.stderr)[-2000:]


def _project(backend: Backend, where: Path) -> Path:
    from zerodown.migrations import command

    command.init(where / "migrations", where / "alembic.ini", backend.url)
    for phase in ("expand", "contract"):
        assert _zerodown(where, phase)[2] == 0
    _, _, code, output = _zerodown(
        where, "revision", "-m", "widen", "--contract"
    )
    assert code == 0, output
    for line in output.splitlines():
        if line.startswith("created "):
            script = Path(line.split(" ", 1)[1])
            text = script.read_text().replace(
                "def upgrade() -> None:\n    pass",
                f"{HEADER}\ndef upgrade() -> None:\n    {CALL}",
            )
            script.write_text(text)
    return where


def _naive(backend: Backend, args: Any) -> dict[str, Any]:
    def work() -> dict[str, tuple[float, float]]:
        engine = backend.engine()
        with engine.connect() as conn:
            start = time.monotonic()
            conn.exec_driver_sql(backend.naive_sql)
            end = time.monotonic()
        engine.dispose()
        return {"alter": (start, end)}

    return _phase(backend, args, work)


def _online(backend: Backend, args: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zd_widen_") as tmp:
        project = _project(backend, Path(tmp))
        steps: dict[str, tuple[float, float]] = {}
        codes: dict[str, Any] = {}

        def work() -> dict[str, tuple[float, float]]:
            start, end, codes["expand"], out = _zerodown(project, "expand")
            assert codes["expand"] == 0, out
            steps["expand"] = (start, end)
            first = time.monotonic()
            runs = 0
            while True:
                runs += 1
                _, end, code, out = _zerodown(project, "migrate")
                if code != 1 or runs > 50:
                    break
            codes["migrate"], codes["migrate_runs"] = code, runs
            assert code == 0, out
            steps["migrate"] = (first, end)
            start, end, codes["contract"], out = _zerodown(project, "contract")
            assert codes["contract"] == 0, out
            steps["contract"] = (start, end)
            return steps

        result = _phase(backend, args, work)
        result["exit_codes"] = codes
        return result


def _phase(backend: Backend, args: Any, work: Any) -> dict[str, Any]:
    fill = backend.populate(args.rows, fresh=True)
    print(f"   filled {args.rows:,} rows in {fill:.1f}s", file=sys.stderr)
    writers = Writers(
        backend.name, backend.writer_dsn(), args.rows, args.server_prepare
    )
    time.sleep(args.lead)
    try:
        steps = work()
    finally:
        time.sleep(args.tail)
        logs = writers.stop()
    start = min(s for s, _ in steps.values())
    end = max(e for _, e in steps.values())
    figures = {
        name: {
            "seconds": e - s,
            **{kind: window(logs[kind], s, e) for kind in KINDS},
        }
        for name, (s, e) in {**steps, "whole": (start, end)}.items()
    }
    inserted, updated = written(logs)
    return {
        "steps": figures,
        "check": verify(backend, args.rows, inserted, updated),
    }


def run_backend(backend: Backend, args: Any) -> dict[str, Any]:
    print(f"== {backend.label}: {args.rows:,} rows", file=sys.stderr)
    result: dict[str, Any] = {"backend": backend.label}
    try:
        print("   naive ALTER TABLE", file=sys.stderr)
        result["naive"] = _naive(backend, args)
        print("   zop.widen_primary_key", file=sys.stderr)
        result["zerodown"] = _online(backend, args)
    finally:
        if not args.keep:
            backend.drop_database()
    return result


def report(results: list[dict[str, Any]], args: Any) -> str:
    lines = [
        f"{args.rows:,} rows; writers "
        + (
            "prepare on the server"
            if args.server_prepare
            else "do not prepare"
        )
    ]
    for result in results:
        lines += [
            f"\n## {result['backend']}\n",
            "| phase | step | seconds | writer tx | p99 ms | max ms "
            "| tx > 250 ms | errors |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for phase in ("naive", "zerodown"):
            for step, f in result[phase]["steps"].items():
                both = [f[kind] for kind in KINDS]
                lines.append(
                    f"| {phase} | {step} | {f['seconds']:.1f} | "
                    f"{sum(b['count'] for b in both)} | "
                    f"{max(b['p99'] for b in both):.0f} | "
                    f"{max(b['max'] for b in both):.0f} | "
                    f"{sum(b['over_250'] for b in both)} | "
                    f"{sum(b['errors'] for b in both)} |"
                )
        lines.append("")
        for phase in ("naive", "zerodown"):
            check = result[phase]["check"]
            whole = result[phase]["steps"]["whole"]
            messages = sorted(
                {m for kind in KINDS for m in whole[kind]["messages"]}
            )
            lines.append(
                f"- {phase}: {check['rows']:,} rows, key {check['key_type']}, "
                f"{check['problem_count']} rows missing or wrong "
                f"{check['problems'][:3]}, id {2**31 + 11} inserted"
                + (f"; errors: {messages}" if messages else "")
            )
        online = result["zerodown"]["steps"]["whole"]
        naive = result["naive"]["steps"]["whole"]
        check = result["zerodown"]["check"]
        worst = max(online[k]["max"] for k in KINDS)
        errors = sum(online[k]["errors"] for k in KINDS)
        slow = max(naive[k]["max"] for k in KINDS)
        lines += [
            "",
            "| target (zerodown) | measured | met |",
            "| --- | --- | --- |",
            f"| no writer tx > 250 ms, any step | max {worst:.0f} ms "
            f"(naive: {slow:.0f} ms, {slow / max(worst, 1):.1f}x) "
            f"| {_met(worst <= 250)} |",
            f"| 0 writer errors | {errors} | {_met(not errors)} |",
            "| every row and write present with its id | "
            f"{check['problem_count']} missing or wrong "
            f"| {_met(not check['problem_count'])} |",
            f"| key 64-bit | {check['key_type']} | "
            f"{_met(check['key_type'] == 'bigint')} |",
        ]
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "yes" if ok else "no"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    results = [
        run_backend(backend, args)
        for backend in bench_database.chosen(args, BACKENDS)
    ]
    print(report(results, args))
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_database.server_arguments(parser, DATABASE)
    parser.add_argument(
        "--lead", type=float, default=3.0, help="writers' head start, s"
    )
    parser.add_argument(
        "--tail", type=float, default=2.0, help="writers run on after, s"
    )
    parser.add_argument(
        "--server-prepare",
        action="store_true",
        help="PostgreSQL writers prepare statements on the server after "
        "five runs (psycopg's default); see bench/README.md",
    )
    parser.add_argument("--json", help="also write raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the db")
    return parser


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
