"""The bookkeeping of pipelined confirms and the consumer's wakeup."""

from __future__ import annotations

import select
import threading
from collections import defaultdict

from zerodown.rpc.transport.base import Address, Message
from zerodown.rpc.transport.confirms import ConfirmWindow, Kept
from zerodown.rpc.transport.wakeup import Wakeup


class Channel:
    """What ConfirmWindow uses of a py-amqp channel."""

    def __init__(self) -> None:
        self.events: dict[str, set] = defaultdict(set)
        self.selected = False

    def confirm_select(self) -> None:
        self.selected = True

    def ack(self, tag: int, multiple: bool = False) -> None:
        for callback in self.events["basic_ack"]:
            callback(tag, multiple)

    def nack(self, tag: int, multiple: bool = False) -> None:
        for callback in self.events["basic_nack"]:
            callback(tag, multiple)

    def give_back(self, message_id: str) -> None:
        """RabbitMQ's basic.return of a mandatory message no queue took."""
        message = type(
            "Returned", (), {"properties": {"message_id": message_id}}
        )
        for callback in self.events["basic_return"]:
            callback(None, "", "q", message)


def _kept(n: int) -> Kept:
    return Kept(
        Address("q", durable=True), Message(body=b"", message_id=str(n)), 1e9
    )


def _ids(entries: list[Kept]) -> list[str]:
    return [kept.message.message_id for kept in entries]


def _window(sent: int) -> tuple[ConfirmWindow, Channel]:
    window, channel = ConfirmWindow(), Channel()
    window.attach(channel)
    for n in range(1, sent + 1):
        window.sent(_kept(n))
    return window, channel


def test_single_and_multiple_confirms_settle_their_tags():
    window, channel = _window(6)
    assert channel.selected and len(window) == 6
    channel.ack(2)
    channel.ack(4, multiple=True)  # 1, 3 and 4
    assert len(window) == 2
    channel.ack(4)  # again: nothing
    channel.ack(6, multiple=True)
    assert len(window) == 0
    assert window.lost() == []


def test_refused_messages_are_handed_back_once():
    window, channel = _window(5)
    channel.nack(2)
    channel.nack(4, multiple=True)  # 1, 3 and 4
    assert len(window) == 5  # held until taken
    assert _ids(window.refused()) == ["2", "1", "3", "4"]
    assert window.refused() == []
    assert len(window) == 1


def test_a_lost_channel_hands_back_everything_oldest_first():
    window, channel = _window(4)
    channel.ack(2)
    channel.nack(3)
    assert _ids(window.lost()) == ["3", "1", "4"]
    assert len(window) == 0
    # A new channel numbers its publishes from 1 again.
    window.attach(Channel())
    window.sent(_kept(9))
    window._confirmed(1, False)
    assert len(window) == 0


def test_a_poke_from_another_thread_ends_a_wait_and_pokes_coalesce():
    wakeup = Wakeup()
    try:
        assert select.select([wakeup], [], [], 0)[0] == []
        thread = threading.Thread(target=wakeup.poke)
        thread.start()
        assert select.select([wakeup], [], [], 30)[0] == [wakeup]
        thread.join()
        for _ in range(1000):
            wakeup.poke()  # one byte in flight, not a thousand
        wakeup.clear()
        assert select.select([wakeup], [], [], 0)[0] == []
        wakeup.poke()
        assert select.select([wakeup], [], [], 0)[0] == [wakeup]
    finally:
        wakeup.close()
    wakeup.poke()  # closed: nothing happens


def test_the_window_counts_the_bytes_it_holds():
    window, channel = ConfirmWindow(), Channel()
    window.attach(channel)
    for n in range(1, 5):
        window.sent(
            Kept(Address("q"), Message(body=b"x" * 10 * n, message_id=""), 1e9)
        )
    assert window.bytes == 100
    channel.ack(2, multiple=True)  # 10 + 20
    assert window.bytes == 70
    channel.nack(3)  # refused, still held until taken to publish again
    assert window.bytes == 70
    assert len(window.refused()) == 1 and window.bytes == 40
    assert len(window.lost()) == 1 and window.bytes == 0


def test_a_returned_message_is_published_again_not_confirmed():
    """RabbitMQ returns a mandatory message no queue took, then confirms
    it: the confirm is no delivery, the message goes again."""
    window, channel = _window(3)
    channel.give_back("2")
    channel.ack(3, multiple=True)
    assert _ids(window.refused()) == ["2"]
    assert len(window) == 0
    assert window.bytes == 0
    window.sent(_kept(2))  # published again, and this time queued
    channel.ack(4)
    assert window.refused() == [] and len(window) == 0


def test_a_lost_channel_forgets_what_came_back():
    window, channel = _window(2)
    channel.give_back("1")
    assert _ids(window.lost()) == ["1", "2"]
    window.attach(Channel())
    window.sent(_kept(1))
    assert window.refused() == []
