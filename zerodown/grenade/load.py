"""Load during an upgrade: every request recorded, none hidden.

A :class:`LoadGenerator` runs worker threads that pick operations from a
fixed weighted mix (seeded, so two runs ask the same things), call them,
and record each call: when, in which phase, which operation, whether it
failed and why, and how long it took.  Records go to a JSON-lines file
as they happen, so a job that dies still leaves its evidence.  An
operation fails by raising; the error's text is kept.

An operation may be a *flow*: its call returns ``(step, call)`` pairs
made one at a time (a generator), each recorded as its own request, so a
stateful sequence (create a server, watch it build, pause it, delete it)
keeps one record per request.  A failed step ends its flow.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from zerodown.grenade.phases import PhaseClock

__all__ = [
    "LoadGenerator",
    "Operation",
    "Record",
    "python_operations",
    "read_records",
]

Step = tuple[str, Callable[[], Any]]


@dataclasses.dataclass(frozen=True)
class Operation:
    name: str
    weight: int
    call: Callable[[], Any]
    #: ``call`` returns the flow's steps rather than doing one request.
    flow: bool = False


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
        self._recorded = threading.Condition(self._lock)
        self._per_phase: dict[str, int] = {}
        self._awaited: tuple[str, int] | None = None  # (phase, count)
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
        with self._lock:  # a worker still in a request records nothing now
            if self._stream is not None:
                self._stream.close()
                self._stream = None
        return list(self.records)

    def requests_in(self, phase: str) -> int:
        """How many requests were recorded in ``phase`` so far."""
        with self._lock:
            return self._per_phase.get(phase, 0)

    def hold(
        self, phase: str, requests: int, until: float, deadline: float
    ) -> int:
        """Wait until ``phase`` holds ``requests`` records and the wall
        clock (``time.time()``) has reached ``until``, or until
        ``deadline``, whichever comes first; the records it holds then.
        Woken by the record that makes the count, not by polling."""
        with self._recorded:
            self._awaited = (phase, requests)
            try:
                while True:
                    held = self._per_phase.get(phase, 0)
                    now = time.time()
                    if (held >= requests and now >= until) or now >= deadline:
                        return held
                    wake = until if held >= requests else deadline
                    self._recorded.wait(max(0.0, min(wake, deadline) - now))
            finally:
                self._awaited = None

    def _work(self, rng: random.Random) -> None:
        weights = [op.weight for op in self.operations]
        while not self._done.is_set():
            (op,) = rng.choices(self.operations, weights)
            if op.flow:
                self._flow(op)
            else:
                self._record(op.name, op.call)
            self._done.wait(self.pause)

    def _flow(self, op: Operation) -> None:
        try:
            steps: Iterator[Step] = iter(op.call())
        except Exception as err:  # a flow that cannot start is a failure
            self._record(op.name, _raise(err))
            return
        try:
            while True:
                try:
                    name, call = next(steps)
                except StopIteration:
                    return
                except Exception as err:  # the flow's own check failed
                    self._record(op.name, _raise(err))
                    return
                if not self._record(f"{op.name}.{name}", call):
                    return
        finally:
            close = getattr(steps, "close", None)
            if close is not None:
                close()

    def _record(self, name: str, call: Callable[[], Any]) -> bool:
        phase = self.clock.current
        at = time.time()
        begin = time.perf_counter()
        error = None
        try:
            call()
        except Exception as err:  # every failure is counted, never hidden
            error = f"{type(err).__name__}: {err}"[:500]
        latency = (time.perf_counter() - begin) * 1000
        record = Record(at, phase, name, error is None, latency, error)
        with self._lock:
            self.records.append(record)
            held = self._per_phase[phase] = self._per_phase.get(phase, 0) + 1
            if self._awaited == (phase, held):  # the count hold() waits for
                self._recorded.notify_all()
            if self._stream is not None:
                self._stream.write(json.dumps(record.to_json()) + "\n")
                self._stream.flush()
        return error is None


def _raise(err: Exception) -> Callable[[], None]:
    def again() -> None:
        raise err

    return again


def python_operations(
    spec: str, jobdir: Path, base_url: str, workdir: Path | None = None
) -> list[Operation]:
    """Flows from the job's own Python: ``spec`` is ``FILE.py:FUNCTION``
    (``FILE`` relative to the job file's folder); ``FUNCTION(base_url)``
    returns ``(name, weight, flow)`` triples, each ``flow()`` yielding
    ``(step, call)`` pairs.  A ``FUNCTION`` with a ``workdir`` parameter
    also gets the job's work directory, where its hooks leave files
    (credentials the ``setup`` hook made, say): hooks see it as
    ``$GRENADE_WORKDIR``, but flows run inside the harness.  Such a file
    needs nothing of zerodown; while it loads, the job's folder is
    importable, so it may use its sibling hook modules.

    :raises GrenadeError: if it cannot be loaded.
    """
    import importlib.util
    import inspect

    from zerodown.grenade.errors import GrenadeError

    filename, _, function = spec.partition(":")
    path = jobdir / filename
    try:
        module_spec = importlib.util.spec_from_file_location(
            f"grenade_load_{path.stem}", path
        )
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"not a Python file: {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.path.insert(0, str(jobdir))
        try:
            module_spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(jobdir))
        make = getattr(module, function)
        extra = (
            {"workdir": workdir}
            if "workdir" in inspect.signature(make).parameters
            else {}
        )
        triples = make(base_url, **extra)
        return [
            Operation(str(name), int(weight), flow, flow=True)
            for name, weight, flow in triples
        ]
    except Exception as err:
        raise GrenadeError(
            problem=f"load flows {spec!r}: {type(err).__name__}: {err}"
        ) from err


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
