"""Real messages of the compute stack and ways to break them, for fuzzing.

``messages()`` gives the bytes the compute services send each other (an
Instance with its NUMA topology and PCI devices in a build request, a
reply with several, a ComputeNode, a Service, a backported Instance, and a
message of every value type the codec carries).  ``mutate_bytes`` breaks
bytes the way a faulty or hostile peer would, knowing msgpack's layout;
``mutate_value`` breaks a decoded message the way a peer with the wrong
schema would.
"""

from __future__ import annotations

import datetime
import ipaddress
import random
import uuid
import zoneinfo
from typing import Any

import compute_examples as examples

from zerodown.compute import objects as compute
from zerodown.objects import WireObject, wire
from zerodown.objects.serializer import ObjectSerializer

SERIALIZER = ObjectSerializer(compute.REGISTRY)
# Bytes that mean something to msgpack: containers, lengths, extensions.
TYPE_BYTES = bytes.fromhex(
    "80818f90919fa0bfc0c1c2c4c7c9cacbcfd3d4d6d7d8d9dbdcdddedfe0ff"
)
EXT_CODES = bytes([1, 2, 3, 4, 5, 6, 16, 0xFF, 7, 99])
BOUNDARIES = [0, 1, 0x0F, 0x10, 0x7F, 0xFF, 0x100, 0xFFFF, 0xFFFFFFFF]


def messages() -> list[bytes]:
    """The corpus: encoded messages of real objects (the last one, of
    every value type, holds objects no registry has)."""
    instance = examples.example("Instance")
    previous = {**compute.REGISTRY.versions(), "Instance": "2.3"}
    bodies = [
        {
            "method": "build_and_run_instance",
            "version": "6.0",
            "args": {
                "instance": SERIALIZER.serialize_entity(None, instance),
                "limits": _wire("NUMATopologyLimits"),
                "node": "compute-1",
            },
            "context": {"request_id": "req-1", "roles": ["admin"]},
        },
        {"result": [_wire("Instance") for _ in range(3)]},
        {"result": _wire("ComputeNode")},
        {
            "args": {
                "service": _wire("Service"),
                "pool": [_wire("PciDevicePool")],
            }
        },
        {"args": {"instance": instance.obj_to_wire("2.3", previous)}},
        {"args": _every_type()},
    ]
    return [wire.encode(body) for body in bodies]


def _wire(name: str) -> WireObject:
    return SERIALIZER.serialize_entity(None, examples.example(name))


def _every_type() -> dict[str, Any]:
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    named = datetime.timezone(datetime.timedelta(hours=5, minutes=45), "NPT")
    return {
        "dates": [
            datetime.datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=paris),
            datetime.datetime(2026, 1, 1, tzinfo=named),
            datetime.datetime(1, 1, 1),
        ],
        "ids": {uuid.UUID(int=7), uuid.UUID(int=2**128 - 1)},
        "ips": [
            ipaddress.ip_address("192.0.2.1"),
            ipaddress.IPv6Address("fe80::1%eth0"),
        ],
        "sets": {frozenset({1, (2, "x")}), frozenset()},
        "ints": [-(2**63), 2**64 - 1, -33, 0],
        "bytes": b"\x00\xff" * 20,
        "text": "é" * 20 + "\U0001f600",
        "nested": WireObject(
            "ns", "X", "1.0", {"w": [WireObject("ns", "Y", "2.1", {}, ["a"])]}
        ),
        7: 1.5,
    }


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one to four edits of a kind msgpack cares about."""
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 4))):
        rng.choice(_BYTE_EDITS)(out, rng)
    return bytes(out)


def _flip(out: bytearray, rng: random.Random) -> None:
    if out:
        out[rng.randrange(len(out))] = rng.randrange(256)


def _type_byte(out: bytearray, rng: random.Random) -> None:
    if out:
        out[rng.randrange(len(out))] = rng.choice(TYPE_BYTES)


def _ext_code(out: bytearray, rng: random.Random) -> None:
    # The byte after an extension header is its code.
    spots = [i for i in range(len(out) - 2) if 0xC7 <= out[i] <= 0xD8]
    if spots:
        spot = rng.choice(spots)
        out[spot + (1 if out[spot] >= 0xD4 else 2)] = rng.choice(EXT_CODES)


def _length(out: bytearray, rng: random.Random) -> None:
    # A 32-bit count or length at a random place: a header's claim.
    if len(out) > 5:
        spot = rng.randrange(len(out) - 4)
        out[spot : spot + 4] = rng.choice(BOUNDARIES).to_bytes(4, "big")


def _insert(out: bytearray, rng: random.Random) -> None:
    out.insert(rng.randrange(len(out) + 1), rng.randrange(256))


def _delete(out: bytearray, rng: random.Random) -> None:
    if out:
        del out[rng.randrange(len(out))]


def _truncate(out: bytearray, rng: random.Random) -> None:
    del out[rng.randrange(len(out) + 1) :]


def _splice(out: bytearray, rng: random.Random) -> None:
    # Repeat a slice of the message inside itself (nesting, duplicates).
    if len(out) > 2:
        start = rng.randrange(len(out) - 1)
        piece = out[start : start + rng.randint(1, 64)]
        spot = rng.randrange(len(out))
        out[spot:spot] = piece


_BYTE_EDITS = [
    _flip,
    _flip,
    _type_byte,
    _ext_code,
    _length,
    _insert,
    _delete,
    _truncate,
    _splice,
]


# -- values -------------------------------------------------------------------

JUNK: list[Any] = [
    None,
    True,
    -1,
    2**63,
    1.5,
    "",
    "x" * 300,
    b"\x00",
    [],
    {},
    [1, "a"],
    {"a": None},
    {1, 2},
    frozenset({"x"}),
    datetime.datetime(2026, 1, 1),
    uuid.UUID(int=1),
    ipaddress.ip_address("::1"),
    ["Instance", "2.5"],
    ["Instance", "9.0", {}],
    ["Nope", "1.0", {}],
    ["VirtCPUTopology", "1.0", {"sockets": "1"}],
    WireObject("zerodown", "Nope", "1.0", {}),
    WireObject("other", "Instance", "2.5", {}),
]


def mutate_value(value: Any, rng: random.Random) -> Any:
    """``value`` with one part replaced, removed or renamed; the parts
    not on the way to it are shared, not copied."""
    kind = type(value)
    if kind is WireObject:
        return _mutate_object(value, rng)
    if kind is dict and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        copy = dict(value)
        if rng.random() < 0.15:
            del copy[key]
        else:
            copy[key] = mutate_value(value[key], rng)
        return copy
    if kind is list and value and rng.random() < 0.8:
        copy = list(value)
        spot = rng.randrange(len(copy))
        copy[spot] = mutate_value(copy[spot], rng)
        return copy
    return rng.choice(JUNK)


def _mutate_object(obj: WireObject, rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.1:
        return obj._replace(version=rng.choice(["1.0", "2.0", "2.9", "x"]))
    if roll < 0.15:
        return obj._replace(name=rng.choice(["Flavor", "Nope", ""]))
    if roll < 0.2:
        changes = rng.choice([["nope"], [1], "id", list(obj.data)])
        return obj._replace(changes=changes)
    if roll < 0.25 and obj.data:
        extra = {
            **obj.data,
            rng.choice(["nope", "id", "flavor"]): rng.choice(JUNK),
        }
        return obj._replace(data=extra)
    return obj._replace(data=mutate_value(obj.data, rng))
