"""The latency controller: AIMD on the duty cycle within a p99 budget.

The plant in the stability tests is a stand-in for a small server: the
probe's latency grows with the share of time the runner spends in
batches (``base x (1 + k x duty)``, plus noise); the controller sees only
windows of latencies, as in a run.
"""

from __future__ import annotations

import random

import pytest

from zerodown.migrations.data.controller import Controller, percentile

BASE = 0.002  # a 2 ms probe p99 at baseline


def window(latency: float, n: int = 100) -> list[float]:
    return [latency] * n


def test_no_decision_before_a_full_window():
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    assert controller.decide(window(BASE * 10, 99)) is None
    assert controller.pace.duty == 0.5


def test_a_window_is_also_full_after_its_time_with_enough_probes():
    # On a loaded server a probe takes 100 ms: 100 of them would take
    # ten seconds a decision.
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    few = window(BASE * 3, controller.min_window - 1)
    enough = window(BASE * 3, controller.min_window)
    assert (
        controller.decide(enough, elapsed=controller.window_time / 2) is None
    )
    assert controller.decide(few, elapsed=controller.window_time * 2) is None
    decision = controller.decide(enough, elapsed=controller.window_time)
    assert decision is not None and decision.action == "slower"
    assert decision.samples == controller.min_window


def test_over_budget_halves_the_duty_then_the_batch_time():
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    decision = controller.decide(window(BASE * 3))
    assert decision is not None and decision.action == "slower"
    assert decision.pace.duty == pytest.approx(0.25)
    assert decision.pace.pause == pytest.approx(0.3)
    assert decision.ratio == pytest.approx(3)
    while controller.duty > controller.min_duty:
        controller.decide(window(BASE * 3))
    assert controller.batch_time == 0.1
    decision = controller.decide(window(BASE * 3))
    assert decision is not None and decision.action == "slower"
    assert decision.pace.batch_time == pytest.approx(0.05)


def test_under_the_band_gives_the_batch_time_back_first_then_the_duty():
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    controller.duty = controller.min_duty
    controller.batch_time = 0.025
    controller.decide(window(BASE))
    assert controller.batch_time == pytest.approx(0.05)
    controller.decide(window(BASE))
    assert controller.batch_time == pytest.approx(0.1)
    assert controller.duty == controller.min_duty
    controller.decide(window(BASE))
    assert controller.duty == pytest.approx(controller.min_duty + 0.1)


def test_within_the_band_it_holds():
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    before = controller.pace
    decision = controller.decide(window(BASE * 1.8))
    assert decision is not None and decision.action == "hold"
    assert controller.pace == before


def test_flat_out_within_budget_holds_at_full_duty():
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    for _ in range(10):
        controller.decide(window(BASE))
    assert controller.duty == 1 and controller.pace.pause == 0
    decision = controller.decide(window(BASE))
    assert decision is not None and decision.action == "hold"


def test_more_sessions_waiting_on_locks_than_at_baseline_slows_down():
    controller = Controller(
        max_impact=2,
        baseline_p99=BASE,
        batch_time=0.1,
        baseline_lock_waits=0.2,
    )
    assert controller.decide(window(BASE), lock_waits=1.0).action == "faster"
    assert controller.decide(window(BASE), lock_waits=1.5).action == "slower"


def test_the_pause_is_capped():
    controller = Controller(
        max_impact=2, baseline_p99=BASE, batch_time=0.1, max_pause=1.0
    )
    for _ in range(20):
        controller.decide(window(BASE * 5))
    assert controller.pace.pause <= 1.0


def _plant(duty: float, batch_time: float, rng: random.Random) -> list[float]:
    # p99 at full duty is 4x baseline; the budget (2x) is reached at
    # duty 1/3.  Noise: +-10 % and, rarely, a stray slow probe.
    latencies = []
    for _ in range(100):
        value = BASE * (1 + 3 * duty) * rng.uniform(0.9, 1.1)
        if rng.random() < 0.005:
            value *= 3
        latencies.append(value)
    return latencies


@pytest.mark.parametrize("start", [1 / 64, 0.5, 1.0])
def test_it_settles_under_the_budget_without_swinging(start):
    rng = random.Random(14)
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    controller.duty = start
    duties = []
    for _ in range(200):
        pace = controller.pace
        controller.decide(_plant(pace.duty, pace.batch_time, rng))
        duties.append(controller.pace.duty)
    settled = duties[50:]
    # Within budget on average (duty 1/3 is the budget's edge), never
    # collapsing to the floor (stray slow probes cost a halving each, won
    # back by additive steps) nor overshooting by more than one step: a
    # saw-tooth below the edge, not a swing between the extremes.
    mean = sum(settled) / len(settled)
    assert 1 / 3 / 4 <= mean <= 1 / 3
    assert min(settled) >= 1 / 3 / 8 > controller.min_duty
    assert max(settled) <= 1 / 3 + controller.step
    reversals = sum(
        1
        for a, b, c in zip(settled, settled[1:], settled[2:], strict=False)
        if (b - a) * (c - b) < 0
    )
    assert reversals <= len(settled) // 2


def test_over_budget_with_no_batch_running_moves_the_baseline():
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    # Above the lowest duty it slows down, whatever the pauses say.
    decision = controller.decide(window(BASE * 3), idle=window(BASE * 3))
    assert decision.action == "slower" and controller.baseline_p99 == BASE
    controller = Controller(
        max_impact=2, baseline_p99=BASE, batch_time=0.1, duty=1 / 64
    )
    # Fewer idle probes than a window: a handful's p99 is their worst.
    decision = controller.decide(window(BASE * 3), idle=window(BASE * 2.5, 60))
    assert decision.action == "slower" and controller.batch_time == 0.05
    assert controller.baseline_p99 == BASE
    # A window of them, over two windows, at the lowest duty: the writers
    # pay it without the backfill.
    decision = controller.decide(window(BASE * 3), idle=window(BASE * 2.5, 40))
    assert decision.action == "rebaseline"
    assert decision.ratio == pytest.approx(3)  # against the old baseline
    assert controller.baseline_p99 == pytest.approx(BASE * 2.5)
    assert controller.duty == 1 / 64 and controller.batch_time == 0.05
    # Within budget in the pauses: the backfill is the cause.
    decision = controller.decide(window(BASE * 6), idle=window(BASE * 4))
    assert decision.action == "slower" and controller.batch_time == 0.025


def test_lock_waits_alone_never_move_the_baseline():
    controller = Controller(
        max_impact=2,
        baseline_p99=BASE,
        batch_time=0.1,
        baseline_lock_waits=0.0,
        duty=1 / 64,
    )
    decision = controller.decide(
        window(BASE), lock_waits=3.0, idle=window(BASE * 2.5)
    )
    assert decision.action == "slower" and controller.baseline_p99 == BASE


def test_a_raised_baseline_follows_the_writers_back_down():
    controller = Controller(
        max_impact=2, baseline_p99=BASE, batch_time=0.1, duty=1 / 64
    )
    controller.decide(window(BASE * 5), idle=window(BASE * 4))
    assert controller.baseline_p99 == pytest.approx(BASE * 4)
    # Slightly lower in the pauses: noise, it stays.
    controller.decide(window(BASE * 4), idle=window(BASE * 3.5))
    assert controller.baseline_p99 == pytest.approx(BASE * 4)
    assert controller.pace.duty <= 1 / 3  # pauses keep idle probes coming
    # Well under it (once the earlier probes are out of the history):
    # the writers' load went down; never below the first baseline.
    controller.decide(window(BASE * 4), idle=window(BASE * 0.5, 400))
    assert controller.baseline_p99 == BASE


def _loaded_plant(
    duty: float, base: float, rng: random.Random
) -> tuple[list[float], list[float]]:
    # The probe's latency while batches run grows with the duty; the
    # idle probes (a share 1 - duty of them) pay the writers' own load.
    latencies, idle = [], []
    for _ in range(100):
        if rng.random() < duty:
            latencies.append(base * (1 + 3 * duty) * rng.uniform(0.9, 1.1))
        else:
            value = base * rng.uniform(0.9, 1.1)
            latencies.append(value)
            idle.append(value)
    return latencies, idle


def test_a_spike_of_the_writers_load_does_not_raise_the_budget_for_good():
    # The writers' own load triples for 30 windows, then falls back.
    rng = random.Random(14)
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    ratios = []
    for n in range(150):
        base = BASE * 3 if 10 <= n < 40 else BASE
        latencies, idle = _loaded_plant(controller.duty, base, rng)
        controller.decide(latencies, idle=idle)
        ratios.append(controller.baseline_p99 / BASE)
    assert max(ratios) > 2  # it followed the spike up
    assert ratios[-1] < 1.25  # and back down
    assert controller.duty > 1 / 3 / 4


def test_when_the_writers_load_grows_it_climbs_back_instead_of_stopping():
    # The baseline was taken in a quiet spell: from the first window the
    # writers alone pay 3x it, more than the budget (2x).
    rng = random.Random(14)
    controller = Controller(max_impact=2, baseline_p99=BASE, batch_time=0.1)
    actions, duties = [], []
    for _ in range(100):
        latencies, idle = _loaded_plant(controller.duty, BASE * 3, rng)
        decision = controller.decide(latencies, idle=idle)
        actions.append(decision.action)
        duties.append(controller.duty)
    assert actions.count("rebaseline") == 1
    assert controller.baseline_p99 == pytest.approx(BASE * 3, rel=0.15)
    # From the floor it settles under the new budget (duty 1/3), as from
    # any start, rather than staying at 1/64.
    settled = duties[50:]
    assert 1 / 3 / 4 <= sum(settled) / len(settled) <= 1 / 3 + 0.1


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="max_impact"):
        Controller(max_impact=1, baseline_p99=BASE, batch_time=0.1)
    with pytest.raises(ValueError):
        Controller(max_impact=2, baseline_p99=0, batch_time=0.1)


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.99) == 99
    assert percentile(values, 0.5) == 50
    assert percentile([7.0], 0.99) == 7.0
