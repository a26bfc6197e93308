"""An in-process transport for unit tests: queues in a dict, no broker.

Clients and servers that share one :class:`MemoryTransport` talk to each
other through it exactly as through a broker - threads, acknowledgements,
fanout, time-to-live - but nothing leaves the process.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Sequence

from zerodown.rpc.transport.base import (
    Address,
    Delivery,
    Handler,
    Message,
    Subscriber,
    Subscription,
    Transport,
)

__all__ = ["MemoryTransport"]

LOG = logging.getLogger(__name__)
_IDLE_WAIT = 0.1


@dataclasses.dataclass
class _Entry:
    message: Message
    expires: float | None
    redelivered: bool = False


class MemoryTransport(Transport):
    """A broker and its connections in one object (share it)."""

    def __init__(self) -> None:
        self.display_url = "memory://"
        self._cond = threading.Condition()
        self._queues: dict[str, collections.deque[_Entry]] = {}
        self._fanout: dict[str, set[str]] = collections.defaultdict(set)
        self._subscribers: list[_MemorySubscriber] = []
        self._ids = itertools.count()
        self.published = 0

    def publish(
        self,
        address: Address,
        message: Message,
        *,
        confirm: bool = False,
        keep: bool = False,
        timeout: float | None = None,
    ) -> None:
        expires = time.monotonic() + message.ttl if message.ttl else None
        with self._cond:
            self.published += 1
            names = (
                sorted(self._fanout.get(address.name, ()))
                if address.fanout
                else [address.name]
            )
            for name in names:
                queue = self._queue(name, create=address.durable)
                if queue is not None:
                    queue.append(_Entry(_copy(message), expires))
            self._cond.notify_all()

    def _queue(
        self, name: str, create: bool = True
    ) -> collections.deque[_Entry] | None:
        queue = self._queues.get(name)
        if queue is None and create:
            queue = self._queues[name] = collections.deque()
        return queue

    def subscribe(
        self,
        subscriptions: Sequence[Subscription],
        handler: Handler,
        *,
        prefetch: int = 0,
        name: str = "subscriber",
    ) -> Subscriber:
        queues = []
        with self._cond:
            for sub in subscriptions:
                queue_name = sub.address.name
                if sub.address.fanout:
                    queue_name = f"{sub.address.name}.{next(self._ids)}"
                    self._fanout[sub.address.name].add(queue_name)
                self._queue(queue_name)
                queues.append((queue_name, sub))
        subscriber = _MemorySubscriber(self, queues, handler, prefetch, name)
        self._subscribers.append(subscriber)
        subscriber.start()
        return subscriber

    def peek(self, address: Address, limit: int) -> list[Message]:
        with self._cond:
            queue = self._queues.get(address.name, collections.deque())
            return [_copy(e.message) for e in itertools.islice(queue, limit)]

    def purge(self, address: Address) -> int:
        with self._cond:
            queue = self._queues.get(address.name)
            count = len(queue) if queue else 0
            if queue:
                queue.clear()
            return count

    def queue_size(self, name: str) -> int:
        """Messages waiting in queue ``name`` (for tests)."""
        with self._cond:
            return len(self._queues.get(name, ()))

    def close(self) -> None:
        for subscriber in list(self._subscribers):
            subscriber.stop()

    def _take(self, names: list[str]) -> tuple[str, _Entry] | None:
        now = time.monotonic()
        for name in names:
            queue = self._queues.get(name)
            while queue:
                entry = queue.popleft()
                if entry.expires is None or entry.expires > now:
                    return name, entry
        return None

    def _requeue(self, name: str, entry: _Entry) -> None:
        with self._cond:
            entry.redelivered = True
            self._queue(name).appendleft(entry)  # type: ignore[union-attr]
            self._cond.notify_all()

    def _drop(self, queues: list[tuple[str, Subscription]]) -> None:
        with self._cond:
            for name, sub in queues:
                if sub.address.fanout:
                    self._fanout[sub.address.name].discard(name)
                if sub.address.fanout or sub.exclusive:
                    self._queues.pop(name, None)


def _copy(message: Message) -> Message:
    return dataclasses.replace(message, headers=dict(message.headers))


class _MemoryDelivery(Delivery):
    def __init__(
        self, owner: _MemorySubscriber, queue: str, entry: _Entry
    ) -> None:
        self.owner, self.queue, self.entry = owner, queue, entry
        self.address = owner.address_of(queue)
        self.message = _copy(entry.message)
        self.redelivered = entry.redelivered
        self.acked = False

    def ack(self) -> None:
        self.owner._acked(self)

    def requeue(self) -> None:
        if id(self) in self.owner.unacked:
            self.owner._acked(self)
            self.owner.transport._requeue(self.queue, self.entry)


class _MemorySubscriber(Subscriber):
    def __init__(
        self,
        transport: MemoryTransport,
        queues: list[tuple[str, Subscription]],
        handler: Handler,
        prefetch: int,
        name: str,
    ) -> None:
        self.transport, self.queues = transport, queues
        self.handler, self.prefetch = handler, prefetch
        self.unacked: dict[int, _MemoryDelivery] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name)
        self.thread.daemon = True

    def start(self) -> None:
        self.thread.start()

    def address_of(self, queue: str) -> Address:
        for name, sub in self.queues:
            if name == queue:
                return sub.address
        raise KeyError(queue)

    def wait_ready(self, timeout: float) -> bool:
        return self.thread.is_alive()

    def _run(self) -> None:
        names = [name for name, _ in self.queues]
        cond = self.transport._cond
        while not self.stopping.is_set():
            with cond:
                taken = None
                if not self.prefetch or len(self.unacked) < self.prefetch:
                    taken = self.transport._take(names)
                if taken is None:
                    cond.wait(_IDLE_WAIT)
                    continue
                delivery = _MemoryDelivery(self, *taken)
                self.unacked[id(delivery)] = delivery
            try:
                self.handler(delivery)
            except Exception:
                LOG.exception("handler failed on %s", delivery.queue)

    def _acked(self, delivery: _MemoryDelivery) -> None:
        with self.transport._cond:
            self.unacked.pop(id(delivery), None)
            self.transport._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        cond = self.transport._cond
        deadline = time.monotonic() + timeout
        with cond:
            cond.notify_all()
            # Let work in progress finish and acknowledge.
            while self.unacked and time.monotonic() < deadline:
                cond.wait(deadline - time.monotonic())
        if self.thread is not threading.current_thread():
            self.thread.join(timeout)
        for delivery in list(self.unacked.values()):
            self.unacked.pop(id(delivery), None)
            self.transport._requeue(delivery.queue, delivery.entry)
        self.transport._drop(self.queues)
        if self in self.transport._subscribers:
            self.transport._subscribers.remove(self)
