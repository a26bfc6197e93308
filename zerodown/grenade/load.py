"""Load during an upgrade: every request recorded, none hidden.

A :class:`LoadGenerator` runs worker threads that pick operations from a
fixed weighted mix (seeded, so two runs ask the same things), call them,
and record each call: when, in which phase, which operation, whether it
failed and why, and how long it took.  Records go to a JSON-lines file
as they happen, so a job that dies still leaves its evidence.  An
operation fails by raising; the error's text is kept.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from zerodown.grenade.phases import PhaseClock

__all__ = ["LoadGenerator", "Operation", "Record", "read_records"]


@dataclasses.dataclass(frozen=True)
class Operation:
    name: str
    weight: int
    call: Callable[[], Any]


@dataclasses.dataclass(frozen=True)
class Record:
    at: float
    phase: str
    operation: str
    ok: bool
    latency_ms: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def read_records(path: Path) -> list[Record]:
    """The records of a JSON-lines file (a torn last line is skipped)."""
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(Record(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return records


class LoadGenerator:
    def __init__(
        self,
        operations: Sequence[Operation],
        clock: PhaseClock,
        out: Path,
        *,
        workers: int = 2,
        pause: float = 0.05,
        seed: int = 7,
    ) -> None:
        if not operations or any(op.weight < 1 for op in operations):
            raise ValueError("a load mix needs operations of weight >= 1")
        self.operations = list(operations)
        self.clock, self.out = clock, out
        self.workers, self.pause, self.seed = workers, pause, seed
        self.records: list[Record] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stream: TextIO | None = None

    def start(self) -> LoadGenerator:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._stream = self.out.open("a")
        for index in range(self.workers):
            thread = threading.Thread(
                target=self._work,
                args=(random.Random(self.seed + index),),
                name=f"load-{index}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 30.0) -> list[Record]:
        self._done.set()
        for thread in self._threads:
            thread.join(timeout)
        if self._stream is not None:
            self._stream.close()
        return list(self.records)

    def _work(self, rng: random.Random) -> None:
        weights = [op.weight for op in self.operations]
        while not self._done.is_set():
            (op,) = rng.choices(self.operations, weights)
            self._record(op)
            self._done.wait(self.pause)

    def _record(self, op: Operation) -> None:
        phase = self.clock.current
        at = time.time()
        begin = time.perf_counter()
        error = None
        try:
            op.call()
        except Exception as err:  # every failure is counted, never hidden
            error = f"{type(err).__name__}: {err}"[:500]
        latency = (time.perf_counter() - begin) * 1000
        record = Record(at, phase, op.name, error is None, latency, error)
        with self._lock:
            self.records.append(record)
            if self._stream is not None:
                self._stream.write(json.dumps(record.to_json()) + "\n")
                self._stream.flush()


def http_operations(base_url: str, mix: Sequence[Any]) -> list[Operation]:
    """Operations from ``[[load.mix]]`` entries: ``name``, ``weight``,
    ``method`` (GET), ``path``, ``body`` (JSON) and ``expect`` (statuses
    that count as success; default: any 2xx)."""
    import urllib.error
    import urllib.request

    operations = []
    for entry in mix:
        name = str(entry["name"])
        method = str(entry.get("method", "GET")).upper()
        url = base_url.rstrip("/") + str(entry["path"])
        body = entry.get("body")
        expect = tuple(entry.get("expect", ()))

        def call(
            method: str = method,
            url: str = url,
            body: Any = body,
            expect: tuple[int, ...] = expect,
        ) -> None:
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(url, data=data, method=method)
            if data is not None:
                request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    status = answer.status
            except urllib.error.HTTPError as err:
                status = err.code
            if expect and status not in expect:
                raise RuntimeError(f"HTTP {status}")
            if not expect and not 200 <= status < 300:
                raise RuntimeError(f"HTTP {status}")

        operations.append(Operation(name, int(entry.get("weight", 1)), call))
    return operations
