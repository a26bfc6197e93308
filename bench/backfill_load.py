"""The concurrent writers: OLTP transactions measured while data moves.

Two processes, one connection each, closed loops with no think time (as in
the reference measurements): *update* sets ``updated_at`` and ``host`` of
a random row by primary key, *insert* adds a row with ``extra`` already
filled (as a dual-writing release would).  Every transaction's start and
latency, and whether it failed, go to a file the parent reads back.
"""

from __future__ import annotations

import array
import os
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench_writers import KINDS, Writer, WriterProcesses, connect

__all__ = ["KINDS", "WriterStats", "Writers", "window_stats"]


def _statement(backend: str, kind: str) -> str:
    mark = "%s"
    if kind == "update":
        now = "now()" if backend == "postgresql" else "NOW()"
        return (
            f"UPDATE instances SET updated_at = {now}, host = {mark} "
            f"WHERE id = {mark}"
        )
    uuid = "gen_random_uuid()::text" if backend == "postgresql" else "UUID()"
    return (
        "INSERT INTO instances (uuid, host, vcpus, memory_mb, "
        "numa_topology, extra, updated_at) VALUES "
        f"({uuid}, {mark}, 2, 2048, '{{}}', '{{\"numa\":{{}}}}', "
        f"{'now()' if backend == 'postgresql' else 'NOW()'})"
    )


def _execute(cursor: Any, sql: str, args: tuple[Any, ...]) -> None:
    cursor.execute(sql, args)


def _loop(
    kind: str,
    stop: Any,
    path: str,
    backend: str,
    dsn: dict[str, Any],
    rows: int,
) -> None:
    writer = Writer(lambda: connect(backend, dsn))
    sql = _statement(backend, kind)
    rng = random.Random(os.getpid())
    log = array.array("d")
    while not stop.is_set():
        args: tuple[Any, ...] = (f"host-{rng.randrange(100)}",)
        if kind == "update":
            args += (rng.randint(1, rows),)
        started = time.monotonic()
        _, error = writer.transaction(_execute, sql, args)
        failed = 0.0 if error is None else 1.0
        log.extend((started, time.monotonic() - started, failed))
    writer.close()
    with open(path, "wb") as out:
        log.tofile(out)


class Writers(WriterProcesses):
    """Start both writer processes; :meth:`stop` collects their logs."""

    def __init__(self, backend: str, dsn: dict[str, Any], rows: int) -> None:
        super().__init__(_loop, (backend, dsn, rows), "zd_bench_")

    def stop(self) -> dict[str, array.array[float]]:
        logs = {}
        for kind, data in self.collect(timeout=120).items():
            logs[kind] = array.array("d")
            logs[kind].frombytes(data)
        return logs


@dataclass(frozen=True)
class WriterStats:
    """One writer's transactions that started inside a window."""

    count: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    over_250ms: int
    errors: int

    @property
    def tps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def window_stats(
    log: array.array[float], start: float, end: float
) -> WriterStats:
    """Stats of transactions started in ``[start, end]`` (a blocked one
    counts with its full latency, even if it ended later)."""
    latencies, errors = [], 0
    for i in range(0, len(log), 3):
        if start <= log[i] <= end:
            latencies.append(log[i + 1] * 1000)
            errors += int(log[i + 2])
    if not latencies:
        return WriterStats(0, end - start, 0.0, 0.0, 0.0, 0, errors)
    latencies.sort()
    return WriterStats(
        count=len(latencies),
        seconds=end - start,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        max_ms=latencies[-1],
        over_250ms=sum(1 for ms in latencies if ms > 250),
        errors=errors,
    )
