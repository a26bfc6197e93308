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
  (the *idle* probes: those that ran wholly within a pause, and began
  long enough after the batch before it for writers queued behind it to
  have gone, :mod:`.watch`): what the writers pay is no longer the
  backfill's doing (their own load grew, or the baseline's few seconds
  were a quiet spell), and slowing further would only stop the
  backfill. The baseline moves up to the idle probes' p99
  (``rebaseline``) and the controller climbs back from there. Only at
  the lowest duty, where the backfill takes the least, so the budget
  does not follow the backfill's own cost; only on the p99 of the last
  ``window`` idle probes or more (not a handful, whose p99 is their
  worst), and only when the probe's p99 (not the lock waits alone) is
  over budget;
- **the idle probes' p99 well under a raised baseline** (at most
  ``settle_down`` of it): the writers' load went down again; the
  baseline follows it down, never below the one taken before the run.
  While the baseline is raised the duty stays at most
  ``raised_max_duty`` (1/3), so that pauses twice as long as the batches
  keep showing idle probes: a raised budget is never kept on faith.

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
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

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
    settle_down: float = 0.8
    raised_max_duty: float = 1 / 3
    # The latest idle probes, over windows (cleared when the baseline
    # moves): a rebaseline looks at ``window`` of them at least.
    _idle: deque[float] = field(
        default_factory=lambda: deque(maxlen=400), repr=False
    )

    def __post_init__(self) -> None:
        if self.max_impact <= 1:
            raise ValueError(f"max_impact must be > 1: {self.max_impact}")
        if self.baseline_p99 <= 0 or self.batch_time <= 0:
            raise ValueError("baseline_p99 and batch_time must be > 0")
        self._target = self.batch_time
        self._first_baseline = self.baseline_p99
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
        self._idle.extend(idle)
        p99 = percentile(samples, 0.99)
        ratio = p99 / self.baseline_p99
        self._follow_down()
        if p99 > self.budget:
            action = self._slower(rebaseline=True)
        elif self._queueing(lock_waits):
            action = self._slower(rebaseline=False)
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

    def _idle_p99(self) -> float | None:
        if len(self._idle) < self.window:
            return None
        return percentile(self._idle, 0.99)

    def _move_baseline(self, p99: float) -> None:
        self.baseline_p99 = p99
        self._idle.clear()

    def _follow_down(self) -> None:
        idle_p99 = self._idle_p99()
        if (
            idle_p99 is not None
            and self.baseline_p99 > self._first_baseline
            and idle_p99 <= self.settle_down * self.baseline_p99
        ):
            self._move_baseline(max(self._first_baseline, idle_p99))

    def _slower(self, rebaseline: bool) -> str:
        if self.duty > self.min_duty:
            self.duty = max(self.min_duty, self.duty / 2)
            return SLOWER
        idle_p99 = self._idle_p99()
        if rebaseline and idle_p99 is not None and idle_p99 > self.budget:
            # Over budget with no batch running: not the backfill's doing.
            self._move_baseline(idle_p99)
            return REBASELINE
        if self.batch_time > self.min_batch_time:
            self.batch_time = max(self.min_batch_time, self.batch_time / 2)
            return SLOWER
        return HOLD  # as slow as it goes

    def _faster(self) -> str:
        if self.batch_time < self._target:
            self.batch_time = min(self._target, self.batch_time * 2)
            return FASTER
        top = self._top_duty()
        if self.duty < top:
            self.duty = min(top, self.duty + self.step)
            return FASTER
        return HOLD  # as fast as it may go, and within budget

    def _top_duty(self) -> float:
        # A raised baseline must go on being seen: pauses twice as long
        # as the batches keep idle probes coming, so that it can follow
        # the writers back down.
        if self.baseline_p99 > self._first_baseline:
            return self.raised_max_duty
        return 1.0
