"""Bytes below the message: what a broker login can put in AMQP frames or
in the embedded broker's file, and a server (or a client's reply
consumer) that keeps consuming through all of it.

Each poison is sent with the broker's own client, bypassing zerodown: a
``message_id`` or ``correlation_id`` that is not UTF-8, a header
timestamp out of any datetime's range, a routing key that is not UTF-8
(through the fanout exchange, which routes anything), a compressed body
that would inflate to 64 MiB (kombu inflates before any size check), and
on the embedded broker rows that are not messages at all.  After each,
a valid call is answered and the server counts what it refused.
"""

from __future__ import annotations

import bz2
import resource
import sqlite3
import types

import amqp
import amqp.serialization as serialization
import msgpack
import pytest
from rpc_apis import EchoNoteAPI

from zerodown.rpc import Protocol, RPCClient, RPCServer, Signing, Target
from zerodown.rpc.transport import get_transport
from zerodown.testing.waiting import eventually

KEY = "raw-poison-key-0123456789abcdef"
BOMB = bz2.compress(bytes(64 * 1024 * 1024))  # 64 MiB of zeros: ~70 bytes


class Endpoint:
    target = Target(version="1.2")
    RPC_API = EchoNoteAPI

    def echo(self, context, value):
        return value

    def note(self, context, value):
        pass


def _served(transport, topic):
    server = RPCServer(
        transport,
        Target(topic=topic, server="h"),
        [Endpoint()],
        protocol=Protocol(Signing([KEY])),
        workers=2,
    ).start()
    client = RPCClient(
        transport,
        Target(topic=topic, version="1.0"),
        protocol=Protocol(Signing([KEY])),
        timeout=10,
    )
    assert client.call(None, "echo", value="before") == "before"
    return server, client


def _refused(server, count, timeout=10.0):
    stats = server.protocol.signing.stats
    eventually(
        lambda: stats.refused_total >= count,
        timeout=timeout,
        message=lambda: f"refused {stats.refused}, not {count}",
    )


@pytest.fixture
def rabbit(amqp_url):
    conn = amqp.Connection(
        amqp_url.split("@")[-1].rstrip("/"), userid="guest", password="guest"
    )
    conn.connect()
    yield conn.channel()
    conn.close()


def _timestamp_out_of_range(channel, topic, monkeypatch):
    # py-amqp writes a datetime header as seconds: have it write 2**63.
    with monkeypatch.context() as patch:
        patch.setattr(
            serialization,
            "calendar",
            types.SimpleNamespace(timegm=lambda _: 2**63 - 1),
        )
        headers = {"when": __import__("datetime").datetime(2000, 1, 1)}
        channel.basic_publish(
            amqp.Message(b"x", application_headers=headers),
            exchange="",
            routing_key=topic,
        )


def test_a_server_consumes_through_frames_py_amqp_cannot_decode(
    amqp_url, rabbit_topic, rabbit, monkeypatch
):
    transport = get_transport(amqp_url)
    server, client = _served(transport, rabbit_topic)
    try:
        rabbit.basic_publish(
            amqp.Message(b"x", message_id=b"\xff\xfe"),
            exchange="",
            routing_key=rabbit_topic,
        )
        _timestamp_out_of_range(rabbit, rabbit_topic, monkeypatch)
        rabbit.basic_publish(
            amqp.Message(b"x", message_id="via-fanout"),
            exchange=f"{rabbit_topic}_fanout",
            routing_key=b"\xff\xfe",
        )
        rabbit.basic_publish(
            amqp.Message(
                BOMB, application_headers={"compression": "application/x-bz2"}
            ),
            exchange="",
            routing_key=rabbit_topic,
        )
        _refused(server, 4)
        assert client.call(None, "echo", value="after") == "after"
        assert server._subscriber.thread.is_alive()
        # A client's reply consumer, too.
        rabbit.basic_publish(
            amqp.Message(b"x", correlation_id=b"\xff"),
            exchange="",
            routing_key=client.replies.queue,
        )
        assert client.call(None, "echo", value="again") == "again"
    finally:
        client.close()
        server.stop()
        transport.close()
    # The bomb was never inflated: 64 MiB would show in the peak.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_000_000


def test_the_embedded_broker_drops_rows_that_are_not_messages(tmp_path):
    path = tmp_path / "broker.db"
    transport = get_transport(f"embedded://{path}")
    server, client = _served(transport, "raw")
    poison = [
        b"\xc1",
        msgpack.packb({"body": b"x"}),
        msgpack.packb({"body": b"x", "properties": "not a map"}),
        msgpack.packb(
            {
                "body": BOMB,
                "headers": {"compression": "application/x-bz2"},
                "properties": {"delivery_info": {}, "delivery_tag": "t1"},
            }
        ),
    ]
    db = sqlite3.connect(path)
    try:
        with db:
            db.executemany(
                "INSERT INTO zd_messages (queue, payload) VALUES (?, ?)",
                [("raw", payload) for payload in poison],
            )
        _refused(server, 1)  # the bomb, refused unread
        assert client.call(None, "echo", value="after") == "after"
        assert server._subscriber.thread.is_alive()
        # Acknowledged by the consuming thread once settled.
        query = "SELECT count(*) FROM zd_messages WHERE queue = 'raw'"
        eventually(
            lambda: db.execute(query).fetchone() == (0,),
            message="a poison row stayed",
        )
    finally:
        db.close()
        client.close()
        server.stop()
        transport.close()
