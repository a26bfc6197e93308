"""The adaptive batch size, as pure logic: pt-osc's chunk-time rule."""

from __future__ import annotations

import pytest

from zerodown.migrations.data import BatchSizer


def test_the_size_converges_on_the_target_time():
    sizer = BatchSizer(target=0.1, initial=1000, maximum=100_000)
    for _ in range(20):
        # the database does 50,000 rows/s whatever the size
        sizer.observe(sizer.size, sizer.size / 50_000)
    assert sizer.size == 5000
    assert sizer.rate == pytest.approx(50_000)


def test_the_size_at_most_doubles_from_one_batch_to_the_next():
    sizer = BatchSizer(target=1.0, initial=100, maximum=1_000_000)
    sizes = []
    for _ in range(5):
        sizer.observe(sizer.size, sizer.size / 1_000_000)  # very fast
        sizes.append(sizer.size)
    assert sizes == [200, 400, 800, 1600, 3200]


def test_a_slow_batch_shrinks_the_next_one_at_once():
    sizer = BatchSizer(target=0.1, initial=1000)
    sizer.observe(1000, 0.01)  # 100,000 rows/s
    assert sizer.size == 2000
    sizer.observe(2000, 2.0)  # a stall: the weighted rate drops
    assert sizer.size < 1000


def test_older_batches_weigh_less():
    sizer = BatchSizer(target=0.1, initial=1000, weight=0.5)
    sizer.observe(1000, 0.1)  # 10,000 rows/s
    sizer.observe(1000, 0.05)  # 20,000 rows/s
    # (1000 * 0.5 + 1000) / (0.1 * 0.5 + 0.05) = 15,000 rows/s
    assert sizer.rate == pytest.approx(15_000)
    assert sizer.size == 1500


def test_sizes_stay_within_bounds():
    sizer = BatchSizer(target=0.1, initial=50, minimum=20, maximum=60)
    sizer.observe(50, 10.0)
    assert sizer.size == 20
    for _ in range(40):  # the stall's weight decays batch after batch
        sizer.observe(sizer.size, 0.0001)
    assert sizer.size == 60
    assert BatchSizer(initial=5, minimum=10).size == 10


def test_busy_halves_the_size_down_to_the_minimum():
    sizer = BatchSizer(initial=1000, minimum=300)
    assert sizer.busy() == 500
    assert sizer.busy() == 300
    assert sizer.busy() == 300


def test_an_empty_or_instant_batch_says_nothing_about_the_rate():
    sizer = BatchSizer(initial=1000)
    assert sizer.observe(0, 0.5) == 1000
    assert sizer.observe(100, 0.0) == 1000
    assert sizer.rate is None


def test_a_fixed_size_never_moves():
    sizer = BatchSizer(initial=7, fixed=True)
    sizer.observe(7, 10.0)
    sizer.busy()
    assert sizer.size == 7


@pytest.mark.parametrize(
    "kwargs",
    [{"minimum": 0}, {"minimum": 10, "maximum": 5}, {"target": 0}],
)
def test_impossible_bounds_are_refused(kwargs):
    with pytest.raises(ValueError):
        BatchSizer(**kwargs)
