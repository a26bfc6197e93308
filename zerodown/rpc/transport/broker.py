"""The kombu transport: RabbitMQ (``amqp://``) and the embedded broker.

One lock-guarded connection publishes for every thread of a process; each
subscriber consumes on a connection and thread of its own, and replies are
published on the publishing connection, never from inside a consumer
callback (py-amqp may drain events while publishing, which re-enters the
callback).  Everything reconnects by itself:

* a publish that fails is retried with backoff on the next broker URL
  (round robin over the URLs given) until its deadline;
* a subscriber whose connection drops redeclares its queues and consumes
  again, with backoff, until stopped; unacknowledged messages come back
  from the broker marked ``redelivered``.

Durable addresses are quorum queues when the broker is RabbitMQ 3.8 or
newer, classic durable queues otherwise; their messages are persistent and
published with broker confirms when the caller asks for ``confirm`` (wait
for it) or ``keep`` (pipelined: held until confirmed, see
:mod:`~zerodown.rpc.transport.publisher`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from zerodown.rpc.transport import amqp_guard
from zerodown.rpc.transport.base import (
    Address,
    Backoff,
    Handler,
    Message,
    Subscriber,
    Subscription,
    Transport,
)
from zerodown.rpc.transport.kombu_util import (
    KombuConnection,
    close_quietly,
    masked,
    new_connection,
    queue_exists,
    to_message,
)
from zerodown.rpc.transport.publisher import Publisher
from zerodown.rpc.transport.subscriber import KombuSubscriber

__all__ = ["DEFAULT_BACKOFF", "KombuTransport"]

LOG = logging.getLogger(__name__)
DEFAULT_BACKOFF = Backoff()


class KombuTransport(Transport):
    """A :class:`Transport` over kombu connections.

    :param urls: broker URLs, tried in turn (a RabbitMQ cluster's nodes).
    :param transport_cls: a kombu transport class, for brokers that are not
        addressed by URL (the embedded one).
    :param ssl: passed to kombu as is (``True`` or a dict of
        ``ca_certs``/``certfile``/``keyfile``/``cert_reqs``).
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        transport_cls: type | None = None,
        transport_options: dict[str, Any] | None = None,
        ssl: bool | dict[str, Any] | None = None,
        heartbeat: float = 30.0,
        connect_timeout: float = 5.0,
        backoff: Backoff = DEFAULT_BACKOFF,
        display_url: str | None = None,
    ) -> None:
        if not urls:
            raise ValueError("a KombuTransport needs at least one URL")
        self.urls = list(urls)
        self.display_url = display_url or ";".join(
            masked(url) for url in self.urls
        )
        self.transport_cls = transport_cls
        self.transport_options = dict(transport_options or {})
        self.ssl = ssl
        self.heartbeat = heartbeat
        self.connect_timeout = connect_timeout
        self.backoff = backoff
        self._next_url = itertools.cycle(range(len(self.urls)))
        self._url_lock = threading.Lock()
        self._publisher = Publisher(self)
        amqp_guard.install()
        self._subscribers: list[Subscriber] = []
        probe = self._connection(self.urls[0], heartbeat=0)
        self.retry_errors: tuple[type[BaseException], ...] = (
            *probe.connection_errors,
            *probe.channel_errors,
            OSError,
        )

    # -- connections ----------------------------------------------------

    def _connection(self, url: str, heartbeat: float) -> KombuConnection:
        return new_connection(
            url,
            transport=self.transport_cls,
            transport_options=self.transport_options,
            ssl=self.ssl,
            heartbeat=heartbeat or None,
            connect_timeout=self.connect_timeout,
        )

    def connect(self, heartbeat: float = 0.0) -> KombuConnection:
        """A connected kombu connection to the first URL that answers.

        :raises: the last connection error if none answers.
        """
        error: BaseException | None = None
        for _ in self.urls:
            with self._url_lock:
                url = self.urls[next(self._next_url)]
            conn = self._connection(url, heartbeat)
            try:
                conn.ensure_connection(
                    max_retries=0, reraise_as_library_errors=False
                )
                return conn
            except self.retry_errors as err:
                error = err
                close_quietly(conn)
                LOG.debug("broker %s: %s", masked(url), err)
        assert error is not None
        raise error

    # -- Transport --------------------------------------------------------

    def publish(
        self,
        address: Address,
        message: Message,
        *,
        confirm: bool = False,
        keep: bool = False,
        timeout: float | None = None,
    ) -> None:
        deadline = time.monotonic() + (60.0 if timeout is None else timeout)
        self._publisher.publish(address, message, confirm, deadline, keep)

    def flush(self, timeout: float = 10.0) -> None:
        self._publisher.flush(timeout)

    def subscribe(
        self,
        subscriptions: Sequence[Subscription],
        handler: Handler,
        *,
        prefetch: int = 0,
        name: str = "subscriber",
    ) -> Subscriber:
        subscriber = KombuSubscriber(
            self, list(subscriptions), handler, prefetch, name
        )
        self._subscribers.append(subscriber)
        subscriber.start()
        return subscriber

    def peek(self, address: Address, limit: int) -> list[Message]:
        conn = self.connect()
        try:
            channel = conn.channel()
            if not queue_exists(channel, address.name, self.retry_errors):
                return []
            found = []
            for _ in range(limit):
                raw = channel.basic_get(queue=address.name, no_ack=False)
                if raw is None:
                    break
                found.append(to_message(channel.message_to_python(raw)))
            # Closing without acknowledging puts them all back.
            return found
        finally:
            close_quietly(conn)

    def purge(self, address: Address) -> int:
        conn = self.connect()
        try:
            channel = conn.channel()
            if not queue_exists(channel, address.name, self.retry_errors):
                return 0
            return int(channel.queue_purge(queue=address.name) or 0)
        finally:
            close_quietly(conn)

    def detach(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def close(self) -> None:
        for subscriber in list(self._subscribers):
            subscriber.stop()
        self._publisher.close()
