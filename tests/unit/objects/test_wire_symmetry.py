"""What encode accepts, decode accepts: the same value comes back, and the
bytes it makes again are the same bytes.

Values are generated at and around the depth limit, so that the levels
where the two sides could disagree are the ones most tried.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zerodown.objects import Limits, WireObject, wire
from zerodown.objects.errors import MalformedPayload, UnencodableValue

LIMITS = Limits(max_depth=6)
LOOSE = Limits(max_depth=128)


class Colour(str, enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    LARGE = 3


offsets = st.timedeltas(
    min_value=datetime.timedelta(hours=-23, minutes=-59),
    max_value=datetime.timedelta(hours=23, minutes=59),
)
zones = st.one_of(
    st.none(),
    st.timezones(),
    st.builds(datetime.timezone, offsets),
    st.builds(datetime.timezone, offsets, st.text(max_size=6)),
)
scopes = st.from_regex(r"[A-Za-z0-9_.-]{1,32}", fullmatch=True) | st.text(
    max_size=4
)
ipv6 = st.builds(
    lambda address, scope: ipaddress.IPv6Address(f"{address}%{scope}"),
    st.ip_addresses(v=6),
    scopes.filter(lambda s: s and "%" not in s and "/" not in s),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.datetimes(timezones=zones),
    st.uuids(),
    st.ip_addresses(),
    ipv6,
    st.sampled_from([Colour.RED, Size.LARGE]),
)
hashables = st.recursive(
    st.integers() | st.text(max_size=4) | st.binary(max_size=4),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)
keys = st.text(max_size=4) | st.integers(-3, 3) | st.binary(max_size=3)


def _containers(inner: Any) -> Any:
    return st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner),
        st.dictionaries(keys, inner, max_size=3),
        st.sets(hashables, max_size=3),
        st.frozensets(hashables, max_size=3),
        st.builds(
            WireObject,
            st.just("ns"),
            st.text(max_size=3),
            st.just("1.0"),
            st.dictionaries(st.text(max_size=4), inner, max_size=3),
            st.none() | st.lists(st.text(max_size=3), max_size=2),
        ),
    )


values = st.recursive(scalars, _containers, max_leaves=12)


def _nest(value: Any, kinds: list[int]) -> Any:
    # Wrap ``value`` once per kind, to put it near the depth limit.
    for kind in kinds:
        if kind == 0:
            value = [value]
        elif kind == 1:
            value = {"k": value}
        elif kind == 2:
            value = WireObject("ns", "X", "1.0", {"v": value})
        else:
            value = (value,)
    return value


deep = st.builds(
    _nest, values, st.lists(st.integers(0, 3), min_size=3, max_size=7)
)


def _expected(value: Any) -> Any:
    """What decoding gives back for ``value``."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)) and type(value) is not WireObject:
        return [_expected(v) for v in value]
    if isinstance(value, dict):
        return {k: _expected(v) for k, v in value.items()}
    if type(value) is WireObject:
        data = {k: _expected(v) for k, v in value.data.items()}
        return value._replace(data=data)
    if isinstance(value, (set, frozenset)):
        return type(value)(_expected_member(v) for v in value)
    return value


def _expected_member(value: Any) -> Any:
    if type(value) is tuple:
        return tuple(_expected_member(v) for v in value)
    return _expected(value)


def _check_round_trip(value: Any) -> None:
    try:
        data = wire.encode(value, limits=LIMITS)
    except UnencodableValue as err:
        if "nesting deeper" in str(err):
            # Refused for depth: exactly what decode refuses.
            try:
                loose = wire.encode(value, limits=LOOSE)
            except UnencodableValue:
                return  # refused for something else as well
            try:
                wire.decode(loose, limits=LIMITS)
            except MalformedPayload:
                return
            raise AssertionError("encode refused what decode accepts") from err
        return
    back = wire.decode(data, limits=LIMITS)
    assert back == _expected(value)
    assert wire.encode(back, limits=LIMITS) == data


def _settings(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


@_settings(600)
@given(values)
def test_what_encodes_decodes_to_the_same_value(value):
    _check_round_trip(value)


@_settings(600)
@given(deep)
def test_at_the_depth_limit_both_sides_agree(value):
    _check_round_trip(value)


@_settings(300)
@given(st.dictionaries(st.text(max_size=5), scalars, max_size=8), st.randoms())
def test_object_data_gives_the_same_bytes_in_any_order(data, random):
    items = list(data.items())
    random.shuffle(items)
    one = WireObject("ns", "X", "1.0", data)
    other = WireObject("ns", "X", "1.0", dict(items))
    try:
        expected = wire.encode(one)
    except UnencodableValue:
        with pytest.raises(UnencodableValue):
            wire.encode(other)
        return
    assert wire.encode(other) == expected
