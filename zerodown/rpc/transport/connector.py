"""What the kombu transport's publisher and subscribers need of it.

:class:`~zerodown.rpc.transport.broker.KombuTransport` builds a
:class:`~zerodown.rpc.transport.publisher.Publisher` and its
:class:`~zerodown.rpc.transport.subscriber.KombuSubscriber` threads; they
call back into it only through this protocol, so neither imports the
module that builds them (an import cycle, even if only for types).
"""

from __future__ import annotations

from typing import Protocol

from zerodown.rpc.transport.base import Backoff, Subscriber
from zerodown.rpc.transport.kombu_util import KombuConnection

__all__ = ["Connector"]


class Connector(Protocol):
    """Connections to the broker, and the bookkeeping of subscribers."""

    #: The broker URLs with passwords masked, for messages.
    display_url: str
    #: The AMQP heartbeat a consuming connection asks for (seconds).
    heartbeat: float
    backoff: Backoff
    #: The errors after which a connection is made again.
    retry_errors: tuple[type[BaseException], ...]

    def connect(self, heartbeat: float = 0.0) -> KombuConnection:
        """A connected connection to the first broker that answers."""
        ...

    def detach(self, subscriber: Subscriber) -> None:
        """Forget a subscriber that stopped (it closes nothing else)."""
        ...
