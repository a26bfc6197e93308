"""The consuming side of the kombu transport: a thread per subscriber.

A subscriber whose connection drops reconnects with backoff, redeclares
its queues and consumes again until it is stopped; the broker puts back
what was not acknowledged, marked ``redelivered``.  Acknowledgements made on
other threads are queued and sent by the consuming thread, which owns the
channel; they wake it (:class:`~zerodown.rpc.transport.wakeup.Wakeup`)
wherever it waits, so a message is acknowledged as soon as it is handled
and the broker sends the next at once.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import select
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import amqp  # type: ignore[import-untyped]

from zerodown.rpc.transport.base import (
    Delivery,
    Handler,
    Message,
    Subscriber,
    Subscription,
)
from zerodown.rpc.transport.connector import Connector
from zerodown.rpc.transport.kombu_util import (
    REFUSALS,
    KombuConnection,
    amqp_socket,
    bounded,
    close_quietly,
    declare,
    has_buffered,
    to_message,
)
from zerodown.rpc.transport.wakeup import Wakeup

__all__ = ["KombuSubscriber"]

LOG = logging.getLogger(__name__)
# How long to read once the socket says a frame is coming (or, with no
# socket to watch, how long to wait for one), and the longest wait of an
# idle consumer before it checks its heartbeat and whether to stop.
_DRAIN_WAIT = 0.05
_IDLE_WAIT = 1.0


class _KombuDelivery(Delivery):
    __slots__ = (
        "acked",
        "address",
        "generation",
        "message",
        "owner",
        "queue",
        "redelivered",
        "tag",
    )

    def __init__(
        self,
        owner: KombuSubscriber,
        generation: int,
        tag: Any,
        sub: Subscription,
        queue: str,
        message: Message,
        redelivered: bool,
        settled: bool = False,
    ) -> None:
        self.owner, self.generation, self.tag = owner, generation, tag
        self.queue, self.message = queue, message
        self.address = sub.address
        self.redelivered = redelivered
        self.acked = settled

    def ack(self) -> None:
        self._settle(True)

    def requeue(self) -> None:
        self._settle(False)

    def _settle(self, ack: bool) -> None:
        if not self.acked:
            self.acked = True
            owner = self.owner
            owner.acks.put((self.generation, self.tag, ack))
            # The consuming thread sends it after the callback anyway.
            if threading.get_ident() != owner.thread.ident:
                owner.wakeup.poke()


class KombuSubscriber(Subscriber):
    """A consumer thread that reconnects until stopped.

    Stopping cancels the consumers first and keeps the connection open
    until every delivered message is acknowledged (or the stop times out),
    so work in progress is not handed to another consumer as well.
    """

    def __init__(
        self,
        transport: Connector,
        subscriptions: list[Subscription],
        handler: Handler,
        prefetch: int,
        name: str,
    ) -> None:
        self.transport, self.handler = transport, handler
        self.prefetch = prefetch
        self.queues = [(self._queue_name(sub), sub) for sub in subscriptions]
        self.acks: queue.SimpleQueue[tuple[int, Any, bool]] = (
            queue.SimpleQueue()
        )
        self.generation = 0
        self.outstanding = 0
        self.tags: list[str] = []
        self.drain_timeout = 5.0
        self.wakeup = Wakeup()
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name)
        self.thread.daemon = True

    @staticmethod
    def _queue_name(sub: Subscription) -> str:
        if sub.address.fanout:
            return f"{sub.address.name}.{uuid.uuid4().hex[:12]}"
        return sub.address.name

    @property
    def name(self) -> str:
        return self.thread.name

    def start(self) -> None:
        self.thread.start()

    def wait_ready(self, timeout: float) -> bool:
        return self.ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self.drain_timeout = timeout
        self.stopping.set()
        self.wakeup.poke()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout + 2.0)
        self.transport.detach(self)

    def _run(self) -> None:
        delays = self.transport.backoff.delays()
        while not self.stopping.is_set():
            conn = None
            try:
                conn = self.transport.connect(self.transport.heartbeat)
                channel = self._consume(conn)
                self.ready.set()
                delays = self.transport.backoff.delays()
                self._loop(conn, channel)
            except self.transport.retry_errors as err:
                self.ready.clear()
                if isinstance(err, REFUSALS):
                    LOG.error("subscriber %s refused: %s", self.name, err)
                delay = next(delays)
                LOG.warning(
                    "subscriber %s lost the broker (%s); reconnecting in "
                    "%.2fs",
                    self.name,
                    err or type(err).__name__,
                    delay,
                )
                self.stopping.wait(delay)
            except Exception:
                # Whatever a peer sent, the thread lives: drop the
                # connection and consume again.
                self.ready.clear()
                delay = next(delays)
                LOG.exception(
                    "subscriber %s failed; reconnecting in %.2fs",
                    self.name,
                    delay,
                )
                self.stopping.wait(delay)
            finally:
                close_quietly(conn)
        self.wakeup.close()

    def _consume(self, conn: KombuConnection) -> Any:
        # A transport that waits in its own select() (the embedded one)
        # watches the wakeup too.
        if hasattr(conn.transport, "interrupt"):
            conn.transport.interrupt = self.wakeup
        self.generation += 1
        self.outstanding = 0
        self.tags = []
        channel = conn.channel()
        if self.prefetch:
            channel.basic_qos(0, self.prefetch, False)
        # A reply queue dies with its connection, taking what was not
        # acknowledged: acknowledging replies buys nothing on RabbitMQ.
        # (The embedded broker deletes a message when it is acknowledged.)
        amqp_broker = conn.transport.driver_type == "amqp"
        for name, sub in self.queues:
            declare(channel, conn, sub, name)
            no_ack = sub.exclusive and amqp_broker
            tag = f"{name}.{uuid.uuid4().hex[:8]}"
            channel.basic_consume(
                queue=name,
                no_ack=no_ack,
                callback=self._callback(
                    channel, sub, name, self.generation, no_ack
                ),
                consumer_tag=tag,
            )
            self.tags.append(tag)
        return channel

    def _callback(
        self,
        channel: Any,
        sub: Subscription,
        name: str,
        generation: int,
        no_ack: bool,
    ) -> Callable[[Any], None]:
        def on_message(raw: Any) -> None:
            try:
                # py-amqp's message is read as it is: kombu's wrapper
                # would inflate a compressed body before any size check.
                message = (
                    raw
                    if isinstance(raw, amqp.Message)
                    else channel.message_to_python(raw)
                )
                info = message.delivery_info or {}
                delivery = _KombuDelivery(
                    self,
                    generation,
                    message.delivery_tag,
                    sub,
                    name,
                    to_message(message),
                    bool(info.get("redelivered")),
                    settled=no_ack,
                )
            except Exception:
                # Nothing a peer sends may end this thread: drop what
                # cannot even be read as a message.
                LOG.exception("dropping an unreadable message on %s", name)
                if not no_ack:
                    _drop(channel, raw)
                return
            if not no_ack:
                self.outstanding += 1
            try:
                self.handler(delivery)
            except Exception:
                LOG.exception("handler failed on %s", name)

        return on_message

    def _loop(self, conn: KombuConnection, channel: Any) -> None:
        beat = time.monotonic()
        drain_until = None
        while True:
            self.wakeup.clear()
            self._flush_acks(channel)
            now = time.monotonic()
            if self.stopping.is_set():
                if drain_until is None:
                    drain_until = now + self.drain_timeout
                    # A silent broker ends the drain (a lost broker)
                    # instead of holding the stop for TCP's timeout.
                    with bounded(conn):
                        for tag in self.tags:
                            channel.basic_cancel(tag)
                if self.outstanding <= 0 or now >= drain_until:
                    return
            with contextlib.suppress(TimeoutError):
                self._wait(conn)
            if now - beat >= 1.0:
                conn.heartbeat_check()
                beat = now

    def _wait(self, conn: KombuConnection) -> None:
        """Handle the next frame, or return when poked or idle.

        On py-amqp's plain or TLS socket the wait is a ``select()`` on the
        socket and the wakeup (data py-amqp or TLS already buffered is read
        first); other transports wait in their own way, for at most the
        drain interval, and the embedded one watches the wakeup itself.
        """
        sock = amqp_socket(conn)
        if sock is None:
            watched = getattr(conn.transport, "interrupt", None) is not None
            conn.drain_events(timeout=_IDLE_WAIT if watched else _DRAIN_WAIT)
            return
        if not has_buffered(conn, sock):
            readable, _, _ = select.select(
                [sock, self.wakeup], [], [], _IDLE_WAIT
            )
            if sock not in readable:
                return
        conn.drain_events(timeout=_DRAIN_WAIT)

    def _flush_acks(self, channel: Any) -> None:
        while True:
            try:
                generation, tag, ack = self.acks.get_nowait()
            except queue.Empty:
                return
            # A tag of an older connection means nothing on this one; the
            # broker has put that message back already.
            if generation == self.generation:
                if ack:
                    channel.basic_ack(tag)
                else:
                    channel.basic_reject(tag, requeue=True)
                self.outstanding -= 1


def _drop(channel: Any, raw: Any) -> None:
    tag = getattr(raw, "delivery_tag", None)
    if tag is None:
        info = getattr(raw, "delivery_info", None) or {}
        tag = info.get("delivery_tag")
    if tag is not None:
        with contextlib.suppress(Exception):
            channel.basic_ack(tag)
