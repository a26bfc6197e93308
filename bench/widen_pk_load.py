"""The widening benchmark's writers: two processes, one connection each,
closed loops as in ``backfill_load.py``, that also remember what they
wrote so that every write can be found afterwards with its id.

*update* sets ``host`` of a random seeded row to a value of its own and
logs (row id, value); *insert* adds a row and logs the id the database
gave it (``RETURNING id`` on PostgreSQL, the insert id on MariaDB).  A
failed transaction is logged with its error message.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

from bench_writers import KINDS, Writer, WriterProcesses, connect

__all__ = ["KINDS", "Writers", "window", "written"]


def _connect(backend: str, dsn: dict[str, Any], prepare: bool) -> Any:
    # psycopg prepares a statement on the server after its fifth run
    # unless told not to (see bench/README.md).
    return connect(backend, dsn, prepare_threshold=5 if prepare else None)


def _write(cursor: Any, backend: str, kind: str, value: str, row: int) -> int:
    now = "now()" if backend == "postgresql" else "NOW()"
    if kind == "update":
        cursor.execute(
            f"UPDATE instances SET host = %s, updated_at = {now} "
            "WHERE id = %s",
            (value, row),
        )
        return row
    insert = (
        "INSERT INTO instances (uuid, host, vcpus, memory_mb, numa_topology, "
        f"updated_at) VALUES (%s, %s, 2, 2048, '{{}}', {now})"
    )
    if backend == "postgresql":
        cursor.execute(insert + " RETURNING id", (value[:36], value))
        return int(cursor.fetchone()[0])
    cursor.execute(insert, (value[:36], value))
    return int(cursor.lastrowid)


def _loop(
    kind: str,
    stop: Any,
    path: str,
    backend: str,
    dsn: dict[str, Any],
    rows: int,
    prepare: bool,
) -> None:
    writer = Writer(lambda: _connect(backend, dsn, prepare))
    rng = random.Random(os.getpid())
    log = []
    count = 0
    while not stop.is_set():
        count += 1
        value = f"{kind[0]}{os.getpid()}-{count}"
        row = rng.randint(1, rows)
        started = time.monotonic()
        written, err = writer.transaction(_write, backend, kind, value, row)
        error = None
        if err is not None:
            error = f"{type(err).__name__}: {str(err).splitlines()[0]}"
        elif written is not None:
            row = written
        log.append([started, time.monotonic() - started, error, row, value])
    writer.close()
    Path(path).write_text(json.dumps(log))


class Writers(WriterProcesses):
    """Start both writer processes; :meth:`stop` returns their logs."""

    def __init__(
        self, backend: str, dsn: dict[str, Any], rows: int, prepare: bool
    ) -> None:
        super().__init__(_loop, (backend, dsn, rows, prepare), "zd_widen_")

    def stop(self) -> dict[str, list[list[Any]]]:
        return {
            kind: json.loads(data)
            for kind, data in self.collect(timeout=300).items()
        }


def window(log: list[list[Any]], start: float, end: float) -> dict[str, Any]:
    """Transactions started in ``[start, end]``: count, p50, p99, max
    latency (ms), how many over 250 ms, errors and their messages."""
    inside = [entry for entry in log if start <= entry[0] <= end]
    latencies = sorted(entry[1] * 1000 for entry in inside)
    errors = [entry[2] for entry in inside if entry[2]]
    if not latencies:
        return {
            "count": 0,
            "p50": 0,
            "p99": 0,
            "max": 0,
            "over_250": 0,
            "errors": len(errors),
            "messages": sorted(set(errors)),
        }
    return {
        "count": len(latencies),
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max": latencies[-1],
        "over_250": sum(1 for ms in latencies if ms > 250),
        "errors": len(errors),
        "messages": sorted(set(errors))[:3],
    }


def written(logs: dict[str, list[list[Any]]]) -> tuple[dict, dict]:
    """(inserted id -> value, updated id -> last value) of the writes that
    committed (one update writer: its last write to a row wins)."""
    inserted = {e[3]: e[4] for e in logs["insert"] if not e[2]}
    updated: dict[int, str] = {}
    for entry in sorted(logs["update"], key=lambda e: e[0]):
        if not entry[2]:
            updated[entry[3]] = entry[4]
    return inserted, updated
