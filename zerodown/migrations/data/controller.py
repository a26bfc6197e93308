"""The latency budget: how fast a backfill may go while writers pay for it.

``--max-impact 2.0`` says the application's writers may see their p99
latency grow at most 2x while the backfill runs.  The runner cannot see
the application's transactions, so it measures its own stand-in: a probe
transaction (:mod:`.watch`) that writes one row and commits, as a writer
does, timed every few milliseconds on a connection of its own while the
batches run.  Before the first batch the probe runs alone and its p99
becomes the *baseline*; the *budget* is ``max_impact x baseline``.

:class:`Controller` turns windows of probe latencies into a :class:`Pace`:
a target time per batch (the batch sizer turns it into rows) and a pause
after each batch.  It steers the runner's *duty cycle* ``d``, the share
of wall time spent inside batches (``pause = batch_time x (1 - d) / d``),
because on a small server what a writer pays is the CPU, I/O and WAL
bandwidth the backfill takes, which grow with ``d``:

- **over budget** (the window's p99 above the budget, or the database
  showing more sessions waiting on locks than at baseline): halve ``d``;
  at the lowest duty, halve the batch time instead (shorter batches hold
  their locks, and the WAL they flush, for less time);
- **under the band** (p99 below ``band x budget``): give back the batch
  time first, doubling it up to its target, then raise ``d`` by a fixed
  step;
- **within the band**: hold;
- **over budget at the lowest duty, and over budget in the pauses too**
  (the probes taken while no batch ran): what the writers pay is no
  longer the backfill's doing (their own load grew, or the baseline's
  few seconds were a quiet spell), and slowing further would only stop
  the backfill. The baseline moves to the pauses' p99 (``rebaseline``)
  and the controller climbs back from there. Only at the lowest duty,
  where the pauses are long and clean of the batches' after-effects, so
  the budget cannot creep up with the backfill's own cost.

Why it does not oscillate: each decision looks only at probes taken under
the current pace (the window is emptied when the pace changes, so a
slowdown is never punished again for samples taken before it), it waits
for a full window before deciding (``window`` probes, or
``window_time`` seconds with at least ``min_window`` probes: on a loaded
server, where a probe takes 100 ms, a window of probes alone would take
ten seconds), it backs off multiplicatively and
comes back additively (AIMD, TCP's congestion rule: from any start it
converges to a small saw-tooth just under the budget, never a swing
between extremes), and the dead band between ``band x budget`` and the
budget absorbs the noise of a window's p99.

Pure logic, no clock and no database: tested on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Controller", "Decision", "Pace", "percentile"]

SLOWER = "slower"
FASTER = "faster"
HOLD = "hold"
REBASELINE = "rebaseline"


@dataclass(frozen=True)
class Pace:
    """How the runner goes: seconds a batch should take, then its pause."""

    batch_time: float
    pause: float
    duty: float  # batch_time / (batch_time + pause)


@dataclass(frozen=True)
class Decision:
    """One decision of the controller, with what it was based on."""

    action: str  # "slower", "faster", "hold" or "rebaseline"
    pace: Pace
    p99: float  # seconds, the window's probe p99
    ratio: float  # p99 / baseline p99 (the one the decision was made on)
    samples: int
    lock_waits: float | None = None  # sessions waiting on locks (mean)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (not empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Controller:
    """AIMD on the duty cycle, within a latency budget.

    :param max_impact: the budget, as a multiple of ``baseline_p99``.
    :param baseline_p99: the probe's p99 before the run, in seconds.
    :param batch_time: the target time per batch when nothing is over
        budget (``migrate_batch_time``).
    :param baseline_lock_waits: sessions waiting on locks, on average,
        before the run (None: the backend does not tell).
    """

    max_impact: float
    baseline_p99: float
    batch_time: float
    baseline_lock_waits: float | None = None
    window: int = 100
    window_time: float = 3.0
    min_window: int = 30
    band: float = 0.75
    duty: float = 0.5
    min_duty: float = 1 / 64
    step: float = 0.1
    min_batch_time: float = 0.01
    max_pause: float = 5.0

    def __post_init__(self) -> None:
        if self.max_impact <= 1:
            raise ValueError(f"max_impact must be > 1: {self.max_impact}")
        if self.baseline_p99 <= 0 or self.batch_time <= 0:
            raise ValueError("baseline_p99 and batch_time must be > 0")
        self._target = self.batch_time
        self.batch_time = max(self.min_batch_time, self.batch_time)

    @property
    def budget(self) -> float:
        """The p99 the probe may reach, in seconds."""
        return self.max_impact * self.baseline_p99

    @property
    def pace(self) -> Pace:
        pause = self.batch_time * (1 - self.duty) / self.duty
        if pause > self.max_pause:
            pause = self.max_pause
        duty = self.batch_time / (self.batch_time + pause)
        return Pace(self.batch_time, pause, duty)

    def decide(
        self,
        samples: Sequence[float],
        lock_waits: float | None = None,
        *,
        idle: Sequence[float] = (),
        elapsed: float = 0.0,
    ) -> Decision | None:
        """Decide on a window of probe latencies (seconds) taken under the
        current pace, the mean of lock-waiting sessions meanwhile, the
        latencies of the window's probes that ran while no batch did
        (``idle``), and the seconds the window has been open.

        None while the window is not full: the caller keeps collecting.
        After a decision, the caller starts a new window.
        """
        if not self._full(len(samples), elapsed):
            return None
        p99 = percentile(samples, 0.99)
        ratio = p99 / self.baseline_p99
        if p99 > self.budget or self._queueing(lock_waits):
            action = self._slower(idle)
        elif p99 < self.band * self.budget:
            action = self._faster()
        else:
            action = HOLD
        return Decision(
            action,
            self.pace,
            p99,
            ratio,
            len(samples),
            lock_waits,
        )

    def _full(self, count: int, elapsed: float) -> bool:
        if count >= self.window:
            return True
        return elapsed >= self.window_time and count >= self.min_window

    def _queueing(self, lock_waits: float | None) -> bool:
        # More than one session more, on average, waiting on a lock than
        # before the run: writers queue behind the batches' row locks.
        if lock_waits is None or self.baseline_lock_waits is None:
            return False
        return lock_waits > self.baseline_lock_waits + 1

    def _slower(self, idle: Sequence[float]) -> str:
        if self.duty > self.min_duty:
            self.duty = max(self.min_duty, self.duty / 2)
            return SLOWER
        if len(idle) >= self.min_window:
            idle_p99 = percentile(idle, 0.99)
            if idle_p99 > self.budget:  # over budget with no batch running
                self.baseline_p99 = idle_p99
                return REBASELINE
        if self.batch_time > self.min_batch_time:
            self.batch_time = max(self.min_batch_time, self.batch_time / 2)
            return SLOWER
        return HOLD  # as slow as it goes

    def _faster(self) -> str:
        if self.batch_time < self._target:
            self.batch_time = min(self._target, self.batch_time * 2)
            return FASTER
        if self.duty < 1:
            self.duty = min(1.0, self.duty + self.step)
            return FASTER
        return HOLD  # flat out, and within budget
