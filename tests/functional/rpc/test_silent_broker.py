"""A broker that goes silent (a broken network, a wedged node: the
connection stays open, nothing comes back) does not hold a stopping
service.

py-amqp waits for the broker's answer to a consumer's cancel and to a
connection's close on a socket without a timeout; those goodbyes are
bounded (``kombu_util.GOODBYE_TIMEOUT``), and a closed client wakes the
calls waiting for replies before it stops its reply consumer.  On a real
RabbitMQ behind a proxy that stops forwarding its answers.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from rpc_apis import EchoNoteAPI
from tcp_proxy import TCPProxy

from zerodown.rpc import RPCClient, RPCServer, Target, get_transport
from zerodown.rpc.errors import MessagingTimeout
from zerodown.rpc.transport.kombu_util import GOODBYE_TIMEOUT

#: A stop that waited for TCP to give up would take minutes; a few
#: bounded goodbyes take a few seconds (room left for a loaded host).
BOUND = 4 * GOODBYE_TIMEOUT + 4.0


class Endpoint:
    target = Target(version="1.0")
    RPC_API = EchoNoteAPI

    def echo(self, context, value):
        return value

    def note(self, context, value):
        pass


@pytest.fixture
def proxy(amqp_url):
    url = urlsplit(amqp_url)
    made = TCPProxy((url.hostname or "127.0.0.1", url.port or 5672))
    yield made
    made.close()


def _through(amqp_url: str, proxy: TCPProxy) -> str:
    url = urlsplit(amqp_url)
    return urlunsplit(
        url._replace(
            netloc=f"{url.username}:{url.password}@127.0.0.1:{proxy.port}"
        )
    )


def test_a_server_and_a_client_stop_in_seconds_on_a_silent_broker(
    amqp_url, rabbit_topic, proxy
):
    transport = get_transport(_through(amqp_url, proxy))
    server = RPCServer(
        transport, Target(topic=rabbit_topic, server="s1"), [Endpoint()]
    )
    server.start()
    client = RPCClient(
        transport, Target(topic=rabbit_topic, version="1.0"), timeout=60
    )
    caller = client.prepare(server="s1")
    assert caller.call(None, "echo", value=1) == 1  # both consume
    proxy.hold()
    ended: list[tuple[str, float]] = []

    def waiting_call():
        try:
            caller.call(None, "echo", value=2)
            ended.append(("answered", time.monotonic()))
        except MessagingTimeout:
            ended.append(("timed out", time.monotonic()))

    thread = threading.Thread(target=waiting_call)
    thread.start()
    try:
        began = time.monotonic()
        server.stop()
        stopped = time.monotonic()
        assert stopped - began < BOUND
        client.close()
        closed = time.monotonic()
        thread.join(BOUND)
        assert not thread.is_alive(), "the call still waits"
        # The call ended as its client closed, not after its reply
        # consumer's goodbye (nor after its 60 s timeout).
        ((how, when),) = ended
        assert how == "timed out"
        assert when <= closed
        transport.close()
        assert time.monotonic() - closed < BOUND
    finally:
        proxy.cut()
        thread.join(5)
