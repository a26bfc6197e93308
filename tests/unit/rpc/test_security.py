"""Signatures, signing modes, replays and size limits between a real
client and server (memory transport)."""

from __future__ import annotations

import dataclasses
import time

import pytest

from zerodown.rpc import (
    RPCAPI,
    FileReplayStore,
    MemoryReplayStore,
    Protocol,
    RPCClient,
    RPCServer,
    Signing,
    Target,
    list_dead_letters,
)
from zerodown.rpc.deadletter import REFUSED
from zerodown.rpc.errors import MessageTooLarge, MessagingTimeout
from zerodown.rpc.protocol import Request
from zerodown.rpc.replay import Seen
from zerodown.rpc.signing import HEADER, TS_HEADER
from zerodown.rpc.transport import Address
from zerodown.rpc.transport.memory import _Entry
from zerodown.testing.waiting import eventually

KEY, OTHER = "a" * 32, "b" * 32


class EchoAPI(RPCAPI):
    """The API of the test endpoint.

    API version history:

    * 1.0 - echo(value), transfer(amount).
    """

    TOPIC = "s"
    VERSION = "1.0"


class Endpoint:
    target = Target(version="1.0")
    RPC_API = EchoAPI

    def __init__(self) -> None:
        self.calls = 0
        self.transfers: list[int] = []

    def echo(self, context, value):
        self.calls += 1
        return value

    def transfer(self, context, amount):
        self.transfers.append(amount)


@pytest.fixture
def endpoint():
    return Endpoint()


def _server(transport, endpoint, signing, topic="s", server="h", **kw):
    return RPCServer(
        transport,
        Target(topic=topic, server=server),
        [endpoint],
        protocol=Protocol(signing, max_size=4096),
        workers=0,
        **kw,
    )


@pytest.fixture
def signed_server(transport, endpoint):
    with _server(transport, endpoint, Signing([KEY])) as server:
        yield server


def _client(transport, signing, topic="s", timeout=0.5):
    return RPCClient(
        transport,
        Target(topic=topic, version="1.0"),
        protocol=Protocol(signing),
        timeout=timeout,
    )


def _refused(transport):
    return list_dead_letters(transport, address=REFUSED)


def test_a_client_with_the_key_is_served(transport, signed_server):
    signed = _client(transport, Signing([OTHER, KEY]))
    # Signed with OTHER: refused; rotation is on the receiving side.
    with pytest.raises(MessagingTimeout):
        signed.call(None, "echo", value=1)
    good = _client(transport, Signing([KEY]))
    assert good.call(None, "echo", value=1) == 1


@pytest.mark.parametrize(
    "signing", [Signing.off(), Signing([OTHER])], ids=["unsigned", "other"]
)
def test_unsigned_or_wrongly_signed_messages_never_run(
    transport, signed_server, endpoint, signing
):
    intruder = _client(transport, signing)
    with pytest.raises(MessagingTimeout):
        intruder.call(None, "echo", value="x")
    intruder.cast(None, "echo", value="y")
    eventually(lambda: signed_server.protocol.signing.stats.refused_total == 2)
    assert endpoint.calls == 0
    assert {d.reason for d in _refused(transport)} == {"BadSignature"}
    # Refused input never reaches the dead letters.
    assert list_dead_letters(transport) == []


def test_oversized_calls_are_refused_with_a_typed_error(
    transport, signed_server, endpoint
):
    sender = RPCClient(
        transport,
        Target(topic="s", version="1.0"),
        protocol=Protocol(Signing([KEY]), max_size=1 << 20),
        timeout=0.5,
    )
    with pytest.raises(MessageTooLarge, match="limit of 4096"):
        sender.call(None, "echo", value=b"x" * 10_000)
    assert endpoint.calls == 0
    assert sender.call(None, "echo", value=b"ok") == b"ok"


def test_a_reply_signed_with_an_unknown_key_is_dropped(transport, endpoint):
    # A server with another key: its replies never reach the caller.
    with _server(transport, endpoint, Signing([OTHER, KEY]), topic="r"):
        client = _client(transport, Signing([KEY]), topic="r")
        with pytest.raises(MessagingTimeout):
            client.call(None, "echo", value=1)
    assert endpoint.calls == 1


def _captured(transport, topic, method="transfer", **args):
    """A cast as an attacker on the broker would capture it."""
    protocol = Protocol(Signing([KEY]))
    request = Request(method, "1.0", args or {"amount": 100}, {})
    return protocol.request(request, Address(topic))


def test_a_captured_cast_runs_once_wherever_it_is_sent_again(
    transport, endpoint
):
    other = Endpoint()
    with (
        _server(transport, endpoint, Signing([KEY]), server="h1") as first,
        _server(transport, other, Signing([KEY]), server="h2") as second,
    ):
        message = _captured(transport, "s.h1")
        transport.publish(Address("s.h1"), message)
        eventually(lambda: endpoint.transfers == [100])
        # Sent again to the same server, and to another one.
        transport.publish(Address("s.h1"), message)
        transport.publish(Address("s.h2"), message)
        eventually(lambda: first.protocol.signing.stats.refused_total == 1)
        eventually(lambda: second.protocol.signing.stats.refused_total == 1)
    assert endpoint.transfers == [100] and other.transfers == []
    assert first.protocol.signing.stats.refused == {"ReplayedMessage": 1}
    assert second.protocol.signing.stats.refused == {"MisdirectedMessage": 1}


def test_a_replay_after_a_restart_is_refused_with_a_file_store(
    transport, endpoint, tmp_path
):
    message = _captured(transport, "s.h")
    for replayed in (False, True):
        store = FileReplayStore(tmp_path / "replay.db")
        with _server(
            transport, endpoint, Signing([KEY]), replays=store
        ) as server:
            transport.publish(Address("s.h"), message)
            stats = server.protocol.signing.stats
            if replayed:
                eventually(lambda s=stats: s.refused_total == 1)
                assert stats.refused == {"ReplayedMessage": 1}
            else:
                eventually(lambda: endpoint.transfers == [100])
        store.close()
    assert endpoint.transfers == [100]
    assert (tmp_path / "replay.db").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("shift", "reason"), [(-700.0, "expired"), (120.0, "in the future")]
)
def test_messages_outside_their_lifetime_are_refused(
    transport, endpoint, shift, reason, caplog
):
    sender = Signing([KEY], clock=lambda: time.time() + shift)
    with _server(transport, endpoint, Signing([KEY])) as server:
        _client(transport, sender, topic="s").prepare(server="h").cast(
            None, "transfer", amount=1
        )
        eventually(lambda: server.protocol.signing.stats.refused_total)
    assert server.protocol.signing.stats.refused == {"StaleMessage": 1}
    assert reason in caplog.text
    assert endpoint.transfers == []


def test_a_signature_cannot_be_moved_to_another_timestamp(transport, endpoint):
    message = _captured(transport, "s.h")
    message.headers[TS_HEADER] = str(int(time.time() * 1000) + 1)
    with _server(transport, endpoint, Signing([KEY])) as server:
        transport.publish(Address("s.h"), message)
        eventually(lambda: server.protocol.signing.stats.refused_total)
    assert server.protocol.signing.stats.refused == {"BadSignature": 1}


@pytest.mark.parametrize(
    "value",
    ["zd2:hmac-sha256:é" + "0" * 63, "\x00", "zd2:hmac-sha256:" + "a" * 400],
)
def test_a_header_of_any_text_is_refused_not_raised(
    transport, endpoint, value
):
    message = _captured(transport, "s.h")
    message.headers[HEADER] = value
    with _server(transport, endpoint, Signing([KEY])) as server:
        transport.publish(Address("s.h"), message)
        eventually(lambda: server.protocol.signing.stats.refused_total)
        assert _client(transport, Signing([KEY])).call(None, "echo", value=1)
    assert endpoint.transfers == []


def test_permissive_signs_checks_and_counts_the_unsigned(transport, endpoint):
    permissive = Signing([KEY], mode="permissive")
    with _server(transport, endpoint, permissive) as server:
        assert _client(transport, Signing.off()).call(None, "echo", value=1)
        assert _client(transport, Signing([KEY])).call(None, "echo", value=2)
        with pytest.raises(MessagingTimeout):
            _client(transport, Signing([OTHER])).call(None, "echo", value=3)
    stats = server.protocol.signing.stats
    assert stats.unsigned_accepted == 1
    assert stats.refused == {"BadSignature": 1}
    assert endpoint.calls == 2


def test_signing_modes_need_keys_unless_off():
    with pytest.raises(ValueError, match="needs at least one key"):
        Signing(mode="permissive")
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Signing(["short"])
    assert Signing.off().signer is None


def test_an_unsigned_call_is_answered_only_on_a_reply_queue(
    transport, endpoint
):
    with _server(transport, endpoint, Signing.off()) as server:
        protocol = Protocol(Signing.off())
        request = Request("echo", "1.0", {"value": 1}, {})
        message = protocol.request(
            request, Address("s"), reply_to="zerodown.dead-letters"
        )
        transport.publish(Address("s"), message)
        eventually(lambda: endpoint.calls == 1)
        assert transport.queue_size("zerodown.dead-letters") == 0
        # A real client, on a reply queue of the scheme, is answered.
        assert _client(transport, Signing.off()).call(None, "echo", value=2)
    assert server.protocol.signing.stats.unsigned_accepted == 2


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_a_store_remembers_taker_and_finish(tmp_path, kind):
    now = [1000.0]
    store = (
        MemoryReplayStore(clock=lambda: now[0])
        if kind == "memory"
        else FileReplayStore(tmp_path / "r.db", clock=lambda: now[0])
    )
    assert store.take("a", 1001.0, "me") is None
    assert store.take("a", 1001.0, "other") == Seen("me", False)
    store.retake("a", "other")
    store.finish("a")
    assert store.take("a", 1001.0, "me") == Seen("other", True)
    store.forget("a")
    assert store.take("a", 1001.0, "me") is None
    store.close()


def _redeliver(transport, queue, message):
    """A copy the broker hands back (the first taker never acknowledged
    it): what a killed server's unfinished messages look like."""
    with transport._cond:
        transport._queues[queue].append(_Entry(message, None, True))
        transport._cond.notify_all()


def test_a_message_left_unfinished_by_a_dead_server_runs_again(
    transport, endpoint, tmp_path
):
    message = _captured(transport, "s.h")
    # An earlier life of the server took it, then was killed.
    store = FileReplayStore(tmp_path / "replay.db")
    store.take(message.message_id, time.time() + 60, "s.h/dead")
    with _server(transport, endpoint, Signing([KEY]), replays=store) as server:
        transport.publish(Address("s.h"), message)  # a copy: not run
        eventually(lambda: server.protocol.signing.stats.duplicates == 1)
        _redeliver(transport, "s.h", message)  # the broker's: run
        eventually(lambda: endpoint.transfers == [100])
        _redeliver(transport, "s.h", message)  # finished now: never
        eventually(lambda: server.protocol.signing.stats.duplicates == 2)
    assert endpoint.transfers == [100]
    store.close()


def test_messages_carry_their_destination_and_lifetime():
    signing = Signing([KEY], lifetime=30.0)
    message = Protocol(signing).request(
        Request("echo", "1.0", {}, {}), Address("x", fanout=True)
    )
    assert message.headers["zd-dest"] == "x:x"
    assert message.headers["zd-ttl"] == "30000"
    tampered = dataclasses.replace(
        message, headers={**message.headers, "zd-ttl": "99999999"}
    )
    assert signing.signer is not None
    assert signing.signer.check(tampered) is not None
