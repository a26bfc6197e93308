"""The codec's limits: the same on both sides, and bounded in memory.

Each limit is checked twice: ``encode`` refuses exactly what ``decode``
would, and ``decode`` refuses it on both of its paths - the walk after
msgpack for small messages, the scan before msgpack for large ones.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zerodown.objects import Limits, WireObject, wire, wirescan
from zerodown.objects.errors import MalformedPayload, UnencodableValue
from zerodown.objects.wireformat import BYTES_PER_ELEMENT
from zerodown.objects.wireshapes import (
    REFUSAL_MS_PER_MIB,
    SHAPES,
    decode_cpu_seconds,
    decode_peak,
)

LOOSE = Limits(max_depth=128, max_elements=10**9)


def _list(depth: int) -> object:
    value: object = [1]
    for _ in range(depth):
        value = [value]
    return value


def _map(depth: int) -> object:
    value: object = {"a": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


def _frozensets(depth: int) -> object:
    value: object = frozenset({1})
    for _ in range(depth):
        value = frozenset({value})
    return value


def _tuples_in_a_set(depth: int) -> object:
    if depth == 0:
        return {1}
    value: object = (1,)
    for _ in range(depth - 1):
        value = (value,)
    return {value}


def _objects(depth: int) -> object:
    value = WireObject("ns", "X", "1.0", {"n": 1})
    for _ in range(depth):
        value = WireObject("ns", "X", "1.0", {"c": value}, ["c"])
    return value


def _mixed(depth: int) -> object:
    # object > list > frozenset > tuple > map > ... in turn
    value: object = 1
    for level in range(depth + 1):
        kind = level % 4
        if kind == 0:
            value = WireObject("ns", "X", "1.0", {"v": value})
        elif kind == 1:
            value = [value]
        elif kind == 2:
            value = frozenset({value if _hashable(value) else 1})
        else:
            value = {"k": value}
    return value


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


NESTERS = [_list, _map, _frozensets, _tuples_in_a_set, _objects]


def _decodes(data: bytes, limits: Limits) -> bool:
    try:
        wire.decode(data, limits=limits)
    except MalformedPayload:
        return False
    return True


def _scans(data: bytes, limits: Limits) -> bool:
    try:
        wirescan.scan(data, limits)
    except MalformedPayload:
        return False
    return True


def _encodes(value: object, limits: Limits) -> bool:
    try:
        wire.encode(value, limits=limits)
    except UnencodableValue:
        return False
    return True


@pytest.mark.parametrize("nest", NESTERS)
@pytest.mark.parametrize("max_depth", [1, 2, 8, 64])
def test_depth_is_refused_at_the_same_level_both_ways(nest, max_depth):
    # nest(d): the deepest container sits at level d; levels 0 ..
    # max_depth - 1 are allowed.
    limits = Limits(max_depth=max_depth)
    for depth, allowed in ((max_depth - 1, True), (max_depth, False)):
        value = nest(depth)
        data = wire.encode(value, limits=LOOSE)
        assert _encodes(value, limits) is allowed, depth
        assert _decodes(data, limits) is allowed, depth
        assert _scans(data, limits) is allowed, depth


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(0, 20), st.integers(1, 16))
def test_mixed_nesting_agrees_everywhere(depth, max_depth):
    value = _mixed(depth)
    data = wire.encode(value, limits=LOOSE)
    limits = Limits(max_depth=max_depth)
    verdict = _encodes(value, limits)
    assert _decodes(data, limits) is verdict
    assert _scans(data, limits) is verdict


@pytest.mark.parametrize(
    "nest",
    [
        _list,
        _frozensets,
        _objects,
        lambda depth: _tuples_in_a_set(depth),
    ],
)
def test_nothing_deep_reaches_the_recursion_limit(nest):
    value = nest(5000)
    with pytest.raises(UnencodableValue, match="nesting deeper than 64"):
        wire.encode(value)
    with pytest.raises(UnencodableValue, match="nesting deeper than 128"):
        wire.encode(value, limits=Limits(max_depth=128))
    with pytest.raises(MalformedPayload):
        wire.decode(b"\x91" * 5000 + b"\xc0")


@pytest.mark.parametrize(
    ("value", "elements"),
    [
        (1, 1),
        ([1, 2], 3),
        ({"a": 1}, 3),
        ("x" * 15, 1),
        ("x" * 16, 2),
        ("x" * 40, 3),
        (b"x" * 16, 2),
        ({1, 2}, 4),
        (frozenset(), 2),
        (datetime.datetime(2026, 1, 1), 1),
        (uuid.UUID(int=1), 2),
        (WireObject("n", "X", "1.0", {"a": 1}), 9),
        (WireObject("n", "X", "1.0", {}, ["a", "b"]), 9),
        ([[], {}, [None]], 5),
    ],
)
def test_what_counts_as_an_element(value, elements):
    assert wirescan.scan(wire.encode(value), LOOSE) == elements


def test_a_message_never_holds_more_elements_than_bytes():
    for value in (
        [[]] * 50,
        {i: None for i in range(100)},
        ["x" * n for n in range(100)],
        {frozenset({i}) for i in range(30)},
    ):
        data = wire.encode(value)
        assert wirescan.scan(data, LOOSE) <= len(data)


@pytest.mark.parametrize(
    "value",
    [
        list(range(200)),
        [{}] * 200,
        ["x" * 40] * 60,
        [WireObject("n", "X", "1.0", {"a": [1, 2]})] * 20,
        {frozenset({i, -i}) for i in range(30)},
    ],
)
def test_the_element_limit_is_the_same_both_ways(value):
    data = wire.encode(value)
    count = wirescan.scan(data, LOOSE)
    at = Limits(max_elements=count)
    under = Limits(max_elements=count - 1)
    assert wire.encode(value, limits=at) == data
    assert wire.decode(data, limits=at) is not None
    with pytest.raises(UnencodableValue, match="elements"):
        wire.encode(value, limits=under)
    with pytest.raises(MalformedPayload, match="elements"):
        wire.decode(data, limits=under)


@pytest.mark.parametrize(
    "bad",
    [
        {"max_depth": 0},
        {"max_depth": 129},
        {"max_size": 0},
        {"max_elements": 0},
    ],
)
def test_limits_are_checked(bad):
    with pytest.raises(ValueError):
        Limits(**bad)


def test_the_element_limit_follows_the_size_limit_unless_given():
    assert Limits().element_limit == 16 * 1024 * 1024 // BYTES_PER_ELEMENT
    assert Limits(max_size=4096).element_limit == 4096 // BYTES_PER_ELEMENT
    assert Limits(max_size=4096, max_elements=7).element_limit == 7


def _frozenset_chain(depth: int, payload: int) -> object:
    value: object = frozenset({b"x" * payload})
    for _ in range(depth - 1):
        value = frozenset({value})
    return value


@pytest.mark.parametrize("max_elements", [100, 500, 1200, 2000, 5000])
def test_nested_payloads_are_bounded_the_same_both_ways(max_elements):
    # Each frozenset's payload holds the next: decoding holds the chain.
    value = _frozenset_chain(3, 1000)
    data = wire.encode(value, limits=LOOSE)
    limits = Limits(max_elements=max_elements)
    verdict = _encodes(value, limits)
    if max_elements in (100, 5000):
        # a chain of about 3,000 bytes in a message of about 1,000
        assert verdict is (max_elements == 5000)
    assert _decodes(data, limits) is verdict
    assert _scans(data, limits) is verdict


MEMORY_LIMITS = Limits(max_size=1 << 20)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_decoding_peaks_within_eight_times_the_size_limit(name):
    # tracemalloc counts what decode allocates: deterministic, unlike the
    # time, which the benchmark reports instead.
    data = SHAPES[name](MEMORY_LIMITS)
    assert len(data) <= MEMORY_LIMITS.max_size
    measured = decode_peak(data, MEMORY_LIMITS)
    assert measured.peak <= 8 * MEMORY_LIMITS.max_size, measured
    if name.endswith("accepted"):
        assert measured.refused is None


def test_the_shapes_that_fill_the_limit_are_refused_before_building():
    # Refused by the scan, before msgpack built anything: the peak is the
    # scanner's own, a few kilobytes.
    for name in ("empty maps", "empty sets", "lists of small ints, nested"):
        measured = decode_peak(SHAPES[name](MEMORY_LIMITS), MEMORY_LIMITS)
        assert measured.refused is not None
        assert measured.peak < 64 * 1024


@pytest.mark.parametrize("limits", [Limits(max_size=1 << 20), Limits()])
def test_refusals_cost_time_in_proportion_to_the_message(limits):
    """Every shape the limits refuse is refused within a fixed CPU cost
    per MiB of message, under a 1 MiB limit and the default 16 MiB: the
    cost follows the bytes, never the square of them, and a refusal
    builds nothing first (building what these messages hold costs
    50-1,000 ms a MiB).  ``bench/objects.py`` reports the same."""
    costs, sizes = {}, {}
    for name, build in SHAPES.items():
        if name.endswith("accepted"):
            continue  # as large as the limits accept: nothing refused
        data = build(limits)
        try:
            wire.decode(data, limits=limits)
        except MalformedPayload:
            sizes[name] = mib = len(data) / (1 << 20)
            costs[name] = decode_cpu_seconds(data, limits) * 1e3 / mib
    assert len(costs) >= 12, sorted(costs)  # most shapes fill the limit
    # process_time ticks in microseconds: a tiny message's cost per MiB
    # is at the mercy of one tick, so each may take 2 ms besides.
    over = {
        name: f"{ms:.1f} ms/MiB"
        for name, ms in costs.items()
        if ms > REFUSAL_MS_PER_MIB and ms * sizes[name] > 2.0
    }
    assert not over, over


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.recursive(
        st.integers(-40, 40) | st.text(max_size=20) | st.none(),
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.dictionaries(st.text(max_size=5), inner, max_size=5)
            | st.builds(
                lambda d: WireObject("n", "X", "1.0", d),
                st.dictionaries(st.text(max_size=5), inner, max_size=4),
            )
        ),
        max_leaves=40,
    ),
    st.integers(1, 12),
)
def test_the_scan_and_the_walk_agree(value, max_depth):
    data = wire.encode(value, limits=LOOSE)
    limits = Limits(max_depth=max_depth)
    with contextlib.suppress(MalformedPayload):
        wire.decode(data, limits=limits)
        assert _scans(data, limits)
        return
    assert not _scans(data, limits)


def test_a_set_of_members_whose_hashes_collide_is_refused_both_ways():
    """A tuple's hash (or a UUID's, a frozenset's) can be made equal for
    every member, and building such a set costs the square of their
    number: a set holds at most MAX_COLLIDABLE of them, and strings,
    bytes and integers as many as the other limits allow."""
    import uuid

    from zerodown.objects.wireformat import MAX_COLLIDABLE

    fine = {(i, i) for i in range(MAX_COLLIDABLE)} | set(range(1000))
    assert wire.decode(wire.encode(fine)) == fine
    for many in (
        {(i, i) for i in range(MAX_COLLIDABLE + 1)},
        {uuid.UUID(int=i) for i in range(MAX_COLLIDABLE + 1)},
        {frozenset({i}) for i in range(MAX_COLLIDABLE + 1)},
    ):
        with pytest.raises(UnencodableValue, match="collide"):
            wire.encode(many)
        members = [msgpack.packb([i, i]) for i in range(MAX_COLLIDABLE + 1)]
        forged = msgpack.ExtType(
            wire.EXT_SET,
            bytes([0xDC])
            + len(members).to_bytes(2, "big")
            + b"".join(members),
        )
        with pytest.raises(MalformedPayload, match="not strings"):
            wire.decode(msgpack.packb(forged))
