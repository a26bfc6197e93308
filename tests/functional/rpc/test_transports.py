"""Calls, casts, durability and bad input over the real brokers."""

from __future__ import annotations

import threading
import time

import pytest
from rpc_apis import EchoNoteAPI

from zerodown.rpc import (
    Protocol,
    RPCClient,
    RPCServer,
    Signing,
    Target,
    get_transport,
    list_dead_letters,
)
from zerodown.rpc.deadletter import DEAD_LETTERS, REFUSED
from zerodown.rpc.errors import (
    InvalidArguments,
    MessageTooLarge,
    MessagingTimeout,
    NoSuchMethod,
    UnsupportedVersion,
)
from zerodown.rpc.protocol import Request
from zerodown.rpc.signing import destination_of
from zerodown.rpc.transport import Address, Message
from zerodown.testing.waiting import eventually

KEY = "functional-test-key-0123456789"


class Endpoint:
    target = Target(version="1.2")
    RPC_API = EchoNoteAPI

    def __init__(self) -> None:
        self.notes: list[object] = []
        self.lock = threading.Lock()

    def echo(self, context, value):
        return value

    def note(self, context, value):
        with self.lock:
            self.notes.append(value)


def _server(transport, topic, endpoint, host="s1", **kwargs):
    return RPCServer(
        transport, Target(topic=topic, server=host), [endpoint], **kwargs
    )


def _client(transport, topic, version="1.0", **kwargs):
    kwargs.setdefault("timeout", 10)
    return RPCClient(transport, Target(topic=topic, version=version), **kwargs)


def _letters(transport, topic, address=DEAD_LETTERS):
    letters = list_dead_letters(transport, 1000, address=address)
    return [d for d in letters if d.topic == topic]


def test_call_cast_fanout_and_direct(transport, topic):
    first, second = Endpoint(), Endpoint()
    with (
        _server(transport, topic, first, "h1"),
        _server(transport, topic, second, "h2"),
    ):
        client = _client(transport, topic)
        assert client.call(None, "echo", value={"a": {1, 2}}) == {"a": {1, 2}}
        assert client.prepare(server="h2").call(None, "echo", value=2) == 2
        client.prepare(server="h1").cast(None, "note", value="direct")
        client.prepare(fanout=True).cast(None, "note", value="all")
        eventually(
            lambda: len(first.notes) == 2 and len(second.notes) == 1,
            timeout=15,
            message="the casts did not reach both servers",
        )
    assert sorted(first.notes) == ["all", "direct"]
    assert second.notes == ["all"]


def test_durable_casts_wait_for_a_server(transport, topic):
    durable = Target(topic=topic, version="1.0", durable=True)
    client = RPCClient(transport, durable)
    for i in range(20):
        client.cast(None, "note", value=i)  # no server yet
    endpoint = Endpoint()
    with RPCServer(
        transport, Target(topic=topic, server="s1", durable=True), [endpoint]
    ):
        eventually(
            lambda: len(endpoint.notes) == 20,
            timeout=15,
            message="the held casts were not delivered",
        )
    assert sorted(endpoint.notes) == list(range(20))


def test_bad_input_gets_typed_errors_and_the_server_keeps_serving(
    transport, topic
):
    endpoint = Endpoint()
    signed = Protocol(Signing([KEY]), max_size=64 * 1024)
    with _server(transport, topic, endpoint, protocol=signed):
        good = _client(transport, topic, protocol=signed)
        for version, method, args, error in [
            ("1.0", "nosuch", {}, NoSuchMethod),
            ("2.0", "echo", {"value": 1}, UnsupportedVersion),
            ("1.0", "echo", {"wrong": 1}, InvalidArguments),
        ]:
            with pytest.raises(error):
                good.prepare(version=version).call(None, method, **args)
        with pytest.raises(MessageTooLarge):
            _client(transport, topic, protocol=Protocol(Signing([KEY]))).call(
                None, "echo", value=b"x" * 100_000
            )
        intruder = _client(
            transport,
            topic,
            protocol=Protocol(Signing(["x" * 32])),
            timeout=1,
        )
        with pytest.raises(MessagingTimeout):
            intruder.call(None, "echo", value="injected")
        raw = Message(b"\x92\xc1\x00", "raw-1")
        signed.signing.sign(raw, destination_of(Address(topic)), None)
        transport.publish(Address(topic), raw)
        good.prepare(version="3.0").cast(None, "note", value="future")
        assert good.call(None, "echo", value="still here") == "still here"
        eventually(
            lambda: len(_letters(transport, topic, REFUSED)) == 2,
            timeout=15,
            message="the refused messages were not sampled",
        )
        eventually(
            lambda: len(_letters(transport, topic)) == 1,
            timeout=15,
            message="the future cast was not dead-lettered",
        )
    assert [d.reason for d in _letters(transport, topic)] == [
        "UnsupportedVersion"
    ]
    reasons = sorted(d.reason for d in _letters(transport, topic, REFUSED))
    assert reasons == ["BadSignature", "MalformedMessage"]
    assert endpoint.notes == []


def test_failover_to_the_next_broker_url(amqp_url, rabbit_topic):
    topic = rabbit_topic
    dead = "amqp://guest:guest@127.0.0.1:1//"
    transport = get_transport(f"{dead};{amqp_url}")
    try:
        endpoint = Endpoint()
        with _server(transport, topic, endpoint):
            assert _client(transport, topic).call(None, "echo", value=7) == 7
    finally:
        transport.close()


def test_a_request_past_its_ttl_is_never_run(transport, topic):
    endpoint = Endpoint()
    message = Protocol().request(
        Request("note", "1.0", {"value": "stale"}, {}),
        Address(topic),
        reply_to="reply_gone",
        ttl=0.2,
    )
    _server(transport, topic, Endpoint()).start().stop()  # declare queues
    transport.publish(Address(topic), message)
    # The subject: the request's lifetime runs out while no one consumes.
    time.sleep(0.6)
    # One worker runs the queue in order: the marker cast, queued behind
    # the stale request, ran after whatever became of that request.
    with _server(transport, topic, endpoint, workers=1):
        _client(transport, topic).cast(None, "note", value="marker")
        eventually(
            lambda: "marker" in endpoint.notes,
            message="the marker cast never ran",
        )
    assert endpoint.notes == ["marker"]
