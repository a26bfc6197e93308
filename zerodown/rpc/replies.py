"""Waiting for replies: one private reply queue a client, many callers.

Callers on any thread register the correlation id of their call, publish,
and wait on their own slot; one subscriber thread takes replies off the
client's exclusive queue and wakes the caller whose id matches.  A reply
that comes after its caller gave up (or for an unknown id) is dropped.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable

from zerodown.exceptions import ZerodownError
from zerodown.rpc.transport.base import (
    Address,
    Delivery,
    Message,
    Subscriber,
    Subscription,
    Transport,
)

__all__ = ["REPLY_QUEUE", "ReplyWaiter"]

LOG = logging.getLogger(__name__)


class _Slot:
    __slots__ = ("event", "message")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.message: Message | None = None


#: Reply queues are named ``reply_<32 hex digits>``; a server that cannot
#: check who sent a call answers only queues of this shape.
REPLY_QUEUE = re.compile(r"reply_[0-9a-f]{32}")

Admit = Callable[[Message, Address], object]


class ReplyWaiter:
    """The reply queue of one client and the callers waiting on it.

    :param admit: checks a reply before it wakes its caller (raises a
        :class:`~zerodown.exceptions.ZerodownError` for one to drop): a
        forged reply is dropped and the caller keeps waiting for the
        real one.
    """

    def __init__(self, transport: Transport, admit: Admit | None = None):
        self.transport = transport
        self.admit = admit
        self.queue = f"reply_{uuid.uuid4().hex}"
        self.address = Address(self.queue)
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self._subscriber: Subscriber | None = None

    def ready(self, timeout: float) -> bool:
        """Start the reply consumer if needed; whether it consumes."""
        with self._lock:
            if self._subscriber is None:
                self._subscriber = self.transport.subscribe(
                    [Subscription(self.address, exclusive=True)],
                    self._on_reply,
                    name=f"rpc-replies-{self.queue[6:14]}",
                )
        return self._subscriber.wait_ready(timeout)

    def expect(self, correlation_id: str) -> None:
        """Register a call before its request is published."""
        with self._lock:
            self._slots[correlation_id] = _Slot()

    def wait(self, correlation_id: str, timeout: float) -> Message | None:
        """The reply, or ``None`` after ``timeout`` seconds."""
        slot = self._slots.get(correlation_id)
        if slot is None:
            return None
        try:
            slot.event.wait(max(0.0, timeout))
            return slot.message
        finally:
            with self._lock:
                self._slots.pop(correlation_id, None)

    def forget(self, correlation_id: str) -> None:
        with self._lock:
            self._slots.pop(correlation_id, None)

    def _on_reply(self, delivery: Delivery) -> None:
        delivery.ack()
        message = delivery.message
        with self._lock:
            slot = self._slots.get(message.correlation_id or "")
        if slot is None or slot.event.is_set():
            LOG.debug("reply %s has no caller", message.correlation_id)
            return
        if self.admit is not None:
            try:
                self.admit(message, self.address)
            except ZerodownError as err:
                LOG.warning("dropped a reply on %s: %s", self.queue, err)
                return
        slot.message = message
        slot.event.set()

    def close(self) -> None:
        """Wake the calls still waiting (they end as timed out at once:
        no reply can reach them any more), then stop consuming replies.

        The calls go first: stopping the consumer may itself wait for a
        broker that went silent, and they must not wait with it.
        """
        subscriber, self._subscriber = self._subscriber, None
        with self._lock:
            waiting = list(self._slots.values())
        for slot in waiting:
            slot.event.set()
        if subscriber is not None:
            subscriber.stop(timeout=1.0)
