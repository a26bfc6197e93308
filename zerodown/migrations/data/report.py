"""What a run of data migrations tells as it goes, and what it returns.

The runner never prints: it hands events to a callback (the CLI draws
progress bars or writes JSON lines from them) and returns a
:class:`RunResult`, whose :attr:`~RunResult.exit_code` has Nova's
meaning for ``online_data_migrations``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "Baseline",
    "BatchDone",
    "BusyRetry",
    "CriticalLoad",
    "Event",
    "MigrationFinished",
    "MigrationStarted",
    "Outcome",
    "Paced",
    "Paused",
    "Resumed",
    "RunResult",
    "Status",
    "Stop",
]


class Status(str, enum.Enum):
    """Where one migration stands after a run."""

    COMPLETE = "complete"  # a call found nothing left
    PENDING = "pending"  # more remains (the run stopped first)
    STALLED = "stalled"  # found rows it could not migrate (Nova's
    # found > 0, done == 0): not called again in this run
    FAILED = "failed"  # raised, or the database stayed busy

    def __str__(self) -> str:
        return self.value


class Stop(str, enum.Enum):
    """Why a run ended."""

    DONE = "done"  # every migration is complete, stalled or failed
    MAX_COUNT = "max-count"
    MAX_DURATION = "max-duration"
    CRITICAL_LOAD = "critical-load"  # a --critical-load limit was passed

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class MigrationStarted:
    name: str
    kind: str
    estimate: int | None  # rows left, when the migration can count them


@dataclass(frozen=True)
class BatchDone:
    name: str
    found: int
    done: int
    total_found: int  # over this run
    total_done: int
    batch_size: int  # the max_count this batch was given
    seconds: float  # the batch's transaction, retries excluded
    attempts: int  # 1 unless the database was busy
    complete: bool


@dataclass(frozen=True)
class BusyRetry:
    name: str
    attempt: int
    delay: float
    reason: str
    batch_size: int  # the smaller size the retry asks for


@dataclass(frozen=True)
class Baseline:
    """The primary before the first batch (what the budget is set on)."""

    probe_p50_ms: float | None  # None: no probe (no --max-impact)
    probe_p99_ms: float | None
    budget_ms: float | None  # max_impact x probe_p99_ms
    samples: int
    signals: dict[str, float]


@dataclass(frozen=True)
class Paced:
    """A decision of the latency controller (:mod:`.controller`)."""

    name: str
    action: str  # "slower", "faster", "hold" or "rebaseline"
    batch_time: float  # seconds a batch should take from now on
    pause: float  # seconds after each batch from now on
    duty: float  # share of time in batches
    probe_p99_ms: float  # over the window the decision looked at
    ratio: float  # probe_p99 / baseline p99 (the budget is max_impact)
    samples: int
    lock_waits: float | None
    baseline_p99_ms: float | None = None  # from now on (moved by rebaseline)


@dataclass(frozen=True)
class Paused:
    """The run waits: a --max-load limit passed or a replica lags."""

    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Resumed:
    name: str
    seconds: float  # how long it waited


@dataclass(frozen=True)
class CriticalLoad:
    """A --critical-load limit passed: the run stops, cursor saved."""

    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """One migration's share of a run."""

    name: str
    kind: str  # "online" or "code"
    status: Status
    found: int = 0
    done: int = 0
    batches: int = 0
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class MigrationFinished:
    outcome: Outcome


Event = (
    MigrationStarted
    | BatchDone
    | BusyRetry
    | MigrationFinished
    | Baseline
    | Paced
    | Paused
    | Resumed
    | CriticalLoad
)
OnEvent = Callable[[Event], None]


def event_json(event: Event) -> dict[str, Any]:
    """``event`` as one JSON object (for ``--format json``)."""
    kinds = {
        MigrationStarted: "started",
        BatchDone: "batch",
        BusyRetry: "busy",
        MigrationFinished: "finished",
        Baseline: "baseline",
        Paced: "pace",
        Paused: "paused",
        Resumed: "resumed",
        CriticalLoad: "critical-load",
    }
    data = asdict(event)
    if isinstance(event, MigrationFinished):
        data = asdict(event.outcome)
        data["status"] = str(event.outcome.status)
    return {"event": kinds[type(event)], **data}


@dataclass(frozen=True)
class RunResult:
    """Every migration's outcome, in the order they ran, and why it ended."""

    outcomes: tuple[Outcome, ...]
    stopped: Stop
    seconds: float

    @property
    def done(self) -> int:
        return sum(o.done for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is Status.FAILED]

    @property
    def remaining(self) -> list[Outcome]:
        """Migrations with work left that another run can do."""
        return [o for o in self.outcomes if o.status is Status.PENDING]

    @property
    def exit_code(self) -> int:
        """Nova's: 0 nothing left to do, 1 progress made and more remains
        (run again), 2 a migration failed; and 3: stopped by a
        ``--critical-load`` limit (cursor saved; run again once the
        database is calmer).

        As in Nova, a run cut short by ``max_count`` or ``max_duration``
        that made progress answers 1 even if a migration failed: run again
        until the answer is 0 or 2.
        """
        if self.stopped is Stop.CRITICAL_LOAD:
            return 3
        cut_short = self.stopped is not Stop.DONE
        if self.failed and not (cut_short and self.done):
            return 2
        return 1 if self.remaining else 0

    def json(self) -> dict[str, Any]:
        return {
            "event": "summary",
            "stopped": str(self.stopped),
            "seconds": round(self.seconds, 6),
            "done": self.done,
            "exit_code": self.exit_code,
            "migrations": [
                asdict(o) | {"status": str(o.status)} for o in self.outcomes
            ],
        }
