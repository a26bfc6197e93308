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

A message published with ``keep`` (a cast to a durable topic) goes out at
once on a confirm channel and is held until RabbitMQ confirms it
(:mod:`~zerodown.rpc.transport.confirms`): confirms are read as they
arrive, a publisher waits only while :data:`CONFIRM_WINDOW` messages, or
:data:`CONFIRM_WINDOW_BYTES` of their bodies, are unconfirmed, and what a
lost connection or a ``basic.nack`` left unconfirmed is published again
- by the next publish, or by a keeper thread that runs while anything is
held - until its deadline.
:meth:`Publisher.flush` waits until everything is confirmed.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from typing import Any

from zerodown.rpc.errors import RPCError, TransportUnreachable
from zerodown.rpc.transport.base import Address, Message
from zerodown.rpc.transport.confirms import ConfirmWindow, Kept
from zerodown.rpc.transport.connector import Connector
from zerodown.rpc.transport.kombu_util import (
    CONTENT_TYPE,
    REFUSALS,
    KombuConnection,
    amqp_socket,
    close_quietly,
    declare_exchange,
    declare_queue,
    has_buffered,
    properties,
)

__all__ = [
    "CONFIRM_WINDOW",
    "CONFIRM_WINDOW_BYTES",
    "RECOVERY_WINDOW",
    "Publisher",
]

LOG = logging.getLogger(__name__)

#: Seconds after a (re)connect during which unroutable messages are
#: caught and published again (servers redeclare within their backoff).
RECOVERY_WINDOW = 60.0
#: Kept messages unconfirmed at most; a publisher waits beyond.
CONFIRM_WINDOW = 256
#: ... and bytes of their bodies: 256 casts at the 8 MiB message limit
#: would hold 2 GiB until confirmed.
CONFIRM_WINDOW_BYTES = 16 * 1024 * 1024
# How long a frame that is arriving may take; how often the keeper looks.
_READ_WAIT = 1.0
_KEEP_INTERVAL = 0.1


class _Returned(Exception):
    """The broker returned a mandatory message: no queue by that name."""


class Publisher:
    """The process's publishing connection, shared under a lock."""

    def __init__(self, transport: Connector) -> None:
        self.transport = transport
        self.lock = threading.Lock()
        self.conn: KombuConnection | None = None
        self.channel: Any = None
        self.confirm_channel: Any = None
        self.declared: set[Address] = set()
        self.connected_at = 0.0  # of the last reconnect (0: none yet)
        self._connects = 0
        self._returned: list[str] = []
        # Kept messages: on the wire unconfirmed, or waiting to go again.
        self.kept_channel: Any = None
        self.window = ConfirmWindow()
        self.resend: list[Kept] = []
        #: Kept messages published again, and given up at their deadline.
        self.republished = self.expired = 0
        self._keeper: threading.Thread | None = None
        self._closed = threading.Event()

    def publish(
        self,
        address: Address,
        message: Message,
        confirm: bool,
        deadline: float,
        keep: bool = False,
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
                    self._send(address, message, confirm, keep, deadline)
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

    def _connect(self) -> KombuConnection:
        if self.conn is None:
            self.conn = self.transport.connect()
            self.channel = self.conn.channel()
            self._connects += 1
            if self._connects > 1:
                self.connected_at = time.monotonic()
        return self.conn

    def _send(
        self,
        address: Address,
        message: Message,
        confirm: bool,
        keep: bool,
        deadline: float,
    ) -> None:
        conn = self._connect()
        if self.resend:
            self._publish_again()
        amqp = conn.transport.driver_type == "amqp"
        # A durable queue is declared before its first message on every
        # connection: it exists, nothing to catch.
        mandatory = (
            amqp
            and _transient_queue(address)
            and self.connected_at > 0
            and time.monotonic() - self.connected_at < RECOVERY_WINDOW
        )
        if keep and amqp and not confirm and not mandatory:
            self._send_kept(Kept(address, message, deadline))
            return
        remaining = deadline - time.monotonic()
        amqp_confirm = amqp and (confirm or keep or mandatory)
        channel = self.channel
        if amqp_confirm:
            if self.confirm_channel is None:
                self.confirm_channel = conn.channel()
                self.confirm_channel.events["basic_return"].add(
                    self._on_return
                )
            channel = self.confirm_channel
        self._declare(channel, address)
        raw = _prepare(channel, address, message)
        exchange, key = _route(address)
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

    def _declare(self, channel: Any, address: Address) -> None:
        if address not in self.declared:
            if address.fanout:
                declare_exchange(channel, address.name)
            elif address.durable:
                declare_queue(channel, self.conn, address)
            self.declared.add(address)

    def _on_return(
        self, exc: Exception, exchange: str, routing_key: str, message: Any
    ) -> None:
        self._returned.append(routing_key)

    # -- kept messages ------------------------------------------------------

    def _send_kept(self, kept: Kept) -> None:
        self._publish_kept(kept)
        self._watch()
        try:
            self._collect(kept.deadline - time.monotonic())
        except self.transport.retry_errors as err:
            # Published: the message is the window's now, and goes again
            # with the rest of it.
            LOG.warning("lost the broker while reading confirms: %s", err)
            self._reset()

    def _publish_kept(self, kept: Kept) -> None:
        if self.kept_channel is None:
            channel = self._connect().channel()
            self.window.attach(channel)
            self.kept_channel = channel
        channel, address = self.kept_channel, kept.address
        self._declare(channel, address)
        exchange, key = _route(address)
        channel.basic_publish(
            _prepare(channel, address, kept.message),
            exchange=exchange,
            routing_key=key,
            # A transient queue may be missing (not declared again after
            # a broker restart): the message comes back, and goes again.
            mandatory=_transient_queue(address),
        )
        self.window.sent(kept)

    def _publish_again(self) -> None:
        """Publish the kept messages a lost connection or the broker
        refused, oldest first; give up on those past their deadline."""
        pending, self.resend = self.resend, []
        now = time.monotonic()
        for number, kept in enumerate(pending):
            if kept.deadline <= now:
                self.expired += 1
                LOG.error(
                    "message %s to %s was not confirmed by the broker "
                    "before its deadline; it may be lost",
                    kept.message.message_id,
                    kept.address.name,
                )
                continue
            try:
                self._publish_kept(kept)
            except BaseException:
                self.resend = pending[number:] + self.resend
                raise
            self.republished += 1

    def _collect(self, wait: float, everything: bool = False) -> None:
        """Read the confirms that have arrived.  While the window is full
        (or, with ``everything``, while anything is unconfirmed), wait up
        to ``wait`` seconds for the next one (``wait`` 0: read what has
        arrived, and return).

        :raises TimeoutError: it waited in vain (a retry error).
        """
        conn = self.conn
        assert conn is not None
        sock = amqp_socket(conn)
        while len(self.window):
            must_wait = (
                everything
                or len(self.window) >= CONFIRM_WINDOW
                or self.window.bytes >= CONFIRM_WINDOW_BYTES
            )
            if not has_buffered(conn, sock):
                timeout = max(0.0, wait) if must_wait else 0.0
                ready, _, _ = select.select([sock], [], [], timeout)
                if not ready:
                    # A caller that may not wait (the keeper) returns:
                    # raising would drop the connection and publish
                    # everything held again, every round.
                    if must_wait and wait > 0:
                        raise TimeoutError("no confirm from the broker")
                    return
            conn.drain_events(timeout=_READ_WAIT)
            self.resend.extend(self.window.refused())

    def _watch(self) -> None:
        """Make sure a keeper runs while kept messages are unconfirmed:
        without more publishes, nothing else would notice a lost
        connection and publish them again.  (Called holding the lock.)"""
        if self._keeper is None and not self._closed.is_set():
            self._keeper = threading.Thread(
                target=self._keep, name="zerodown-confirms", daemon=True
            )
            self._keeper.start()

    def _keep(self) -> None:
        delays = self.transport.backoff.delays()
        pause = _KEEP_INTERVAL
        while not self._closed.wait(pause):
            pause = _KEEP_INTERVAL
            if not self.lock.acquire(timeout=_KEEP_INTERVAL):
                continue  # a publisher is at it
            try:
                if not self._unconfirmed():
                    self._keeper = None
                    return
                self._settle_kept(0.0)
                delays = self.transport.backoff.delays()
            except self.transport.retry_errors as err:
                self._reset()
                pause = next(delays)
                LOG.warning(
                    "%d kept message(s) wait for the broker (%s); retrying "
                    "in %.2fs",
                    self._unconfirmed(),
                    err or type(err).__name__,
                    pause,
                )
            finally:
                self.lock.release()
        with self.lock:
            self._keeper = None

    def _unconfirmed(self) -> int:
        return len(self.window) + len(self.resend)

    def _settle_kept(self, wait: float) -> None:
        """Reconnect, publish again what must go again, read confirms."""
        conn = self._connect()
        if self.resend:
            self._publish_again()
        if conn.transport.driver_type == "amqp" and len(self.window):
            self._collect(wait, everything=wait > 0)

    def flush(self, timeout: float) -> None:
        """Return once every kept message is confirmed.

        :raises TransportUnreachable: some are not, after ``timeout``
            seconds.
        """
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            remaining = deadline - time.monotonic()
            with self.lock:
                left = self._unconfirmed()
                if not left:
                    return
                if remaining <= 0:
                    raise TransportUnreachable(
                        url=self.transport.display_url,
                        attempts=attempts,
                        elapsed=timeout,
                        reason=f"{left} kept message(s) not confirmed",
                    )
                attempts += 1
                try:
                    self._settle_kept(min(remaining, _READ_WAIT))
                except self.transport.retry_errors:
                    self._reset()
            if self.conn is None:
                self._closed.wait(min(0.1, max(0.0, remaining)))

    def _reset(self) -> None:
        conn, self.conn = self.conn, None
        self.channel = self.confirm_channel = self.kept_channel = None
        self.declared.clear()
        # What the lost connection did not confirm goes out again first.
        self.resend = self.window.lost() + self.resend
        close_quietly(conn)

    def close(self, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` seconds for kept messages to be
        confirmed, then close."""
        try:
            self.flush(timeout)
        except TransportUnreachable as err:
            LOG.error("closing with messages unconfirmed: %s", err)
        self._closed.set()
        with self.lock:
            self._reset()
            self.resend = []


def _prepare(channel: Any, address: Address, message: Message) -> Any:
    return channel.prepare_message(
        message.body,
        0,
        CONTENT_TYPE,
        "binary",
        message.headers,
        properties(address, message),
    )


def _transient_queue(address: Address) -> bool:
    """A queue its consumers declare, which the broker forgets when it
    restarts (durable queues are declared by the publisher too)."""
    return not (address.durable or address.fanout or address.fleeting)


def _route(address: Address) -> tuple[str, str]:
    """``(exchange, routing key)`` for ``address``."""
    return (address.name, "") if address.fanout else ("", address.name)
