"""Fuzzing the receive path: admission, request parsing and dispatch.

100,000 messages (``ZERODOWN_FUZZ_DISPATCH``) go straight into a
server's handler: valid calls and casts carrying a real Instance with its
NUMA topology, then mutated - in structure before encoding (values of
other types, keys dropped or added, other methods and versions, hostile
object envelopes) and in bytes after it (flips, cuts, splices) - most
signed with the server's key (a peer that has the key and sends
garbage), some unsigned or wrongly signed.  For every one of them:

* the handler returns (nothing escapes, whatever the input);
* the message is acknowledged exactly once;
* only methods the API's history declares ever run, and ``init_host``,
  public on the same endpoint, never does;
* every message is accounted for: run, refused (counted by reason) or
  undispatchable (answered or dead-lettered).
"""

from __future__ import annotations

import copy
import logging
import os
import random
from typing import Any

import compute_examples
import msgpack
import pytest

from zerodown.compute.objects import REGISTRY
from zerodown.objects import wire, wiretypes
from zerodown.objects.serializer import ObjectSerializer
from zerodown.rpc import (
    RPCAPI,
    MemoryTransport,
    Protocol,
    RequestContext,
    RPCServer,
    Signing,
    Target,
)
from zerodown.rpc.deadletter import DEAD_LETTERS, REFUSED
from zerodown.rpc.signing import destination_of
from zerodown.rpc.transport import Address, Delivery, Message

COUNT = int(os.environ.get("ZERODOWN_FUZZ_DISPATCH", "100000"))
KEY = "dispatch-fuzz-key-0123456789abcdef"
TOPIC = Address("fuzz")


class FuzzAPI(RPCAPI):
    """The fuzzed endpoint's API.

    API version history:

    * 1.0 - build(instance, hosts), note(value), lookup(host).
    * 1.1 - build() takes 'clean'.
    """

    TOPIC = "fuzz"
    VERSION = "1.1"


class Endpoint:
    target = Target(version="1.1")
    RPC_API = FuzzAPI

    def __init__(self) -> None:
        self.ran: dict[str, int] = {}

    def _ran(self, name: str) -> None:
        self.ran[name] = self.ran.get(name, 0) + 1

    def build(self, context, instance, hosts, clean=True):
        self._ran("build")
        return {"uuid": instance.uuid, "hosts": len(hosts)}

    def note(self, context, value):
        self._ran("note")

    def lookup(self, context, host):
        self._ran("lookup")
        return [compute_examples.instance()]

    def init_host(self, context):
        self._ran("init_host")


class _Delivery(Delivery):
    def __init__(self, message: Message, address: Address) -> None:
        self.message, self.address, self.queue = message, address, "fuzz"
        self.redelivered = False
        self.acks = 0

    def ack(self) -> None:
        self.acks += 1

    def requeue(self) -> None:
        self.acks += 1


def _seeds() -> list[tuple[dict[str, Any], str | None]]:
    """Valid requests, as bodies before encoding, with a reply queue for
    calls."""
    serializer = ObjectSerializer(REGISTRY)
    context = RequestContext(request_id="req-fuzz", roles=("member",))
    wire = serializer.serialize_entity(context, compute_examples.instance())
    reply = "reply_" + "0" * 32
    return [
        (_body("build", "1.1", {"instance": wire, "hosts": ["a", "b"]}), None),
        (_body("build", "1.0", {"instance": wire, "hosts": []}), reply),
        (_body("note", "1.0", {"value": {"k": [1, 2.5, None]}}), None),
        (_body("lookup", "1.0", {"host": "compute-1"}), reply),
    ]


def _body(method: str, version: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": method,
        "version": version,
        "args": args,
        "context": {"request_id": "req-fuzz", "roles": ["member"]},
    }


_ODD = [
    None,
    True,
    -1,
    2**64 - 1,
    1.5e308,
    "",
    "x" * 300,
    "\udcff",
    b"\x00\xff",
    [],
    {},
    [[[[[]]]]],
    {"a": {"b": {"c": {}}}},
    {1: 2},
    msgpack.ExtType(16, msgpack.packb(["ns", "Nope", "9.9", {}, None])),
    msgpack.ExtType(16, b"\xc1"),
    msgpack.ExtType(99, b""),
    msgpack.ExtType(1, b"\x00" * 3),
]
_NAMES = ["build", "note", "lookup", "init_host", "_ran", "ran", "target"]
_VERSIONS = ["1.0", "1.1", "1.9", "2.0", "0.0", "1", "x.y", "01.1", ""]


def _mutate_structure(rng: random.Random, body: dict[str, Any]) -> Any:
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(8)
        if choice == 0:
            body["method"] = rng.choice(_NAMES + _ODD)
        elif choice == 1:
            body["version"] = rng.choice(_VERSIONS + _ODD)
        elif choice == 2 and body.get("args"):
            key = rng.choice(list(body["args"]))
            body["args"][key] = rng.choice(_ODD)
        elif choice == 3:
            body.setdefault("args", {})[rng.choice(["extra", "clean"])] = (
                rng.choice(_ODD)
            )
        elif choice == 4:
            body.pop(
                rng.choice(["method", "version", "args", "context"]), None
            )
        elif choice == 5:
            body["context"] = rng.choice([*_ODD, {"roles": ["a"] * 300}])
        elif choice == 6:
            _mutate_object(rng, body)
        else:
            return rng.choice(_ODD)
    return body


def _mutate_object(rng: random.Random, body: dict[str, Any]) -> None:
    """Change an Instance's data in place (it travels as a wire object)."""
    args = body.get("args")
    if not isinstance(args, dict):
        return
    found = args.get("instance")
    if not isinstance(found, wire.WireObject):
        return
    data = dict(found.data)
    field = rng.choice(list(data) or ["uuid"])
    data[field] = rng.choice(_ODD)
    version = rng.choice([found.version, "2.0", "2.9", "9.9", "x"])
    args["instance"] = found._replace(data=data, version=version)


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buffer:
            break
        at = rng.randrange(len(buffer))
        choice = rng.randrange(4)
        if choice == 0:
            buffer[at] ^= 1 << rng.randrange(8)
        elif choice == 1:
            del buffer[at:]
        elif choice == 2:
            buffer[at:at] = rng.randbytes(rng.randint(1, 8))
        else:
            buffer[at] = rng.choice([0xC1, 0xDD, 0xDF, 0xC7, 0xD8, 0x90])
    return bytes(buffer)


@pytest.fixture
def quiet_rpc_logs():
    """100,000 refusals would be 100,000 captured log records."""
    logger = logging.getLogger("zerodown.rpc")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def test_no_input_escapes_the_server(quiet_rpc_logs, fuzz_count):
    transport = MemoryTransport()
    signing = Signing([KEY])
    endpoint = Endpoint()
    server = RPCServer(
        transport,
        Target(topic="fuzz"),
        [endpoint],
        serializer=ObjectSerializer(REGISTRY),
        protocol=Protocol(signing, max_size=256 * 1024),
        workers=0,
    )
    rng = random.Random(20261206)
    seeds = _seeds()
    outcomes = {"acked": 0}
    for n in range(COUNT):
        body, reply_to = rng.choice(seeds)
        if rng.random() < 0.6:
            body = _mutate_structure(rng, body)
        try:
            data = _pack(body)
        except (TypeError, ValueError, OverflowError):
            data = _pack(None)
        if rng.random() < 0.4:
            data = _mutate_bytes(rng, data)
        message = Message(data, f"m{n}", reply_to=reply_to)
        roll = rng.random()
        if roll < 0.85:
            signing.sign(message, destination_of(TOPIC), None)
        elif roll < 0.92:
            Signing([KEY[::-1]]).sign(message, destination_of(TOPIC), None)
        delivery = _Delivery(message, TOPIC)
        server._handle(delivery)
        assert delivery.acks == 1, f"message {n} settled {delivery.acks}x"
        outcomes["acked"] += 1
        if n % 5000 == 0:
            transport.purge(DEAD_LETTERS)
            transport.purge(REFUSED)
    fuzz_count("rpc server receive path (admit, parse, dispatch)", COUNT)
    assert "init_host" not in endpoint.ran
    assert set(endpoint.ran) <= {"build", "note", "lookup"}
    refused = signing.stats.refused_total
    assert refused > COUNT // 10, "too few refusals: the fuzzing is weak"
    assert sum(endpoint.ran.values()) > COUNT // 20, "too few valid runs"
    assert outcomes["acked"] == COUNT


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, default=_pack_default, use_bin_type=True)


def _pack_default(value: Any) -> Any:
    """The codec's extension types, by hand: mutated objects may hold
    values the codec itself would refuse to encode."""
    if isinstance(value, wire.WireObject):
        fields = [*value[:4], value.changes]
        return msgpack.ExtType(wire.EXT_OBJECT, _pack(fields))
    for kind, (code, encode) in wiretypes.ENCODERS.items():
        if isinstance(value, kind):
            return msgpack.ExtType(code, encode(value))
    if isinstance(value, (set, frozenset)):
        return msgpack.ExtType(wire.EXT_SET, _pack(sorted(value, key=str)))
    raise TypeError(type(value).__name__)
