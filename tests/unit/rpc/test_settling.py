"""Whatever a message holds, the server settles it once and logs its
failure once, naming the message (issue 12, section 1).

Each kind of bad message goes into a server's handler as a delivery from
its queue; the server must acknowledge it exactly once, say what went
wrong in exactly one log line of level WARNING or above that names the
message id, and go on serving.  Signed kinds are signed with the
server's key, so they get past the signature to the part they poison.
"""

from __future__ import annotations

import logging
import struct
import time

import msgpack
import pytest

from zerodown.rpc import (
    RPCAPI,
    MemoryTransport,
    Protocol,
    RPCServer,
    Signing,
    Target,
)
from zerodown.rpc.signing import HEADER, destination_of
from zerodown.rpc.transport import Address, Delivery, Message, Subscription
from zerodown.testing.waiting import eventually

KEY = "settling-test-key-0123456789abcdef"
QUEUE = Address("s")
REPLY = "reply_" + "0" * 32
LIMIT = 4096


class SettleAPI(RPCAPI):
    """The endpoint's API.

    API version history:

    * 1.0 - echo(value), crash(value).
    """

    TOPIC = "s"
    VERSION = "1.0"


class Endpoint:
    target = Target(version="1.0")
    RPC_API = SettleAPI

    def __init__(self) -> None:
        self.echoed: list[object] = []

    def echo(self, context, value):
        self.echoed.append(value)
        return value

    def crash(self, context, value):
        raise RuntimeError("the method itself broke")

    def init_host(self, context):  # public, not in the API's history
        raise AssertionError("init_host must never be dispatched")


class _Delivery(Delivery):
    def __init__(self, message: Message) -> None:
        self.message, self.address, self.queue = message, QUEUE, "s"
        self.redelivered = False
        self.settled = 0

    def ack(self) -> None:
        self.settled += 1

    def requeue(self) -> None:
        self.settled += 1


def _body(method: str = "echo", version: str = "1.0", **args: object):
    return msgpack.packb(
        {
            "method": method,
            "version": version,
            "args": args or {"value": 1},
            "context": {"request_id": "req-settle"},
        },
        use_bin_type=True,
    )


def _zone(key: str) -> msgpack.ExtType:
    # A datetime extension (code 1) naming a zone by key.
    return msgpack.ExtType(1, struct.pack(">qIB", 0, 0, 2) + key.encode())


SIGNED, UNSIGNED, NON_ASCII, WRONG, ELSEWHERE, EXPIRED = (
    "signed",
    "unsigned",
    "non-ascii",
    "wrong",
    "elsewhere",
    "expired",
)

#: name -> (body, reply queue, how it is signed)
KINDS: dict[str, tuple[bytes, str | None, str]] = {
    "non-ASCII signature": (_body(), None, NON_ASCII),
    "wrong signature": (_body(), REPLY, WRONG),
    "unsigned": (_body(), REPLY, UNSIGNED),
    "for another queue": (_body(), None, ELSEWHERE),
    "expired": (_body(), None, EXPIRED),
    "garbage body": (b"\xc1\xff\x00garbage", None, SIGNED),
    "truncated body": (_body()[:-3], REPLY, SIGNED),
    "oversize": (b"\xc4" + b"x" * (LIMIT + 10), REPLY, SIGNED),
    "unknown extension": (
        _body(value=msgpack.ExtType(99, b"x")),
        REPLY,
        SIGNED,
    ),
    "zone naming a directory": (_body(value=_zone("America")), None, SIGNED),
    "zone naming __pycache__": (
        _body(value=_zone("__pycache__")),
        REPLY,
        SIGNED,
    ),
    "deep nesting": (
        b"\x84\xa6method\xa4echo\xa7version\xa31.0\xa4args\x81\xa5value"
        + b"\x91" * 200
        + b"\xc0\xa7context\x80",
        None,
        SIGNED,
    ),
    "method is not text": (
        msgpack.packb({"method": 5, "version": "1.0", "args": {}}),
        REPLY,
        SIGNED,
    ),
    "context is not a map": (
        msgpack.packb(
            {"method": "echo", "version": "1.0", "args": {}, "context": 1}
        ),
        None,
        SIGNED,
    ),
    "cast of an undeclared method": (_body("init_host"), None, SIGNED),
    "call of an undeclared method": (_body("init_host"), REPLY, SIGNED),
    "cast of a newer version": (_body(version="1.9"), None, SIGNED),
    "call with bad arguments": (_body(nope=1), REPLY, SIGNED),
    "cast whose method raises": (_body("crash", value=None), None, SIGNED),
    "call whose method raises": (_body("crash", value=None), REPLY, SIGNED),
}


#: The error a call of each kind is answered with.
REPLIES = {
    "truncated body": "MalformedMessage",
    "oversize": "MessageTooLarge",
    "unknown extension": "MalformedMessage",
    "zone naming __pycache__": "MalformedMessage",
    "method is not text": "MalformedMessage",
    "call of an undeclared method": "NoSuchMethod",
    "call with bad arguments": "InvalidArguments",
    "call whose method raises": "RuntimeError",
}


def _error_type(server: RPCServer, reply: Message) -> str:
    answer = server.protocol.read_reply(reply)
    assert answer.error is not None, answer
    return str(answer.error["type"])


def _message(kind: str, signing: Signing) -> Message:
    body, reply_to, how = KINDS[kind]
    message = Message(
        body, f"poison-{kind.replace(' ', '-')}", reply_to=reply_to
    )
    if how == UNSIGNED:
        return message
    if how == EXPIRED:
        Signing([KEY], clock=lambda: time.time() - 3600).sign(
            message, destination_of(QUEUE), None
        )
        return message
    destination = QUEUE if how != ELSEWHERE else Address("s.other")
    signer = signing if how != WRONG else Signing([KEY[::-1]])
    signer.sign(message, destination_of(destination), None)
    if how == NON_ASCII:
        message.headers[HEADER] = "zd2:hmac-sha256:" + "é" * 64
    return message


# The kinds a server without signing must settle too: the ones that
# poison the body (issue 12: a bad zone stopped unsigned servers).
BODY_KINDS = [k for k, (_, _, how) in KINDS.items() if how == SIGNED]


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("required", k) for k in sorted(KINDS)]
    + [("off", k) for k in sorted(BODY_KINDS)],
)
def test_every_message_is_settled_once_and_logged_once(mode, kind, caplog):
    transport = MemoryTransport()
    signing = Signing([KEY]) if mode == "required" else Signing.off()
    endpoint = Endpoint()
    server = RPCServer(
        transport,
        Target(topic="s"),
        [endpoint],
        protocol=Protocol(signing, max_size=LIMIT),
        workers=0,
    )
    replies: list[Message] = []

    def on_reply(delivery: Delivery) -> None:
        replies.append(delivery.message)
        delivery.ack()

    caller = transport.subscribe([Subscription(Address(REPLY))], on_reply)
    message = _message(kind, Signing([KEY]))
    caplog.set_level(logging.INFO, "zerodown")
    try:
        delivery = _Delivery(message)
        server._handle(delivery)
        assert delivery.settled == 1
        failures = [
            r
            for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith("zerodown")
        ]
        lines = [r.getMessage() for r in failures]
        assert len(failures) == 1, lines
        assert message.message_id in lines[0], lines
        # ... and it goes on serving: a good call, answered after any
        # answer to the bad message.
        good = Message(_body(value="after"), "good-1", reply_to=REPLY)
        signing.sign(good, destination_of(QUEUE), None)
        after = _Delivery(good)
        server._handle(after)
        assert after.settled == 1 and endpoint.echoed[-1] == "after"
        eventually(
            lambda: replies and replies[-1].correlation_id == "good-1",
            message="the good call was not answered",
        )
    finally:
        caller.stop()
        transport.close()
    # A call is answered with a typed error if its sender proved who it
    # is (or nobody is asked to); never one that did not.
    answered = [_error_type(server, r) for r in replies[:-1]]
    proven = mode == "off" or KINDS[kind][2] == SIGNED
    expected = REPLIES.get(kind) if message.reply_to and proven else None
    assert answered == ([expected] if expected else []), kind
