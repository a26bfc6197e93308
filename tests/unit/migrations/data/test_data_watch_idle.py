"""Which probes count as idle (paid nothing for the backfill): the
controller raises its baseline on them alone."""

from __future__ import annotations

from zerodown.migrations.data.watch import SETTLE, Batches, idle_probe

ENDED = 100.0
QUIET = Batches(running=False, count=3, ended_at=ENDED, last_took=0.05)


def test_a_probe_well_inside_a_pause_is_idle():
    assert idle_probe(QUIET, QUIET, ENDED + 2 * SETTLE)
    assert idle_probe(Batches(), Batches(), 0.0)  # before any batch


def test_a_probe_while_a_batch_runs_is_not():
    running = Batches(True, 4, ENDED, 0.05)
    assert not idle_probe(running, running, ENDED + 5)
    assert not idle_probe(QUIET, running, ENDED + 5)  # one began meanwhile
    assert not idle_probe(running, QUIET, ENDED + 5)


def test_a_batch_that_began_and_ended_within_the_probe_counts():
    later = Batches(False, 4, ENDED + 1, 0.01)
    assert not idle_probe(QUIET, later, ENDED + 0.9)


def test_right_after_a_batch_writers_still_pay_for_it():
    assert not idle_probe(QUIET, QUIET, ENDED + SETTLE / 2)
    long_batch = Batches(False, 3, ENDED, 0.4)  # as long as the batch
    assert not idle_probe(long_batch, long_batch, ENDED + 0.3)
    assert idle_probe(long_batch, long_batch, ENDED + 0.4)
