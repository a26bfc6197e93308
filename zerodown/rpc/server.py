"""The RPC server: consume a topic, dispatch, reply, never lose a cast.

A server listens on its topic (shared with the other servers of the
topic), on ``topic.server`` (messages for it alone) and on the topic's
fanout.  Each message is checked (signature, size, shape), bound to an
endpoint method (:mod:`~zerodown.rpc.dispatcher`) and run on a worker
thread.  Then:

* a **call** gets its result, or its error as a typed error (see
  :mod:`~zerodown.rpc.remote`);
* a **cast** that cannot be dispatched - a version or method this server
  does not serve, bad arguments, an unreadable body or object, a bad
  signature - goes to the dead-letter queue with the reason before it is
  acknowledged (:mod:`~zerodown.rpc.deadletter`); a cast whose method
  raises is logged.

A message is acknowledged only once handled; one redelivered after a lost
connection and already handled here is recognised by its id and skipped.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime
import logging
import threading
from collections.abc import Sequence

from zerodown.exceptions import (
    BadSignature,
    MalformedMessage,
    TransportUnreachable,
    ZerodownError,
)
from zerodown.rpc import deadletter
from zerodown.rpc.context import RequestContext
from zerodown.rpc.dispatcher import Dispatcher, Invocation
from zerodown.rpc.protocol import Protocol, Reply, Request
from zerodown.rpc.remote import error_to_wire
from zerodown.rpc.serializer import Serializer
from zerodown.rpc.target import Target, listen_addresses
from zerodown.rpc.transport.base import (
    Address,
    Delivery,
    Message,
    Subscriber,
    Subscription,
    Transport,
)

__all__ = ["RPCServer"]

LOG = logging.getLogger(__name__)
_SEEN = 10_000
_REPLY_TIMEOUT = 10.0


class RPCServer:
    """Serve ``endpoints`` on ``target`` (topic and this server's name).

    :param workers: threads running endpoint methods (0: run them on the
        consuming thread, one at a time).
    :param prefetch: messages taken from the broker ahead of the workers.
    """

    def __init__(
        self,
        transport: Transport,
        target: Target,
        endpoints: Sequence[object],
        *,
        serializer: Serializer | None = None,
        protocol: Protocol | None = None,
        workers: int = 8,
        prefetch: int | None = None,
    ) -> None:
        if not target.topic:
            raise ValueError("a server's target needs a topic")
        self.transport, self.target = transport, target
        self.dispatcher = Dispatcher(endpoints, serializer)
        self.protocol = protocol or Protocol()
        self.workers = workers
        self.prefetch = prefetch if prefetch is not None else 2 * workers or 8
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._subscriber: Subscriber | None = None
        self._seen: collections.OrderedDict[str, None] = (
            collections.OrderedDict()
        )
        self._seen_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.target.destination

    def start(self, wait: float = 10.0) -> RPCServer:
        """Start consuming; wait up to ``wait`` seconds for the queues."""
        if self._subscriber is not None:
            return self
        if self.workers:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                self.workers, thread_name_prefix=f"rpc-{self.name}"
            )
        subscriptions = [
            Subscription(address) for address in listen_addresses(self.target)
        ]
        self._subscriber = self.transport.subscribe(
            subscriptions,
            self._on_delivery,
            prefetch=self.prefetch,
            name=f"rpc-server-{self.name}",
        )
        if not self._subscriber.wait_ready(wait):
            LOG.warning("server %s is not consuming yet", self.name)
        LOG.info("serving %s (%s)", self.name, self.dispatcher.served())
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop consuming, finish the work in progress, then return."""
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            subscriber.stop(timeout)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def __enter__(self) -> RPCServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- handling -----------------------------------------------------------

    def _on_delivery(self, delivery: Delivery) -> None:
        pool = self._pool
        if pool is None:
            self._handle(delivery)
        else:
            pool.submit(self._handle, delivery)

    def _handle(self, delivery: Delivery) -> None:
        message = delivery.message
        try:
            self.protocol.admit(message)
        except ZerodownError as err:
            self._reject(delivery, err, None)
            return
        if not self._first_time(message.message_id):
            LOG.info("skipping %s: already handled", message.message_id)
            delivery.ack()
            return
        request: Request | None = None
        try:
            request = self.protocol.read_request(message)
            invocation = self.dispatcher.bind(request, _context(request))
        except ZerodownError as err:
            self._reject(delivery, err, request)
            return
        self._run(delivery, request, invocation)

    def _run(
        self, delivery: Delivery, request: Request, invocation: Invocation
    ) -> None:
        message = delivery.message
        try:
            result = invocation.run()
        except Exception as err:
            self._log_failure(request, err, message)
            if message.reply_to:
                self._reply(message, Reply(error=error_to_wire(err)))
        else:
            if message.reply_to:
                self._reply(message, Reply(result=result))
        delivery.ack()

    def _reject(
        self,
        delivery: Delivery,
        error: ZerodownError,
        request: Request | None,
    ) -> None:
        """A message that cannot be dispatched: answer or dead-letter."""
        message = delivery.message
        method = request.method if request else "?"
        LOG.warning("rejected %s on %s: %s", method, self.name, error)
        if message.reply_to and not isinstance(error, BadSignature):
            self._reply(message, Reply(error=error_to_wire(error)))
        else:
            try:
                self._dead_letter(delivery, error, request)
            except (TransportUnreachable, ZerodownError) as err:
                # Leave it unacknowledged: it comes back after reconnecting.
                LOG.error("cannot dead-letter %s: %s", message.message_id, err)
                self._forget(message.message_id)
                return
        delivery.ack()

    def _dead_letter(
        self,
        delivery: Delivery,
        error: ZerodownError,
        request: Request | None,
    ) -> None:
        message = delivery.message
        context = request.context if request else {}
        letter = deadletter.DeadLetter(
            reason=type(error).__name__,
            error=str(error),
            topic=self.target.topic,
            server=self.target.server or "",
            method=request.method if request else "?",
            version=request.version if request else "?",
            message_id=message.message_id,
            received_at=datetime.datetime.now(datetime.timezone.utc),
            body=message.body,
            request_id=str(context.get("request_id", "-")),
        )
        deadletter.publish(self.transport, letter)

    def _reply(self, request: Message, reply: Reply) -> None:
        assert request.reply_to is not None
        try:
            message = self.protocol.reply(request.message_id, reply)
        except ZerodownError as err:
            message = self.protocol.reply(
                request.message_id, Reply(error=error_to_wire(err))
            )
        try:
            self.transport.publish(
                Address(request.reply_to), message, timeout=_REPLY_TIMEOUT
            )
        except TransportUnreachable as err:
            LOG.warning("reply to %s lost: %s", request.message_id, err)

    def _log_failure(
        self, request: Request, error: Exception, message: Message
    ) -> None:
        kind = "call" if message.reply_to else "cast"
        if isinstance(error, ZerodownError):
            LOG.info("%s %s failed: %s", kind, request.method, error)
        else:
            LOG.exception("%s %s raised", kind, request.method)

    # -- duplicates -----------------------------------------------------------

    def _first_time(self, message_id: str) -> bool:
        if not message_id:
            return True
        with self._seen_lock:
            if message_id in self._seen:
                return False
            self._seen[message_id] = None
            if len(self._seen) > _SEEN:
                self._seen.popitem(last=False)
            return True

    def _forget(self, message_id: str) -> None:
        with self._seen_lock:
            self._seen.pop(message_id, None)


def _context(request: Request) -> RequestContext:
    try:
        return RequestContext.from_wire(request.context)
    except ValueError as err:
        raise MalformedMessage(message_id="-", reason=str(err)) from None
