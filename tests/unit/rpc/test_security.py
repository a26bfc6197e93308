"""Signatures and size limits between a real client and server."""

from __future__ import annotations

import time

import pytest

from zerodown.exceptions import BadSignature, MessageTooLarge, MessagingTimeout
from zerodown.rpc import (
    Protocol,
    RPCClient,
    RPCServer,
    Signer,
    Target,
    list_dead_letters,
)

KEY, OTHER = "a" * 32, "b" * 32


class Endpoint:
    target = Target(version="1.0")

    def __init__(self) -> None:
        self.calls = 0

    def echo(self, context, value):
        self.calls += 1
        return value


@pytest.fixture
def endpoint():
    return Endpoint()


@pytest.fixture
def signed_server(transport, endpoint):
    server = RPCServer(
        transport,
        Target(topic="s", server="h"),
        [endpoint],
        protocol=Protocol(Signer([KEY]), max_size=4096),
    )
    with server:
        yield server


def _client(transport, protocol):
    return RPCClient(
        transport,
        Target(topic="s", version="1.0"),
        protocol=protocol,
        timeout=0.5,
    )


def test_a_client_with_the_key_is_served(transport, signed_server):
    signed = _client(transport, Protocol(Signer([OTHER, KEY])))
    # Signed with OTHER: refused; rotation is on the receiving side.
    with pytest.raises(MessagingTimeout):
        signed.call(None, "echo", value=1)
    good = _client(transport, Protocol(Signer([KEY])))
    assert good.call(None, "echo", value=1) == 1


@pytest.mark.parametrize("signer", [None, Signer([OTHER])])
def test_unsigned_or_wrongly_signed_messages_never_run(
    transport, signed_server, endpoint, signer
):
    intruder = _client(transport, Protocol(signer))
    with pytest.raises(MessagingTimeout):
        intruder.call(None, "echo", value="x")
    intruder.cast(None, "echo", value="y")
    deadline = time.monotonic() + 5
    while len(list_dead_letters(transport)) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert endpoint.calls == 0
    assert {d.reason for d in list_dead_letters(transport)} == {"BadSignature"}


def test_oversized_calls_are_refused_with_a_typed_error(
    transport, signed_server, endpoint
):
    sender = _client(transport, Protocol(Signer([KEY]), max_size=1 << 20))
    with pytest.raises(MessageTooLarge, match="limit of 4096"):
        sender.call(None, "echo", value=b"x" * 10_000)
    assert endpoint.calls == 0
    assert sender.call(None, "echo", value=b"ok") == b"ok"


def test_replies_must_be_signed_too(transport, endpoint):
    # A server with another key: its replies are refused by the client.
    with RPCServer(
        transport,
        Target(topic="r"),
        [endpoint],
        protocol=Protocol(Signer([OTHER, KEY])),
    ):
        client = RPCClient(
            transport,
            Target(topic="r", version="1.0"),
            protocol=Protocol(Signer([KEY])),
            timeout=1,
        )
        with pytest.raises(BadSignature, match="does not match"):
            client.call(None, "echo", value=1)
