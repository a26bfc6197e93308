"""RabbitMQ restarts while a client streams calls and casts.

The server and the client reconnect by themselves; every call returns or
raises MessagingTimeout (none hangs, none fails otherwise), and every
cast the client sent is handled exactly once.  RabbitMQ is started again
whatever happens.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
from rpc_apis import EchoNoteAPI

from zerodown.rpc import RPCClient, RPCServer, Target, get_transport
from zerodown.rpc.errors import MessagingTimeout
from zerodown.testing.waiting import eventually

pytestmark = pytest.mark.slow
# A burst of casts stops here, for the server to catch up in time.
CAST_LIMIT = 20_000
# Cast after the stream: it queues behind every cast and every copy.
MARKER = -1


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(
        ["rabbitmqctl", *args], check=True, capture_output=True, timeout=120
    )


class Endpoint:
    target = Target(version="1.0")
    RPC_API = EchoNoteAPI

    def __init__(self) -> None:
        self.notes: list[int] = []
        self.lock = threading.Lock()

    def echo(self, context, value):
        return value

    def note(self, context, value):
        with self.lock:
            self.notes.append(value)


class Stream:
    """Callers and a caster running until told to stop."""

    def __init__(self, client: RPCClient, cast_pause: float) -> None:
        self.client = client
        # Paced, calls share the topic's queue with the casts.  In a
        # burst they go to the server's own queue: in the topic queue
        # they would wait behind thousands of casts, longer than their
        # timeout on a slow host, and the test is about recovery, not
        # about queueing.
        self.caller = client.prepare(server="s1") if not cast_pause else client
        self.cast_pause = cast_pause
        self.stop = threading.Event()
        self.returned = self.timeouts = 0
        self.returned_after: float | None = None
        self.failures: list[BaseException] = []
        self.casts: list[int] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._call, args=(n,)) for n in range(2)
        ] + [threading.Thread(target=self._cast)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
            assert not thread.is_alive(), "a caller hangs"

    def _call(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                assert self.caller.call(None, "echo", value=(n, i)) == [n, i]
            except MessagingTimeout:
                with self.lock:
                    self.timeouts += 1
            except BaseException as err:  # anything else is a failure
                self.failures.append(err)
                return
            else:
                with self.lock:
                    self.returned += 1
                    self.returned_after = time.monotonic()
            self.stop.wait(0.01)  # the load's pace

    def _cast(self) -> None:
        i = 0
        while not self.stop.is_set() and i < CAST_LIMIT:
            try:
                self.client.cast(None, "note", value=i)
            except BaseException as err:
                self.failures.append(err)
                return
            self.casts.append(i)
            i += 1
            if self.cast_pause:
                self.stop.wait(self.cast_pause)  # the load's pace


@pytest.mark.serial
@pytest.mark.parametrize("cast_pause", [0.005, 0.0], ids=["paced", "burst"])
def test_restart_loses_no_cast_and_hangs_no_call(
    amqp_url, rabbit_topic, cast_pause
):
    """Paced, a cast or two is unconfirmed when the broker stops; in a
    burst, hundreds are (confirms are pipelined): all go again."""
    topic = rabbit_topic
    server_side, client_side = get_transport(amqp_url), get_transport(amqp_url)
    endpoint = Endpoint()
    server = RPCServer(
        server_side,
        Target(topic=topic, server="s1", durable=True),
        [endpoint],
    ).start()
    client = RPCClient(
        client_side,
        Target(topic=topic, version="1.0", durable=True),
        timeout=3,
        cast_timeout=120,
    )
    stream = Stream(client, cast_pause)
    try:
        stream.start()
        eventually(
            lambda: stream.returned >= 20 and len(stream.casts) >= 100,
            timeout=30,
            message=lambda: (
                f"the stream did not get going: {stream.returned} calls "
                f"returned, {stream.timeouts} timed out, "
                f"{len(stream.casts)} casts sent"
            ),
        )
        before = stream.returned
        _rabbitmqctl("stop_app")
        # The subject: the broker stays down while the stream runs into it.
        time.sleep(1.0)
        _rabbitmqctl("start_app")
        _rabbitmqctl("await_startup")
        restarted = time.monotonic()
        eventually(
            lambda: (stream.returned_after or 0) >= restarted + 1.0,
            timeout=30,
            message="calls did not resume",
        )
        stream.join()
        sent = list(stream.casts)
        # Every cast and every copy sent again is with the broker, in
        # the queue before the marker; the server, stopped below, has
        # finished whatever it took before the marker.
        client.flush(60)
        client.cast(None, "note", value=MARKER)
        eventually(
            lambda: MARKER in endpoint.notes,
            timeout=60,
            message=lambda: f"{len(endpoint.notes)} of {len(sent)} casts ran",
        )
    finally:
        stream.stop.set()
        _rabbitmqctl("start_app")
        server.stop()
        client.close()
        server_side.close()
        client_side.close()
    assert stream.failures == []
    assert before > 0 and stream.returned > before
    assert endpoint.notes.count(MARKER) == 1
    ran = [value for value in endpoint.notes if value != MARKER]
    assert sorted(ran) == sorted(sent)  # none lost, none twice
    print(
        f"calls returned {stream.returned}, timed out {stream.timeouts}; "
        f"casts {len(sent)}"
    )
