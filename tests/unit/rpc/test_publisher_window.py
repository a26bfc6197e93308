"""The publisher's confirm window, bounded in count and in bytes, on a
fake AMQP connection whose confirms never come (no broker): a publisher
that may wait gives up with a retry error, the keeper (which may not)
returns and keeps what it holds."""

from __future__ import annotations

import socket
import time
import types
from collections import defaultdict

import pytest

from zerodown.rpc.transport import publisher
from zerodown.rpc.transport.base import Address, Message
from zerodown.rpc.transport.confirms import Kept

MIB = 2**20


class _Channel:
    def __init__(self) -> None:
        self.events: dict[str, set] = defaultdict(set)
        self.published = 0

    def confirm_select(self) -> None:
        pass

    def prepare_message(self, *args):
        return args

    def basic_publish(
        self, raw, exchange, routing_key, mandatory=False
    ) -> None:
        self.published += 1


class _Connection:
    """Silent: its socket never becomes readable."""

    def __init__(self, sock: socket.socket) -> None:
        self.transport = types.SimpleNamespace(driver_type="amqp")
        self.connection = types.SimpleNamespace(
            transport=types.SimpleNamespace(sock=sock, _read_buffer=b"")
        )
        self.chan = _Channel()

    def channel(self) -> _Channel:
        return self.chan

    def release(self) -> None:
        pass

    def drain_events(self, timeout: float) -> None:
        raise AssertionError("nothing arrives on a silent connection")


@pytest.fixture
def silent():
    near, far = socket.socketpair()
    transport = types.SimpleNamespace(
        retry_errors=(OSError,), connect=lambda: _Connection(near)
    )
    pub = publisher.Publisher(transport)
    pub.conn = _Connection(near)
    pub.channel = pub.conn.channel()
    yield pub
    near.close()
    far.close()


def _hold(pub, sizes_mib: list[int]) -> None:
    deadline = time.monotonic() + 60
    for size in sizes_mib:
        body = b"x" * size * MIB
        pub.resend.append(Kept(Address("q"), Message(body, ""), deadline))


def test_the_keeper_republishes_once_and_returns_over_the_byte_bound(silent):
    _hold(silent, [6, 6, 6])  # 18 MiB: over the bound, 3 of 256 by count
    with silent.lock:
        silent._settle_kept(0.0)  # what the keeper does each round
    assert silent.republished == 3 and len(silent.window) == 3
    with silent.lock:
        silent._settle_kept(0.0)  # and again: nothing sent twice
    assert silent.republished == 3 and silent.channel.published == 3


def test_a_publisher_waits_for_confirms_over_the_byte_bound(silent):
    _hold(silent, [6, 6, 6])
    with silent.lock:
        silent._settle_kept(0.0)
        began = time.monotonic()
        with pytest.raises(TimeoutError, match="no confirm"):
            silent._collect(0.05)  # a publisher's wait: in vain here
    assert time.monotonic() - began >= 0.05


def test_under_both_bounds_a_publisher_does_not_wait(silent):
    _hold(silent, [1, 1])
    with silent.lock:
        silent._settle_kept(0.0)
        silent._collect(30.0)  # returns at once: nothing to wait for
    assert len(silent.window) == 2
