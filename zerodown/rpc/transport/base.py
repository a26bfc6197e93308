"""The transport interface: move signed bytes between named queues.

A transport knows nothing about methods, versions or objects.  It
publishes a :class:`Message` to an :class:`Address` and hands each message
of a subscription to a handler as a :class:`Delivery`.  Everything RPC
(requests, replies, errors, versions) is built on these few calls, so a
new transport implements only this module's :class:`Transport`.
"""

from __future__ import annotations

import abc
import dataclasses
import random
from collections.abc import Callable, Iterator, Sequence

__all__ = [
    "Address",
    "Backoff",
    "Delivery",
    "Handler",
    "Message",
    "Subscriber",
    "Subscription",
    "Transport",
]


@dataclasses.dataclass(frozen=True)
class Address:
    """A queue (``fanout=False``) or a fanout exchange (``fanout=True``).

    A ``durable`` queue survives a broker restart, and so do the messages
    published to it (a quorum queue on RabbitMQ).  ``max_length`` bounds a
    queue on brokers that support it: the oldest messages are dropped.
    A ``fleeting`` queue lives only as long as its consumer (a reply
    queue): a message to it is never retried when the queue is gone.
    """

    name: str
    fanout: bool = False
    durable: bool = False
    max_length: int | None = None
    fleeting: bool = False


@dataclasses.dataclass(frozen=True)
class Subscription:
    """What a subscriber consumes.

    A plain subscription consumes the queue ``address`` and shares it with
    every other subscriber of that queue (each message goes to one of
    them).  A fanout address gives this subscriber a private queue bound to
    the exchange, so it receives every message.  An ``exclusive`` queue
    (a reply queue) belongs to this subscriber and disappears with it.
    """

    address: Address
    exclusive: bool = False


@dataclasses.dataclass
class Message:
    """Bytes and the few properties RPC needs, as a transport carries them.

    ``ttl`` (seconds) lets the broker drop a message nobody consumed in
    time, so a request whose caller gave up is never run later.
    ``unreadable`` says why a received message could not be read as one
    (properties that do not decode, a compressed body): the server
    refuses it without looking further.
    """

    body: bytes
    message_id: str
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    reply_to: str | None = None
    correlation_id: str | None = None
    ttl: float | None = None
    unreadable: str | None = None


class Delivery(abc.ABC):
    """A received message.  Call :meth:`ack` once it is handled; an
    unacknowledged message is delivered again (``redelivered=True``) after
    the subscriber's connection is lost.

    ``address`` is the subscription's address the message came through
    (a fanout's exchange, not the private queue bound to it): what a
    signature's destination is compared with.
    """

    message: Message
    queue: str
    address: Address
    redelivered: bool

    @abc.abstractmethod
    def ack(self) -> None:
        """Acknowledge; safe from any thread, idempotent."""

    @abc.abstractmethod
    def requeue(self) -> None:
        """Give the message back to its queue, to be delivered again
        (``redelivered=True``); safe from any thread.  Settles the
        delivery like :meth:`ack` (one of the two, once)."""


Handler = Callable[[Delivery], None]


class Subscriber(abc.ABC):
    """A running consumer: a thread that reconnects until stopped."""

    @abc.abstractmethod
    def wait_ready(self, timeout: float) -> bool:
        """Block until the queues are declared and consumed (or
        ``timeout``); return whether they are."""

    @abc.abstractmethod
    def stop(self, timeout: float = 5.0) -> None:
        """Stop consuming; unacknowledged messages go back to the queue."""


class Transport(abc.ABC):
    """Publish to and consume from a message broker (or a stand-in)."""

    #: The URL with any password masked, for logs and errors.
    display_url: str = ""

    @abc.abstractmethod
    def publish(
        self,
        address: Address,
        message: Message,
        *,
        confirm: bool = False,
        keep: bool = False,
        timeout: float | None = None,
    ) -> None:
        """Send ``message``; with ``confirm``, return only once the broker
        has taken responsibility for it; with ``keep``, return once it is
        sent and hold it until the broker has, publishing it again after
        a lost connection (see :meth:`flush`).  Connection failures are
        retried with backoff for up to ``timeout`` seconds (for a kept
        message: until ``timeout`` seconds from now).

        :raises TransportUnreachable: if the broker stays unreachable.
        """

    def flush(self, timeout: float = 10.0) -> None:
        """Return once every message published with ``keep`` is in the
        broker's hands (at once for a transport that stores a message
        as it publishes it).

        :raises TransportUnreachable: some are not, after ``timeout``.
        """
        return None  # nothing is ever held back: see KombuTransport

    @abc.abstractmethod
    def subscribe(
        self,
        subscriptions: Sequence[Subscription],
        handler: Handler,
        *,
        prefetch: int = 0,
        name: str = "subscriber",
    ) -> Subscriber:
        """Start consuming ``subscriptions`` on a thread of its own.

        ``handler`` runs on that thread; it may hand the delivery to
        another thread and acknowledge it there.  ``prefetch`` bounds the
        unacknowledged deliveries (0: no bound).
        """

    @abc.abstractmethod
    def peek(self, address: Address, limit: int) -> list[Message]:
        """Up to ``limit`` waiting messages of a queue, left in place."""

    @abc.abstractmethod
    def purge(self, address: Address) -> int:
        """Drop every waiting message of a queue; return how many."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections; running subscribers are stopped."""


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter for reconnecting."""

    initial: float = 0.05
    factor: float = 2.0
    maximum: float = 2.0
    jitter: float = 0.25

    def delays(self) -> Iterator[float]:
        """An endless sequence of delays in seconds."""
        delay = self.initial
        while True:
            spread = delay * self.jitter
            yield max(0.0, delay + random.uniform(-spread, spread))
            delay = min(self.maximum, delay * self.factor)
