"""The search returns Nova's first permutation without enumerating them.

A table of hand-made cases, and a property test against brute force:
for any fit masks and any check on the chosen set, the search returns the
first permutation (in ``itertools.permutations`` order) whose pairs all
fit and whose set passes - or ``None`` when none does.
"""

from __future__ import annotations

from itertools import combinations, permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zerodown.compute.hardware.search import find_assignment, max_matching


def by_position(position):
    return position


def brute_force(masks, n, accept):
    for perm in permutations(range(n), len(masks)):
        if all(masks[g] >> h & 1 for g, h in enumerate(perm)):
            chosen = sum(1 << h for h in perm)
            if accept is None or accept(chosen):
                return list(perm)
    return None


CASES = [
    # (case, masks (bit h: fits host position h), expected positions)
    ("one cell, first host", [0b11], [0]),
    ("skips a host that does not fit", [0b10], [1]),
    ("two cells in order", [0b11, 0b11], [0, 1]),
    ("second cell forces the first aside", [0b11, 0b01], [1, 0]),
    ("no host for a cell", [0b11, 0b00], None),
    ("three cells want two hosts", [0b011, 0b011, 0b011], None),
    ("a chain of preferences", [0b0111, 0b0011, 0b0001], [2, 1, 0]),
]


@pytest.mark.parametrize(
    "masks, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_assignments(masks, expected):
    assert find_assignment(masks, by_position) == expected


def test_a_set_check_moves_the_answer_to_the_next_permutation():
    # Hosts 0 and 1 together are refused: cell 1 moves on to host 2.
    def accept(chosen):
        return chosen != 0b011

    assert find_assignment([0b111, 0b111], by_position, accept) == [0, 2]


def test_an_impossible_bound_refuses_at_the_root():
    asked = []

    def possible(mask):
        asked.append(mask)
        return False

    assert find_assignment([0b11], by_position, None, possible) is None
    assert asked == [0b11]


def test_no_set_the_bound_refused_is_checked():
    tried = []

    def accept(chosen):
        tried.append(chosen)
        return bool(chosen & 0b100)

    def possible(mask):
        return bool(mask & 0b100)

    # Host 2 is needed (say, for a device): the pair of hosts 0 and 1 is
    # cut by the bound, the costly check sees only the set it accepts.
    masks = [0b111, 0b111]
    assert find_assignment(masks, by_position, accept, possible) == [0, 2]
    assert tried == [0b101]


def test_twin_hosts_are_tried_once_per_step():
    tried = []

    def accept(chosen):
        tried.append(chosen)
        return False

    # 12 identical hosts, a guest of 3 cells: without symmetry the search
    # would check all C(12, 3) = 220 sets; twins are skipped.
    masks = [(1 << 12) - 1] * 3
    assert find_assignment(masks, lambda p: "twin", accept) is None
    assert tried == [0b111]


def test_a_failed_host_skips_only_its_twins():
    tried = []

    def accept(chosen):
        tried.append(chosen)
        return chosen == 0b100

    # Hosts 0 and 1 are twins, host 2 another kind: once host 0 fails,
    # host 1 is skipped and host 2 is still tried.
    classes = {0: "a", 1: "a", 2: "b"}
    assert find_assignment([0b111], classes.get, accept) == [2]
    assert tried == [0b001, 0b100]


def test_a_guest_that_cannot_fit_asks_no_check():
    asked = []

    def check(chosen):
        asked.append(chosen)
        return True

    masks = [0b011, 0b011, 0b011]
    assert find_assignment(masks, by_position, check, check) is None
    assert asked == []


def _asks_only_sets_that_can_hold(masks):
    """A ``possible`` that records its sets and checks each: only hosts
    some guest cell fits, enough of them for every cell (the bound is a
    costly device check: it is not asked about sets that cannot hold the
    guest anyway)."""
    reach = 0
    for mask in masks:
        reach |= mask
    asked = []

    def possible(chosen):
        asked.append(chosen)
        assert chosen & ~reach == 0, bin(chosen)
        assert max_matching(masks, chosen) == len(masks), bin(chosen)
        return True

    return possible, asked


@pytest.mark.parametrize(
    "masks, expected",
    [
        ([0b00, 0b01], None),
        ([0b10], [1]),
        ([0b11, 0b01], [1, 0]),
        ([0b01, 0b10], [0, 1]),
        ([0b0111, 0b0011, 0b0001], [2, 1, 0]),
    ],
)
def test_the_bound_is_asked_only_about_sets_that_can_hold_the_guest(
    masks, expected
):
    possible, asked = _asks_only_sets_that_can_hold(masks)
    assert find_assignment(masks, by_position, None, possible) == expected
    assert bool(asked) == (expected is not None)


@pytest.mark.parametrize(
    "masks, matched",
    [
        ([0b1, 0b1], 1),
        ([0b11, 0b01], 2),
        ([0b111, 0b011, 0b001], 3),
        ([], 0),
        # The third cell's first host leads nowhere but visits its second:
        # its third must still be tried.
        ([0b010, 0b011, 0b111], 3),
    ],
)
def test_max_matching(masks, matched):
    assert max_matching(masks) == matched


def _problem():
    # n hosts, k guest cells; some hosts "special" (the set check depends
    # on which of them are chosen), the rest interchangeable by column.
    return st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.integers(0, (1 << n) - 1), min_size=1, max_size=n),
            st.integers(0, (1 << n) - 1),
            st.sets(st.integers(0, (1 << n) - 1)),
            st.booleans(),
        )
    )


@settings(max_examples=400, deadline=None)
@given(_problem())
def test_search_equals_brute_force(problem):
    n, masks, special, refused, bounded = problem

    def accept(chosen):
        return (chosen & special) not in refused

    def class_of(position):
        column = tuple(m >> position & 1 for m in masks)
        return column, position if special >> position & 1 else None

    def possible(mask):
        # Exact bound: some k-subset of mask is accepted.
        asks(mask)
        bits = [h for h in range(n) if mask >> h & 1]
        return any(
            accept(sum(1 << h for h in subset))
            for subset in combinations(bits, len(masks))
        )

    asks, _ = _asks_only_sets_that_can_hold(masks)
    expected = brute_force(masks, n, accept)
    got = find_assignment(
        masks, class_of, accept, possible if bounded else None
    )
    assert got == expected
