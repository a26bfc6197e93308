"""Requests and replies on the wire: signing, size, shape."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

import msgpack
import pytest

from zerodown.compute.errors import CPUPinningInvalid
from zerodown.objects.errors import UnencodableValue
from zerodown.rpc import Protocol, Signer, Signing
from zerodown.rpc.errors import (
    BadSignature,
    MalformedMessage,
    MessageTooLarge,
    RemoteError,
    UnsupportedVersion,
)
from zerodown.rpc.protocol import Reply, Request
from zerodown.rpc.remote import error_from_wire, error_to_wire
from zerodown.rpc.signing import DEST_HEADER, HEADER, TTL_HEADER
from zerodown.rpc.transport import Address, Message

KEY = "k" * 32
TO = Address("compute.host-1")
REQUEST = Request(
    method="build",
    version="1.3",
    args={
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901),
        "cpus": {3, 1, 2},
        "id": uuid.UUID(int=7),
    },
    context={"request_id": "req-1"},
)


def test_a_request_round_trips_losslessly():
    protocol = Protocol()
    message = protocol.request(REQUEST, TO, reply_to="reply_x", ttl=5.0)
    assert message.correlation_id == message.message_id
    assert message.ttl == 5.0
    assert not protocol.admit(message, TO).signed
    assert protocol.read_request(message) == REQUEST


def test_the_body_is_one_msgpack_map_without_routing_data():
    message = Protocol().request(REQUEST, TO, reply_to="reply_x")
    body = msgpack.unpackb(
        message.body,
        raw=False,
        strict_map_key=False,
        ext_hook=lambda code, data: code,
    )
    assert sorted(body) == ["args", "context", "method", "version"]


def test_signed_messages_verify_and_keys_rotate():
    old, new = "o" * 32, "n" * 32
    message = Protocol(Signing([old])).request(REQUEST, TO, reply_to="r")
    assert message.headers[HEADER].startswith("zd2:hmac-sha256:")
    rotated = Protocol(Signing([new, old])).admit(message, TO)
    assert rotated.signed  # rotation: old accepted
    with pytest.raises(BadSignature, match="does not match"):
        Protocol(Signing([new])).admit(message, TO)


def test_the_first_signature_format_is_refused_by_name():
    message = Protocol(Signing([KEY])).request(REQUEST, TO)
    message.headers[HEADER] = "hmac-sha256:" + "0" * 64
    with pytest.raises(BadSignature, match="older signature format"):
        Protocol(Signing([KEY])).admit(message, TO)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: dataclasses.replace(m, body=m.body + b"\x00"),
        lambda m: dataclasses.replace(m, reply_to="reply_attacker"),
        lambda m: dataclasses.replace(m, message_id="other"),
        lambda m: dataclasses.replace(m, headers={}),
        lambda m: dataclasses.replace(m, headers={HEADER: "md5:abc"}),
        lambda m: _header(m, DEST_HEADER, "q:compute.host-2"),
        lambda m: _header(m, TTL_HEADER, "86400000"),
    ],
    ids=[
        "body",
        "reply_to",
        "message_id",
        "unsigned",
        "other-algorithm",
        "destination",
        "lifetime",
    ],
)
def test_tampered_or_unsigned_messages_are_refused(tamper):
    protocol = Protocol(Signing([KEY]))
    message = protocol.request(REQUEST, TO, reply_to="reply_x")
    with pytest.raises(BadSignature):
        protocol.admit(tamper(message), TO)


def _header(message: Message, name: str, value: str) -> Message:
    return dataclasses.replace(
        message, headers={**message.headers, name: value}
    )


def test_short_keys_are_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        Signer(["short"])


def test_size_limit_on_both_sides():
    small = Protocol(max_size=200)
    big = Request("m", "1.0", {"blob": b"x" * 500}, {})
    with pytest.raises(MessageTooLarge):
        small.request(big, TO)
    message = Protocol().request(big, TO)
    with pytest.raises(MessageTooLarge) as caught:
        small.admit(message, TO)
    assert caught.value.size == len(message.body)


def test_unencodable_arguments_are_typed():
    with pytest.raises(UnencodableValue):
        Protocol().request(Request("m", "1.0", {"x": object()}, {}), TO)


def _raw(body: object) -> Message:
    return Message(body=msgpack.packb(body), message_id="m1")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xc1garbage", None),
        (["not", "a", "map"], "not a map"),
        ({"version": "1.0"}, "no method name"),
        ({"method": "m"}, "no version"),
        ({"method": "m", "version": "1"}, "not an X.Y version"),
        ({"method": "m", "version": "1.0", "args": [1]}, "not a map"),
        ({"method": "m", "version": "1.0", "args": {1: 2}}, "not a map"),
        ({"method": "m", "version": "1.0", "context": 3}, "context"),
        ({"method": "m", "version": "1.0", "namespace": 3}, "namespace"),
    ],
)
def test_malformed_requests_raise_one_typed_error(body, reason):
    message = (
        Message(body=body, message_id="m1")
        if isinstance(body, bytes)
        else _raw(body)
    )
    with pytest.raises(MalformedMessage, match=reason):
        Protocol().read_request(message)


def test_unknown_envelope_keys_are_ignored_for_newer_peers():
    body = {"method": "m", "version": "1.0", "args": {}, "deadline": 5}
    assert Protocol().read_request(_raw(body)).method == "m"


def test_replies_carry_results_or_errors():
    protocol = Protocol(Signing([KEY]))
    back = Address("reply_" + "0" * 32)
    ok = protocol.reply("c1", Reply(result={"a": 1}), back)
    assert ok.correlation_id == "c1"
    assert protocol.admit(ok, back).signed
    assert protocol.read_reply(ok) == Reply(result={"a": 1})
    error = protocol.reply("c1", Reply(error={"type": "X"}), back)
    assert protocol.read_reply(error).error == {"type": "X"}
    with pytest.raises(BadSignature):
        Protocol(Signing(["z" * 32])).admit(ok, back)
    with pytest.raises(MalformedMessage):
        Protocol().read_reply(_raw({"nothing": 1}))


def test_zerodown_errors_come_back_as_their_own_type():
    error = UnsupportedVersion(method="m", version="3.0", served="1.4, 2.1")
    again = error_from_wire(error_to_wire(error), "m", "t")
    assert type(again) is UnsupportedVersion
    assert again.served == "1.4, 2.1"
    pinning = CPUPinningInvalid(cell=0, requested={1}, pinned={1})
    again = error_from_wire(error_to_wire(pinning), "pin", "t")
    assert type(again) is CPUPinningInvalid
    assert str(again) == str(pinning)


def test_other_errors_come_back_as_remote_errors_without_tracebacks():
    wire = error_to_wire(KeyError("missing"))
    again = error_from_wire(wire, "lookup", "compute.h1")
    assert type(again) is RemoteError
    assert again.exc_type == "KeyError"
    assert "lookup" in str(again) and "compute.h1" in str(again)


@pytest.mark.parametrize(
    "wire",
    [
        {"type": "object", "module": "builtins", "fields": {}},
        {
            "type": "UnsupportedVersion",
            "module": "zerodown.exceptions",
            "fields": {"wrong": 1},
        },
        {"type": "UnsupportedVersion", "module": "evil", "fields": {}},
        {"type": 3},
        {},
    ],
)
def test_only_known_error_classes_with_fitting_fields_are_built(wire):
    assert type(error_from_wire(wire, "m", "t")) is RemoteError
