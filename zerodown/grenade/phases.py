"""The phase a job is in, as every load record sees it.

A job marks phases as it goes (``clock.start("expand")``); each phase
ends when the next one starts or the clock stops.  Records carry the
phase they were made in, so the report groups latency by phase.
:data:`PHASES` lists them in order; a job that fails in one exits with
:func:`phase_exit_code`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

__all__ = ["PHASES", "PhaseClock", "Span", "phase_exit_code"]

#: The phases, in order (grenade's, with the upgrade split the way a
#: rolling upgrade runs).
PHASES = (
    "base",
    "smoke",
    "create",
    "expand",
    "upgrade-control",
    "mixed",
    "migrate",
    "roll",
    "caps",
    "reconfigure",
    "contract",
    "final",
    "destroy",
)


def phase_exit_code(phase: str) -> int:
    """What a job that failed in ``phase`` exits with: 10 + its index."""
    return 10 + PHASES.index(phase)


@dataclasses.dataclass
class Span:
    name: str
    start: float
    end: float | None = None

    @property
    def seconds(self) -> float:
        return (self.end or time.time()) - self.start


class PhaseClock:
    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._lock = threading.Lock()
        self.spans: list[Span] = []

    def start(self, name: str) -> Span:
        """End the current phase and start ``name``."""
        with self._lock:
            now = self._now()
            if self.spans and self.spans[-1].end is None:
                self.spans[-1].end = now
            span = Span(name, now)
            self.spans.append(span)
            return span

    def stop(self) -> None:
        with self._lock:
            if self.spans and self.spans[-1].end is None:
                self.spans[-1].end = self._now()

    @property
    def current(self) -> str:
        with self._lock:
            if not self.spans or self.spans[-1].end is not None:
                return "-"
            return self.spans[-1].name
