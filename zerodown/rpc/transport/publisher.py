"""The publishing side of the kombu transport: one connection a process.

Every thread publishes through one lock-guarded connection; replies go out
on it too, never from inside a consumer callback (py-amqp may drain events
while publishing, which would re-enter the callback).  A failed publish is
retried with backoff, on the next broker URL, until its deadline.

A broker that restarts loses its transient queues; each server declares
its queue again when it reconnects, but a message published to RabbitMQ
before that is dropped as unroutable, without a word.  So for
:data:`RECOVERY_WINDOW` seconds after this connection *re*connects (a
broker restart always drops it), a message to a queue goes out
``mandatory`` with a publisher confirm: one the broker returns is
published again, with backoff, until its queue exists or the deadline
passes.  Outside the window, and after the first connect, publishing
costs no round trip.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from zerodown.exceptions import RPCError, TransportUnreachable
from zerodown.rpc.transport.base import Address, Message
from zerodown.rpc.transport.kombu_util import (
    CONTENT_TYPE,
    REFUSALS,
    KombuConnection,
    close_quietly,
    declare_exchange,
    declare_queue,
    properties,
)

if TYPE_CHECKING:
    from zerodown.rpc.transport.broker import KombuTransport

__all__ = ["RECOVERY_WINDOW", "Publisher"]

LOG = logging.getLogger(__name__)

#: Seconds after a (re)connect during which unroutable messages are
#: caught and published again (servers redeclare within their backoff).
RECOVERY_WINDOW = 60.0


class _Returned(Exception):
    """The broker returned a mandatory message: no queue by that name."""


class Publisher:
    """The process's publishing connection, shared under a lock."""

    def __init__(self, transport: KombuTransport) -> None:
        self.transport = transport
        self.lock = threading.Lock()
        self.conn: KombuConnection | None = None
        self.channel: Any = None
        self.confirm_channel: Any = None
        self.declared: set[Address] = set()
        self.connected_at = 0.0  # of the last reconnect (0: none yet)
        self._connects = 0
        self._returned: list[str] = []

    def publish(
        self,
        address: Address,
        message: Message,
        confirm: bool,
        deadline: float,
    ) -> None:
        transport = self.transport
        started, attempts = time.monotonic(), 0
        delays = transport.backoff.delays()
        while True:
            attempts += 1
            remaining = deadline - time.monotonic()
            error: BaseException
            if self.lock.acquire(timeout=max(0.0, remaining)):
                try:
                    self._send(address, message, confirm, remaining)
                    return
                except _Returned as err:
                    error = err
                except transport.retry_errors as err:
                    self._reset()
                    if isinstance(err, REFUSALS):
                        raise RPCError(
                            problem=f"the broker refused {address.name}: {err}"
                        ) from err
                    error = err
                finally:
                    self.lock.release()
            else:
                error = TimeoutError("the publishing connection stayed busy")
            delay = next(delays)
            if time.monotonic() + delay >= deadline:
                raise TransportUnreachable(
                    url=transport.display_url,
                    attempts=attempts,
                    elapsed=time.monotonic() - started,
                    reason=str(error) or type(error).__name__,
                ) from None
            LOG.warning(
                "publishing to %s failed (%s); retrying in %.2fs",
                address.name,
                error,
                delay,
            )
            time.sleep(delay)

    def _send(
        self,
        address: Address,
        message: Message,
        confirm: bool,
        remaining: float,
    ) -> None:
        if self.conn is None:
            self.conn = self.transport.connect()
            self.channel = self.conn.channel()
            self._connects += 1
            if self._connects > 1:
                self.connected_at = time.monotonic()
        amqp = self.conn.transport.driver_type == "amqp"
        mandatory = (
            amqp
            and not address.fanout
            and not address.fleeting
            and self.connected_at > 0
            and time.monotonic() - self.connected_at < RECOVERY_WINDOW
        )
        amqp_confirm = amqp and (confirm or mandatory)
        channel = self.channel
        if amqp_confirm:
            if self.confirm_channel is None:
                self.confirm_channel = self.conn.channel()
                self.confirm_channel.events["basic_return"].add(
                    self._on_return
                )
            channel = self.confirm_channel
        if address not in self.declared:
            if address.fanout:
                declare_exchange(channel, address.name)
            elif address.durable:
                declare_queue(channel, self.conn, address)
            self.declared.add(address)
        raw = channel.prepare_message(
            message.body,
            0,
            CONTENT_TYPE,
            "binary",
            message.headers,
            properties(address, message),
        )
        exchange, key = (
            (address.name, "") if address.fanout else ("", address.name)
        )
        if amqp_confirm:
            self._returned.clear()
            # RabbitMQ returns an unroutable mandatory message before it
            # confirms it, so the return is known when this returns.
            channel.basic_publish_confirm(
                raw,
                exchange=exchange,
                routing_key=key,
                mandatory=mandatory,
                confirm_timeout=max(0.1, remaining),
            )
            if self._returned:
                raise _Returned(f"no queue {address.name} (yet)")
        else:
            channel.basic_publish(raw, exchange=exchange, routing_key=key)

    def _on_return(
        self, exc: Exception, exchange: str, routing_key: str, message: Any
    ) -> None:
        self._returned.append(routing_key)

    def _reset(self) -> None:
        conn, self.conn = self.conn, None
        self.channel = self.confirm_channel = None
        self.declared.clear()
        close_quietly(conn)

    def close(self) -> None:
        with self.lock:
            self._reset()
