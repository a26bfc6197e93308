"""Casts to a durable topic with pipelined confirms, on the real brokers.

A durable cast returns once sent; the transport holds it until RabbitMQ
confirms it and publishes it again if the connection is lost first.  The
server's replay store runs a copy that arrives twice only once, so a lost
connection in the middle of a stream loses nothing and doubles nothing.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from rpc_apis import EchoNoteAPI

from zerodown.rpc import RPCClient, RPCServer, Target, get_transport

STREAM = 1500


class Endpoint:
    target = Target(version="1.0")
    RPC_API = EchoNoteAPI

    def __init__(self) -> None:
        self.notes: list[int] = []
        self.lock = threading.Lock()
        self.all_in = threading.Event()
        self.expected = 1 << 30

    def expect(self, count: int) -> None:
        with self.lock:
            self.expected = count
            if len(self.notes) >= count:
                self.all_in.set()
            else:
                self.all_in.clear()

    def note(self, context, value):
        with self.lock:
            self.notes.append(value)
            if len(self.notes) >= self.expected:
                self.all_in.set()


def _serve(transport, topic, endpoint, expected=1 << 30):
    endpoint.expect(expected)
    return RPCServer(
        transport, Target(topic=topic, server="s1", durable=True), [endpoint]
    )


def _client(transport, topic):
    return RPCClient(
        transport,
        Target(topic=topic, version="1.0", durable=True),
        cast_timeout=60,
    )


def test_a_stream_of_durable_casts_is_confirmed_and_handled_once(
    transport, topic
):
    endpoint = Endpoint()
    with _serve(transport, topic, endpoint, STREAM):
        client = _client(transport, topic)
        for i in range(STREAM):
            client.cast(None, "note", value=i)
        client.flush(30)
        assert endpoint.all_in.wait(30), len(endpoint.notes)
    assert sorted(endpoint.notes) == list(range(STREAM))
    publisher = getattr(transport, "_publisher", None)
    if publisher is not None:  # RabbitMQ: nothing held, nothing given up
        assert publisher._unconfirmed() == 0
        assert publisher.expired == 0


def _cut(publisher) -> int:
    """Cut the publishing connection under the publisher's feet, as a
    broker or a network would; return how many casts it had not yet
    seen confirmed."""
    with publisher.lock:
        unconfirmed = len(publisher.window)
        sock = publisher.conn.connection.transport.sock
        sock.shutdown(socket.SHUT_RDWR)
    return unconfirmed


def _wait_for_the_keeper(publisher, timeout: float = 30.0) -> None:
    """Until the keeper thread has published again and seen confirmed
    everything (it ends then)."""
    deadline = time.monotonic() + timeout
    while True:
        with publisher.lock:
            if publisher._keeper is None and not publisher._unconfirmed():
                return
        assert time.monotonic() < deadline, "the keeper did not finish"
        time.sleep(0.05)


def _cast_until_unconfirmed(client, publisher, start: int) -> int:
    """Cast until a cast's confirm is still on its way; return the next
    value to cast."""
    value = start
    while True:
        client.cast(None, "note", value=value)
        value += 1
        with publisher.lock:
            if len(publisher.window):
                return value
        assert value < start + 1000, "every confirm came back at once"


@pytest.mark.parametrize("more_casts", [True, False], ids=["next", "keeper"])
def test_a_lost_connection_loses_and_doubles_no_durable_cast(
    amqp_url, rabbit_topic, more_casts
):
    """With more casts, the next one publishes the unconfirmed again; with
    none, the keeper thread does."""
    transport = get_transport(amqp_url)
    publisher = transport._publisher
    endpoint = Endpoint()
    try:
        client = _client(transport, rabbit_topic)
        total = STREAM if more_casts else 0
        with _serve(transport, rabbit_topic, endpoint):
            sent = _cast_until_unconfirmed(client, publisher, 0)
            unconfirmed = _cut(publisher)
            assert unconfirmed > 0
            total = max(total, sent)
            for value in range(sent, total):
                client.cast(None, "note", value=value)
            endpoint.expect(total)
            if more_casts:
                client.flush(30)
            else:
                _wait_for_the_keeper(publisher)
            assert endpoint.all_in.wait(30), (len(endpoint.notes), total)
            # A copy the broker had stored before the cut and that went
            # again was queued before the last new cast: it has been
            # delivered, and is handled (skipped) once the server stops.
        assert sorted(endpoint.notes) == list(range(total))
        assert publisher.republished >= unconfirmed
        assert publisher.expired == 0
    finally:
        transport.close()
