"""Poison messages: every kind of bad input a peer on the broker can send.

Each kind is a function ``(n, target) -> Raw`` making its ``n``-th
message for a server's queue; :func:`publish` sends it with kombu
directly, so header values of any AMQP type and any properties reach the
server as a peer would send them.  ``KEY`` signs the kinds that must get
past the signature to reach the codec or the dispatcher.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import struct
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgpack

from zerodown.objects.wire import EXT_OBJECT
from zerodown.rpc import Signing
from zerodown.rpc.signing import HEADER, destination_of
from zerodown.rpc.transport import Address, Message

KEY = "poison-test-key-0123456789abcdef"
SIGNING = Signing([KEY])


@dataclasses.dataclass
class Raw:
    """One message as it goes on the wire."""

    body: bytes
    headers: dict[str, Any]
    message_id: str
    reply_to: str | None = None


def request_body(method: str = "instances_on_host", **extra: Any) -> bytes:
    body = {
        "method": method,
        "version": "1.0",
        "args": {"host": "nowhere"},
        "context": {"request_id": "req-poison"},
        **extra,
    }
    return msgpack.packb(body, use_bin_type=True)


def signed(
    body: bytes,
    queue: str,
    *,
    reply_to: str | None = None,
    signing: Signing = SIGNING,
    message_id: str | None = None,
) -> Raw:
    message = Message(body, message_id or uuid.uuid4().hex, reply_to=reply_to)
    signing.sign(message, destination_of(Address(queue)), None)
    return Raw(body, dict(message.headers), message.message_id, reply_to)


def unsigned(body: bytes, queue: str) -> Raw:
    return Raw(body, {}, uuid.uuid4().hex)


_ODD_HEADERS: list[Any] = [
    12345,
    -1,
    3.5,
    True,
    None,
    [1, "two", b"three"],
    {"nested": {"deeper": [1, 2]}},
    b"\xff\xfe\x00raw",
    "",
    "x" * 5000,
]


#: Only AMQP carries these (the embedded broker stores msgpack).
_AMQP_HEADERS: list[Any] = [datetime.datetime(2026, 1, 1)]


def header_types(amqp: bool) -> Callable[[int, str], Raw]:
    values = _ODD_HEADERS + (_AMQP_HEADERS if amqp else [])

    def make(n: int, queue: str) -> Raw:
        raw = signed(request_body(), queue)
        name = [HEADER, "zd-ts", "zd-ttl", "zd-dest"][n % 4]
        raw.headers[name] = values[n % len(values)]
        return raw

    return make


def non_ascii_signature(n: int, queue: str) -> Raw:
    raw = signed(request_body(), queue)
    raw.headers[HEADER] = "zd2:hmac-sha256:" + "é" * 64
    return raw


def wrong_signature(n: int, queue: str) -> Raw:
    raw = signed(request_body(), queue)
    digits = raw.headers[HEADER]
    flip = "0" if digits[-1] != "0" else "1"
    raw.headers[HEADER] = digits[:-1] + flip
    return raw


def unsigned_call(n: int, queue: str) -> Raw:
    return unsigned(request_body(), queue)


def signed_garbage(n: int, queue: str) -> Raw:
    rng = random.Random(n)
    return signed(rng.randbytes(rng.randint(0, 512)), queue)


def unknown_extension(n: int, queue: str) -> Raw:
    ext = msgpack.ExtType(20 + n % 100, b"payload")
    return signed(request_body(args={"host": ext}), queue)


def bad_zone(n: int, queue: str) -> Raw:
    zone = ["America", "Etc", "__pycache__", "../etc/passwd", "\x00"][n % 5]
    payload = struct.pack(">qIB", 0, 0, 2) + zone.encode()
    when = msgpack.ExtType(1, payload)
    return signed(request_body(args={"host": when}), queue)


def truncated(n: int, queue: str) -> Raw:
    body = request_body()
    return signed(body[: max(1, len(body) - 1 - n % 20)], queue)


def deep_nesting(n: int, queue: str) -> Raw:
    if n % 2:
        value: Any = "bottom"
        for _ in range(200):
            value = [value]
        return signed(request_body(args={"host": value}), queue)
    payload = msgpack.packb(["ns", "Obj", "1.0", {}, None])
    for _ in range(80):
        inner = msgpack.ExtType(EXT_OBJECT, payload)
        payload = msgpack.packb(["ns", "Obj", "1.0", {"x": inner}, None])
    ext = msgpack.ExtType(EXT_OBJECT, payload)
    return signed(request_body(args={"host": ext}), queue)


def oversize(limit: int) -> Callable[[int, str], Raw]:
    def make(n: int, queue: str) -> Raw:
        return signed(b"\xc4" + b"x" * (limit + 1 + n % 7), queue)

    return make


def expired(n: int, queue: str) -> Raw:
    past = Signing([KEY], clock=lambda: time.time() - 3600)
    return signed(request_body(), queue, signing=past)


def future(n: int, queue: str) -> Raw:
    ahead = Signing([KEY], clock=lambda: time.time() + 3600)
    return signed(request_body(), queue, signing=ahead)


def misdirected(n: int, queue: str) -> Raw:
    return signed(request_body(), queue + ".elsewhere")


def bad_shapes(n: int, queue: str) -> Raw:
    bodies = [
        msgpack.packb(["not", "a", "map"]),
        msgpack.packb({"method": 5, "version": "1.0"}),
        msgpack.packb({"method": "m", "version": "one"}),
        msgpack.packb({"method": "m", "version": "1.0", "args": [1]}),
        msgpack.packb(
            {"method": "m", "version": "1.0", "args": {}, "context": 1}
        ),
        request_body(context={"evil": 1}),
        request_body(context={"roles": "admin" * 1000}),
        msgpack.packb({1: 2}),
    ]
    return signed(bodies[n % len(bodies)], queue)


def odd_properties(n: int, queue: str) -> Raw:
    raw = unsigned(request_body(), queue)
    raw.message_id = ["", "é" * 80, "id with spaces\n"][n % 3]
    if n % 2:
        raw.reply_to = "zerodown.dead-letters"
    return raw


def kinds(limit: int, amqp: bool) -> dict[str, Callable[[int, str], Raw]]:
    """Every kind, by name (``limit``: the server's message size;
    ``amqp``: header types only AMQP can carry too)."""
    return {
        "header-types": header_types(amqp),
        "non-ascii-signature": non_ascii_signature,
        "wrong-signature": wrong_signature,
        "unsigned": unsigned_call,
        "signed-garbage": signed_garbage,
        "unknown-extension": unknown_extension,
        "bad-zone": bad_zone,
        "truncated": truncated,
        "deep-nesting": deep_nesting,
        "oversize": oversize(limit),
        "expired": expired,
        "future": future,
        "misdirected": misdirected,
        "bad-shapes": bad_shapes,
        "odd-properties": odd_properties,
    }


def publish(producer: Any, queue: str, raw: Raw) -> None:
    """Send ``raw`` to ``queue`` as it is, through kombu."""
    properties: dict[str, Any] = {"message_id": raw.message_id}
    if raw.reply_to:
        properties["reply_to"] = raw.reply_to
    producer.publish(
        raw.body,
        routing_key=queue,
        exchange="",
        headers=raw.headers,
        content_type="application/x-zerodown",
        content_encoding="binary",
        retry=True,
        **properties,
    )


def undispatchable(n: int, queue: str) -> Raw:
    """A signed cast this server cannot run: a real dead letter."""
    if n % 2:
        return signed(request_body(method=f"no_such_method_{n}"), queue)
    return signed(request_body(version="9.0"), queue)
