"""After a reconnect, RabbitMQ's silent drop of a message to a queue that
does not exist yet (a broker that restarted lost its transient queues;
servers declare them again as they reconnect) is caught: the message goes
out ``mandatory`` with a confirm and is published again until its queue
exists or its deadline passes.  The connection is dropped here by
RabbitMQ itself (``rabbitmqctl close_all_connections``)."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
from rpc_apis import EchoNoteAPI

from zerodown.rpc import RPCClient, RPCServer, Target, get_transport
from zerodown.rpc.errors import TransportUnreachable

# It closes every connection of the shared RabbitMQ.
pytestmark = pytest.mark.serial


class Endpoint:
    target = Target(version="1.0")
    RPC_API = EchoNoteAPI

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.arrived = threading.Event()

    def note(self, context, value):
        self.seen.append(value)
        self.arrived.set()


@pytest.fixture
def transports(amqp_url, rabbit_topic):
    made = [get_transport(amqp_url), get_transport(amqp_url)]
    # The client's publisher connects once, then RabbitMQ drops every
    # connection: its next publish reconnects.
    warm = RPCServer(made[0], Target(topic=rabbit_topic, server="h2"), [])
    with warm:
        RPCClient(made[1], Target(topic=rabbit_topic, version="1.0")).prepare(
            server="h2"
        ).cast(None, "nothing")
    subprocess.run(
        ["rabbitmqctl", "close_all_connections", "zerodown test"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    yield made
    for transport in made:
        transport.close()


def test_without_a_reconnect_a_publish_costs_no_confirm(amqp_url):
    transport = get_transport(amqp_url)
    try:
        client = RPCClient(
            transport, Target(topic="zdt-nowhere", version="1.0")
        )
        client.prepare(server="h1").cast(None, "note", value=1)  # dropped
        assert transport._publisher.confirm_channel is None
    finally:
        transport.close()


def test_a_cast_waits_for_its_queue_to_be_declared(transports, rabbit_topic):
    server_side, client_side = transports
    client = RPCClient(
        client_side, Target(topic=rabbit_topic, version="1.0"), cast_timeout=20
    )
    endpoint = Endpoint()
    server = RPCServer(
        server_side, Target(topic=rabbit_topic, server="s1"), [endpoint]
    )
    # The server comes up (declaring its queue) 1.5 s after the cast.
    later = threading.Timer(1.5, server.start)
    later.start()
    began = time.monotonic()
    try:
        client.prepare(server="s1").cast(None, "note", value=7)
        assert time.monotonic() - began >= 1.0  # it waited for the queue
        assert endpoint.arrived.wait(10)
    finally:
        later.join()
        server.stop()
        client.close()
    assert endpoint.seen == [7]


def test_a_queue_that_never_comes_is_a_clear_error(transports, rabbit_topic):
    client = RPCClient(
        transports[1],
        Target(topic=rabbit_topic, version="1.0"),
        cast_timeout=1.5,
    )
    try:
        with pytest.raises(TransportUnreachable, match="no queue"):
            client.prepare(server="h1").cast(None, "note", value=1)
    finally:
        client.close()
