"""Casts to a durable or confirmed topic with pipelined confirms, on the
real brokers.

A durable (or confirmed) cast returns once sent; the transport holds it
until RabbitMQ confirms it and publishes it again if the connection is
lost first, or (confirmed, to a transient queue) if no queue took it.  The
server's replay store runs a copy that arrives twice only once, so a lost
connection in the middle of a stream loses nothing and doubles nothing.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
from rpc_apis import EchoNoteAPI
from tcp_proxy import TCPProxy

from zerodown.rpc import RPCClient, RPCServer, Target, get_transport
from zerodown.rpc.transport import publisher as publisher_module
from zerodown.testing.waiting import eventually

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


def _serve(transport, topic, endpoint, expected=1 << 30, durable=True):
    endpoint.expect(expected)
    return RPCServer(
        transport,
        Target(topic=topic, server="s1", durable=durable),
        [endpoint],
    )


def _client(transport, topic, durable=True, server=None):
    return RPCClient(
        transport,
        Target(
            topic=topic,
            server=server,
            version="1.0",
            durable=durable,
            confirmed=not durable,
        ),
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


def _keeper_done(publisher) -> bool:
    """The keeper thread has published again and seen everything
    confirmed (it ends then)."""
    with publisher.lock:
        return publisher._keeper is None and not publisher._unconfirmed()


HELD = 20


@pytest.fixture
def proxy(amqp_url):
    url = urlsplit(amqp_url)
    proxy = TCPProxy((url.hostname or "127.0.0.1", url.port or 5672))
    yield proxy
    proxy.close()


@pytest.mark.parametrize(
    "durable", [True, False], ids=["durable", "confirmed"]
)
@pytest.mark.parametrize("more_casts", [True, False], ids=["next", "keeper"])
def test_a_lost_connection_loses_and_doubles_no_kept_cast(
    amqp_url, rabbit_topic, proxy, more_casts, durable
):
    """The network drops RabbitMQ's confirms of HELD casts, then breaks:
    with more casts, the next one publishes the unconfirmed again; with
    none, the keeper thread does.  The server (on a connection of its
    own) runs each once."""
    url = urlsplit(amqp_url)
    through_proxy = urlunsplit(
        url._replace(
            netloc=f"{url.username}:{url.password}@127.0.0.1:{proxy.port}"
        )
    )
    transport = get_transport(through_proxy)
    serving = get_transport(amqp_url)
    publisher = transport._publisher
    endpoint = Endpoint()
    try:
        client = _client(transport, rabbit_topic, durable)
        total = STREAM if more_casts else 2 * HELD
        with _serve(serving, rabbit_topic, endpoint, durable=durable):
            for value in range(HELD):
                client.cast(None, "note", value=value)
            client.flush(30)
            proxy.hold()
            for value in range(HELD, 2 * HELD):
                client.cast(None, "note", value=value)
            with publisher.lock:
                assert publisher._unconfirmed() == HELD
            proxy.cut()
            for value in range(2 * HELD, total):
                client.cast(None, "note", value=value)
            endpoint.expect(total)
            if more_casts:
                client.flush(30)
            else:
                eventually(
                    lambda: _keeper_done(publisher),
                    timeout=30,
                    message="the keeper did not finish",
                )
            assert endpoint.all_in.wait(30), (len(endpoint.notes), total)
            # A copy the broker had stored before the cut and that went
            # again was queued before the last new cast: it has been
            # delivered, and is handled (skipped) once the server stops.
        assert sorted(endpoint.notes) == list(range(total))
        assert publisher.republished == HELD
        assert publisher.expired == 0
    finally:
        transport.close()
        serving.close()


def test_confirmed_casts_wait_for_their_queue(amqp_url, rabbit_topic):
    """Casts to a confirmed topic whose server has not declared its
    (transient) queue yet, as after a broker restart: RabbitMQ returns
    each; the transport publishes them again until the server is there,
    which then runs each once."""
    transport, serving = get_transport(amqp_url), get_transport(amqp_url)
    publisher = transport._publisher
    endpoint = Endpoint()
    try:
        client = _client(transport, rabbit_topic, durable=False, server="s1")
        for value in range(HELD):
            client.cast(None, "note", value=value)
        eventually(
            lambda: publisher.republished >= HELD,
            timeout=30,
            message="nothing came back to be published again",
        )
        with _serve(serving, rabbit_topic, endpoint, HELD, durable=False):
            client.flush(30)
            assert endpoint.all_in.wait(30), len(endpoint.notes)
        assert sorted(endpoint.notes) == list(range(HELD))
        assert publisher.expired == 0
    finally:
        transport.close()
        serving.close()


def test_large_casts_wait_for_the_window_in_bytes(
    amqp_url, rabbit_topic, monkeypatch
):
    """Unconfirmed casts are bounded in bytes as well as in count: 256
    casts at the message limit would otherwise be held in memory."""
    limit = 3 * 2**20
    monkeypatch.setattr(publisher_module, "CONFIRM_WINDOW_BYTES", limit)
    transport, serving = get_transport(amqp_url), get_transport(amqp_url)
    publisher = transport._publisher
    endpoint = Endpoint()
    held = []
    try:
        client = _client(transport, rabbit_topic)
        with _serve(serving, rabbit_topic, endpoint, 12):
            for value in range(12):
                client.cast(None, "note", value=str(value) * 2**20)
                held.append(publisher.window.bytes)
            client.flush(30)
            assert endpoint.all_in.wait(30), len(endpoint.notes)
    finally:
        transport.close()
        serving.close()
    # A cast returns once what is held is under the limit (it waits for
    # confirms beyond), and nothing is left held at the end.
    assert max(held) < limit, held
    assert publisher.window.bytes == 0
    assert sorted(endpoint.notes, key=len) == [
        str(v) * 2**20 for v in range(12)
    ]
