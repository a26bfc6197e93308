"""Fuzzing the codec and hydration: typed errors only, never anything else.

Every run feeds 100,000 mutated messages of the compute stack to
``wire.decode`` and 100,000 mutated decoded messages to hydration
(``ObjectSerializer.deserialize_entity``), from a fresh seed (in the
summary line with the counts, and in any failure: set
``ZERODOWN_FUZZ_SEED`` to replay it).  Whatever decodes must encode again,
and those bytes are a fixed point.  The hypothesis tests add generated
structures; the ``slow`` runs go an order deeper.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import random
import uuid
from typing import Any

import fuzz_corpus
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_objects import gadget, make_registry

from zerodown.objects import Limits, WireObject, wire
from zerodown.objects.errors import MalformedPayload, ObjectError
from zerodown.objects.serializer import ObjectSerializer

REGISTRY = make_registry()
SERIALIZER = ObjectSerializer(REGISTRY)
VALID = wire.encode(
    {"method": "m", "args": {"g": gadget(REGISTRY).obj_to_wire()}}
)
PRIMITIVE = gadget(REGISTRY).obj_to_primitive()
SMALL = Limits(max_size=1 << 16, max_depth=32)


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.datetimes(timezones=st.none() | st.timezones()),
    st.uuids(),
    st.ip_addresses(),
)
keys = st.one_of(
    st.text(max_size=6), st.integers(-5, 5), st.binary(max_size=3)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
        st.frozensets(
            st.integers(-(2**63), 2**63 - 1) | st.text(max_size=4), max_size=4
        ),
    ),
    max_leaves=20,
)
junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=6),
        st.binary(max_size=4),
    ),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=4) | st.integers(), inner, max_size=4
        )
    ),
    max_leaves=12,
)


def _decode_and_read(body: bytes) -> None:
    try:
        message = wire.decode(body, limits=SMALL)
    except MalformedPayload:
        return
    with contextlib.suppress(ObjectError):
        SERIALIZER.deserialize_entity(None, message)


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, byte in edits:
        where %= max(len(out), 1)
        if kind == 0 and out:
            out[where] = byte
        elif kind == 1:
            out.insert(where, byte)
        elif out:
            del out[where]
    return bytes(out)


edits = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 1 << 16), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)


def _check_values(value: Any) -> None:
    back = wire.decode(wire.encode(value))
    assert back == _listify(value)


def _listify(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value


def _read_primitive(primitive: Any) -> None:
    with contextlib.suppress(ObjectError):
        REGISTRY.obj_from_primitive(primitive)


def _mutated_primitive(field: str, value: Any) -> dict[str, Any]:
    primitive = {
        **PRIMITIVE,
        "zerodown_object.data": dict(PRIMITIVE["zerodown_object.data"]),
    }
    primitive["zerodown_object.data"][field] = value
    return primitive


FIELDS = st.sampled_from([*sorted(PRIMITIVE["zerodown_object.data"]), "x"])


@fuzz(3000)
@given(st.binary(max_size=256))
def test_random_bytes_give_malformed_payload_or_data(body):
    _decode_and_read(body)


@fuzz(2000)
@given(edits)
def test_mutated_messages_fail_typed(changes):
    _decode_and_read(_mutate(VALID, changes))


@fuzz(1500)
@given(values)
def test_values_round_trip(value):
    _check_values(value)


@fuzz(2000)
@given(junk)
def test_random_structures_are_not_primitives(value):
    _read_primitive(value)
    _read_primitive(
        {
            "zerodown_object.name": "Gadget",
            "zerodown_object.namespace": "test.sample",
            "zerodown_object.version": "1.3",
            "zerodown_object.data": value,
        }
    )


@fuzz(2000)
@given(FIELDS, junk)
def test_a_primitive_with_one_bad_field_fails_typed(field, value):
    _read_primitive(_mutated_primitive(field, value))


@fuzz(1000)
@given(st.text(max_size=8), st.text(max_size=8), st.text(max_size=6), junk)
def test_random_wire_objects_fail_typed(namespace, name, version, data):
    for obj in (
        WireObject(namespace, name, version, {"x": data}),
        WireObject("test.sample", "Gadget", version, {"cpus": data}),
        WireObject("test.sample", "Part", "1.1", {"size": data}),
    ):
        with contextlib.suppress(ObjectError):
            REGISTRY.obj_from_wire(obj)


@pytest.mark.slow
@fuzz(12000)
@given(st.binary(max_size=1024))
def test_random_bytes_deep(body):
    _decode_and_read(body)


@pytest.mark.slow
@fuzz(8000)
@given(edits)
def test_mutated_messages_deep(changes):
    _decode_and_read(_mutate(VALID, changes))


@pytest.mark.slow
@fuzz(6000)
@given(FIELDS, junk)
def test_bad_fields_deep(field, value):
    _read_primitive(_mutated_primitive(field, value))


def test_the_fuzzed_message_is_valid_to_begin_with():
    message = SERIALIZER.deserialize_entity(None, wire.decode(VALID))
    assert message["args"]["g"] == gadget(REGISTRY)
    assert isinstance(message["args"]["g"].created_at, datetime.datetime)
    assert isinstance(message["args"]["g"].address, ipaddress.IPv6Address)
    assert uuid


# -- the compute stack's messages, 100,000 at a time --------------------------

INPUTS = 100_000
SEED = int(os.environ.get("ZERODOWN_FUZZ_SEED") or random.randrange(2**32))
CORPUS = fuzz_corpus.messages()
COMPUTE = fuzz_corpus.SERIALIZER


def _decode_hydrate_reencode(body: bytes) -> bool:
    """Whether ``body`` decoded; only typed errors may escape."""
    try:
        message = wire.decode(body)
    except MalformedPayload:
        return False
    again = wire.encode(message)
    assert wire.encode(wire.decode(again)) == again
    with contextlib.suppress(ObjectError):
        COMPUTE.deserialize_entity(None, message)
    return True


def test_the_corpus_is_valid_to_begin_with():
    for body in CORPUS:
        assert wire.encode(wire.decode(body)) == body
    for body in CORPUS[:-1]:
        COMPUTE.deserialize_entity(None, wire.decode(body))


def test_mutated_messages_of_the_compute_stack(fuzz_count):
    rng = random.Random(SEED)
    decoded = 0
    for count in range(INPUTS):
        body = fuzz_corpus.mutate_bytes(rng.choice(CORPUS), rng)
        try:
            decoded += _decode_hydrate_reencode(body)
        except Exception as err:
            raise AssertionError(
                f"seed {SEED}, input {count}: {body!r:.200}"
            ) from err
    fuzz_count(
        f"wire.decode (seed {SEED})",
        INPUTS,
        f"{decoded:,} decoded, hydrated and re-encoded",
    )
    assert decoded > INPUTS // 100  # the mutations are not all fatal


def test_mutated_decoded_messages_hydrate_or_fail_typed(fuzz_count):
    rng = random.Random(SEED + 1)
    decoded = [wire.decode(body) for body in CORPUS]
    hydrated = 0
    for count in range(INPUTS):
        message = fuzz_corpus.mutate_value(rng.choice(decoded), rng)
        try:
            COMPUTE.deserialize_entity(None, message)
            hydrated += 1
        except ObjectError:
            pass
        except Exception as err:
            raise AssertionError(
                f"seed {SEED + 1}, input {count}: {message!r:.300}"
            ) from err
    fuzz_count(
        f"object hydration (seed {SEED + 1})", INPUTS, f"{hydrated:,} hydrated"
    )
    assert hydrated > INPUTS // 100
