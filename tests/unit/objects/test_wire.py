"""The msgpack wire codec: lossless, deterministic, strict on input."""

from __future__ import annotations

import array
import datetime
import enum
import ipaddress
import os
import pathlib
import struct
import subprocess
import sys
import uuid
import zoneinfo

import msgpack
import pytest
import tzdata

from zerodown.objects import Limits, WireObject, wire
from zerodown.objects.errors import MalformedPayload, UnencodableValue

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -(2**63),
        2**64 - 1,
        1.5,
        "text \u00e9",
        b"\x00bytes",
        [1, [2, [3]]],
        {"b": 1, "a": {"c": [None]}},
        {3: "int keys", 1: "sorted"},
        datetime.datetime(2026, 3, 4, 5, 6, 7, 891011),
        datetime.datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=UTC),
        datetime.datetime(
            2026,
            3,
            4,
            5,
            6,
            7,
            tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=45)),
        ),
        datetime.datetime(
            2026,
            3,
            4,
            tzinfo=datetime.timezone(-datetime.timedelta(hours=23), "W"),
        ),
        datetime.datetime(
            2026,
            10,
            25,
            2,
            30,
            fold=1,
            tzinfo=zoneinfo.ZoneInfo("Europe/Paris"),
        ),
        datetime.datetime(1, 1, 1),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
        # UTC's shortcut on both sides, at the ends of the range and with
        # fold set (which the shortcut leaves to the general path)
        datetime.datetime(1, 1, 1, tzinfo=UTC),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.datetime(2026, 3, 4, 5, 6, 7, fold=1, tzinfo=UTC),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ipaddress.ip_address("192.0.2.1"),
        ipaddress.ip_address("::1"),
        ipaddress.ip_address("fe80::1%eth0"),
        {1, 2, 3},
        frozenset({"a", (1, 2)}),
        {("x", (1, 2))},
        WireObject("ns", "Thing", "1.2", {"a": [1]}, ["a"]),
    ],
)
def test_values_round_trip_exactly(value):
    back = wire.decode(wire.encode(value))
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, datetime.datetime):
        assert back.tzinfo == value.tzinfo and back.fold == value.fold
        assert back.utcoffset() == value.utcoffset()
        assert back.tzname() == value.tzname()


def test_tuples_travel_as_lists():
    assert wire.decode(wire.encode((1, (2, 3)))) == [1, [2, 3]]


def test_ipv6_keeps_its_family_for_small_values():
    # oslo.serialization's msgpackutils turns ::1 into 0.0.0.1.
    assert wire.decode(wire.encode(ipaddress.ip_address("::1"))).version == 6


def test_equal_values_give_equal_bytes():
    a = {"z": {3, 1, 2}, "a": [{"y": 1, "x": 2}], 5: frozenset("cab")}
    b = {5: frozenset("abc"), "a": [{"x": 2, "y": 1}], "z": {2, 3, 1}}
    assert wire.encode(a) == wire.encode(b)


def test_bytes_do_not_depend_on_the_hash_seed():
    code = (
        "import sys; from zerodown.objects import wire; "
        "sys.stdout.write(wire.encode({'s': {'pear', 'apple', 'fig', 'kiwi'},"
        " 'k': frozenset('abcdefgh')}).hex())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


@pytest.mark.parametrize(
    "value",
    [
        object(),
        {(1, 2): "tuple key"},
        {True: "bool key"},
        {1.5: "float key"},
        2**64,
        datetime.date(2026, 1, 1),
    ],
)
def test_what_the_codec_cannot_carry_is_refused(value):
    with pytest.raises(UnencodableValue):
        wire.encode(value)


def test_limits_bound_size_and_depth_both_ways():
    deep: list = []
    for _ in range(10):
        deep = [deep]
    with pytest.raises(UnencodableValue, match="nesting"):
        wire.encode(deep, limits=Limits(max_depth=5))
    body = wire.encode(deep)
    with pytest.raises(MalformedPayload, match="nesting deeper than 5"):
        wire.decode(body, limits=Limits(max_depth=5))
    with pytest.raises(MalformedPayload, match="exceed the limit of 10"):
        wire.decode(wire.encode("x" * 20), limits=Limits(max_size=10))
    with pytest.raises(UnencodableValue, match="exceed the limit"):
        wire.encode("x" * 20, limits=Limits(max_size=10))


def _ext(code: int, payload: bytes) -> bytes:
    return msgpack.packb(msgpack.ExtType(code, payload))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "incomplete"),
        (wire.encode({"a": [1, 2, 3]})[:-1], "incomplete"),
        (wire.encode(1) + b"\x01", "extra"),
        (b"\xc1", ""),
        (_ext(99, b"x"), "unknown extension type 99"),
        (_ext(wire.EXT_UUID, b"short"), "bad UUID"),
        (_ext(wire.EXT_IPV4, b"\x01\x02\x03"), "IPv4"),
        (_ext(wire.EXT_IPV6, b"\x00" * 16 + b"bad scope!"), "IPv6"),
        (_ext(wire.EXT_DATETIME, b"\x00"), "datetime"),
        (
            _ext(wire.EXT_DATETIME, b"\x7f" * 8 + b"\x00" * 4 + b"\x00"),
            "datetime",
        ),
        (
            _ext(wire.EXT_DATETIME, b"\x00" * 12 + b"\x02" + b"../../etc"),
            "datetime",
        ),
        (_ext(wire.EXT_SET, msgpack.packb({"a": 1})), "set"),
        (_ext(wire.EXT_SET, msgpack.packb([{"a": 1}])), "set"),
        (_ext(wire.EXT_OBJECT, msgpack.packb(["ns", "X", "1.0"])), "object"),
        (
            _ext(wire.EXT_OBJECT, msgpack.packb(["ns", "X", 1, {}, None])),
            "object",
        ),
        (msgpack.packb({(1, 2): 1}, use_bin_type=True), ""),
        (msgpack.packb({1.5: "x"}), "float dict key"),
        (msgpack.packb({None: "x"}), "NoneType dict key"),
        (b"\x91" * 2000 + b"\xc0", ""),
        (b"\xdd\xff\xff\xff\xff", "max_array_len"),
        (b"\xa3\xff\xfe\xfd", "utf-8"),
        ("not bytes", "not bytes"),
    ],
)
def test_malformed_input_raises_one_typed_error(body, reason):
    with pytest.raises(MalformedPayload) as err:
        wire.decode(body)
    assert reason.lower() in str(err.value).lower()


def test_nested_objects_are_bounded_too():
    inner = wire.encode(WireObject("ns", "X", "1.0", {}, None))
    payload = msgpack.unpackb(inner, ext_hook=lambda c, d: d)
    body = payload
    for _ in range(70):
        body = msgpack.packb(
            [
                "ns",
                "X",
                "1.0",
                {"c": msgpack.ExtType(wire.EXT_OBJECT, body)},
                None,
            ]
        )
    with pytest.raises(MalformedPayload, match="nesting"):
        wire.decode(_ext(wire.EXT_OBJECT, body))


@pytest.mark.parametrize(
    "body",
    [
        msgpack.packb(msgpack.Timestamp(1_700_000_000, 5000)),
        msgpack.packb([1, {"t": msgpack.Timestamp(0, 0)}]),
        msgpack.packb({"s": [msgpack.Timestamp(1, 0)]}),
    ],
)
def test_msgpack_timestamps_are_an_unknown_extension(body):
    # zerodown writes datetimes as type 1; a second form would make two
    # byte strings for one value.
    with pytest.raises(MalformedPayload, match="extension type -1"):
        wire.decode(body)


@pytest.mark.parametrize(
    "value",
    [
        msgpack.Timestamp(1, 0),
        msgpack.ExtType(99, b"x"),
        [msgpack.ExtType(1, b"")],
    ],
)
def test_msgpack_extension_values_are_not_encoded(value):
    with pytest.raises(UnencodableValue):
        wire.encode(value)


class Colour(str, enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    LARGE = 3


class Perm(enum.IntFlag):
    READ = 4


class Ratio(float, enum.Enum):
    HALF = 0.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Colour.RED, "red"),
        (Size.LARGE, 3),
        (Perm.READ, 4),
        (Ratio.HALF, 0.5),
        ({"c": Colour.RED, "l": [Size.LARGE]}, {"c": "red", "l": [3]}),
        ({Colour.RED}, {"red"}),
    ],
)
def test_enum_members_travel_as_their_value(value, expected):
    # str(Colour.RED) is "Colour.RED": the value is what is meant.
    back = wire.decode(wire.encode(value))
    assert back == expected
    assert type(back) is type(expected)
    assert wire.encode(value) == wire.encode(expected)


def test_buffers_count_bytes_and_must_be_bytes():
    body = wire.encode({"a": [1, 2, 3]})
    for data in (body, bytearray(body), memoryview(body)):
        assert wire.decode(data) == {"a": [1, 2, 3]}
    padded = b"\x00" + body + b"\x00"
    assert wire.decode(memoryview(padded)[1:-1]) == {"a": [1, 2, 3]}
    assert wire.decode(memoryview(b"\x92-\x01-\x01")[::2]) == [1, 1]
    # A memoryview of 4-byte items has len() of its items, not its bytes.
    words = array.array("I", [0x01020304] * 4)
    for data in (memoryview(words), array.array("B", body), 3, None):
        with pytest.raises(MalformedPayload, match="not bytes"):
            wire.decode(data)
    with pytest.raises(MalformedPayload, match="exceed the limit"):
        wire.decode(memoryview(body), limits=Limits(max_size=len(body) - 1))


@pytest.mark.parametrize(
    "scope", ["eth0", "enp0s3.100", "br-ex", "1", "a" * 32]
)
def test_ipv6_scopes_the_decoder_reads_round_trip(scope):
    address = ipaddress.IPv6Address(f"fe80::1%{scope}")
    assert wire.decode(wire.encode(address)).scope_id == scope


@pytest.mark.parametrize("scope", ["a b", "eth0@if2", "é", "a" * 33, "x:y"])
def test_ipv6_scopes_the_decoder_refuses_are_refused_at_encode(scope):
    with pytest.raises(UnencodableValue, match="IPv6 scope"):
        wire.encode({"ip": ipaddress.IPv6Address(f"fe80::1%{scope}")})


def _zone_payload(key: bytes) -> bytes:
    head = struct.pack(">qIB", 0, 0, 2)
    return msgpack.packb(msgpack.ExtType(wire.EXT_DATETIME, head + key))


@pytest.mark.parametrize(
    "key",
    [
        b"America",
        b"Etc",
        b"__pycache__",
        b"leapseconds",
        b"zone.tab",
        b"tzdata.zi",
        b"iso3166.tab",
        b"..",
        b"../etc/passwd",
        b"Europe/../../x",
        b"Europe\x00Paris",
        b"x" * 200,
        b"A/" * 40,
        b"Nowhere/Atlantis",
        b"\xff\xfe",
        b"",
    ],
)
def test_zone_keys_that_name_no_zone_are_malformed(key):
    # zoneinfo raises IsADirectoryError, ValueError or its own KeyError
    # for these: the codec turns each into its one error.
    with pytest.raises(MalformedPayload, match="datetime"):
        wire.decode(_zone_payload(key))


def test_a_zone_not_loaded_by_its_key_travels_as_its_offset():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    path = pathlib.Path(tzdata.__file__).parent / "zoneinfo/Europe/Paris"
    with path.open("rb") as source:
        keyless = zoneinfo.ZoneInfo.from_file(source)
    with path.open("rb") as source:
        misleading = zoneinfo.ZoneInfo.from_file(source, key="Europe/Paris")
    for zone in (
        keyless,
        misleading,
        zoneinfo.ZoneInfo.no_cache("Europe/Paris"),
    ):
        moment = datetime.datetime(2026, 7, 1, 12, tzinfo=zone)
        back = wire.decode(wire.encode(moment))
        assert back == moment and back.utcoffset() == moment.utcoffset()
        assert type(back.tzinfo) is datetime.timezone
    moment = datetime.datetime(2026, 7, 1, 12, tzinfo=paris)
    assert wire.decode(wire.encode(moment)).tzinfo is paris


@pytest.mark.parametrize("name", ["", "\ud800"])
def test_offset_names_that_would_not_come_back_are_refused(name):
    tz = datetime.timezone(datetime.timedelta(hours=2), name)
    with pytest.raises(UnencodableValue):
        wire.encode(datetime.datetime(2026, 1, 1, tzinfo=tz))


@pytest.mark.parametrize("name", ["CEST", "UTC+02:00", "Z", "é", "x" * 300])
def test_offset_names_round_trip(name):
    tz = datetime.timezone(datetime.timedelta(hours=2), name)
    back = wire.decode(wire.encode(datetime.datetime(2026, 1, 1, tzinfo=tz)))
    assert back.tzname() == name and back.utcoffset() == tz.utcoffset(None)


def test_a_released_memoryview_is_malformed():
    view = memoryview(wire.encode([1]))
    view.release()
    with pytest.raises(MalformedPayload):
        wire.decode(view)


class _Broken(datetime.tzinfo):
    def utcoffset(self, dt):
        raise RuntimeError("no offset today")

    def tzname(self, dt):
        return "?"

    def dst(self, dt):
        return None


def test_a_tzinfo_that_raises_gives_the_codecs_error():
    with pytest.raises(UnencodableValue, match="no offset today"):
        wire.encode(datetime.datetime(2026, 1, 1, tzinfo=_Broken()))
