"""The RPC server: consume a topic, dispatch, reply, never lose a cast.

A server listens on its topic (shared with the other servers of the
topic), on ``topic.server`` (messages for it alone) and on the topic's
fanout.  Each message is admitted (size, then signature, destination and
lifetime), checked against the ids already taken, read, bound to an
endpoint method (:mod:`~zerodown.rpc.dispatcher`) and run on a worker
thread.  Then:

* a **call** gets its result, or its error as a typed error (see
  :mod:`~zerodown.rpc.remote`);
* a **cast** that cannot be dispatched - a version or method this server
  does not serve, bad arguments, an object it cannot read - goes to the
  dead-letter queue with the reason before it is acknowledged
  (:mod:`~zerodown.rpc.deadletter`); a cast whose method raises is logged.

Input that does not prove who sent it or cannot be read at all - a bad
or missing signature, another destination, an expired or replayed
message, an oversized or undecodable body - is *refused*: never answered,
counted by reason (``protocol.signing.stats``) and kept in a small,
rate-limited sample apart from the dead letters, so a flood of garbage
cannot push out a real undispatchable cast.

Whatever happens while a message is handled, it is settled (acknowledged,
answered or dead-lettered) and the failure logged once with the message
id; the server goes on consuming.  Only a dead letter that cannot be
stored leaves its message unacknowledged, to come back later.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime
import logging
import re
import threading
import time
import uuid
from collections.abc import Sequence

from zerodown.exceptions import ZerodownError
from zerodown.rpc import deadletter
from zerodown.rpc.context import RequestContext
from zerodown.rpc.dispatcher import Dispatcher, Invocation
from zerodown.rpc.errors import (
    BadSignature,
    MalformedMessage,
    MessageTooLarge,
    ReplayedMessage,
    TransportUnreachable,
)
from zerodown.rpc.protocol import Protocol, Reply, Request
from zerodown.rpc.remote import error_to_wire
from zerodown.rpc.replay import MemoryReplayStore, ReplayStore, Seen
from zerodown.rpc.replies import REPLY_QUEUE
from zerodown.rpc.serializer import Serializer
from zerodown.rpc.signing import Admission, SigningMode
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
_REPLY_TIMEOUT = 10.0
# A signed call may name any queue of a sane shape to answer to.
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}")
# Refused input is what floods look like: the message bodies kept in the
# sample are short, and a server stores at most a few a second.
_SAMPLE_BODY = 4096
_SAMPLE_RATE = 1.0
_SAMPLE_BURST = 10
# A sample is worth little: it never holds a worker for long.
_SAMPLE_TIMEOUT = 2.0
_NOT_READ = (BadSignature, MessageTooLarge, MalformedMessage)
# A message that could not be settled (its dead letter not stored, the
# replay store not written) goes back to its queue after a pause that
# grows with each failure in a row, up to this many seconds.
_RETRY_MAX = 5.0


class _Retry(Exception):
    """The message must go back to its queue (a transient failure)."""


@dataclasses.dataclass
class _Work:
    """What is known of one delivery as it is handled."""

    delivery: Delivery
    admission: Admission | None = None
    request: Request | None = None
    #: It could not be settled now: it goes back to its queue.
    retry: bool = False
    #: The replay store that recorded this message as taken.
    taken_in: ReplayStore | None = None

    @property
    def message(self) -> Message:
        return self.delivery.message

    @property
    def label(self) -> str:
        """The message id as it may be logged (a peer chooses it)."""
        text = self.message.message_id[:64]
        return "".join(c if c.isprintable() else "?" for c in text) or "-"


class RPCServer:
    """Serve ``endpoints`` on ``target`` (topic and this server's name).

    :param workers: threads running endpoint methods (0: run them on the
        consuming thread, one at a time).
    :param prefetch: messages taken from the broker ahead of the workers.
    :param replays: where the ids of admitted messages are remembered
        (default: in memory, forgotten on restart; services should pass a
        :class:`~zerodown.rpc.replay.FileReplayStore`).
    :param shared_replays: where the ids of messages taken from the
        topic's shared queue are remembered, if not in ``replays``: a
        store every server of the topic shares
        (:class:`~zerodown.rpc.replay.SqlReplayStore`).
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
        replays: ReplayStore | None = None,
        shared_replays: ReplayStore | None = None,
    ) -> None:
        if not target.topic:
            raise ValueError("a server's target needs a topic")
        self.transport, self.target = transport, target
        self.dispatcher = Dispatcher(endpoints, serializer)
        self.protocol = protocol or Protocol()
        self.workers = workers
        self.prefetch = prefetch if prefetch is not None else 2 * workers or 8
        self.replays: ReplayStore = replays or MemoryReplayStore()
        self.shared_replays = shared_replays
        # Who takes messages in the replay stores: this server, this life.
        self.incarnation = uuid.uuid4().hex
        self._failures = 0
        self._stopping = threading.Event()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._subscriber: Subscriber | None = None
        self._sampler = _Sampler(_SAMPLE_RATE, _SAMPLE_BURST)

    @property
    def name(self) -> str:
        return self.target.destination

    def start(self, wait: float = 10.0) -> RPCServer:
        """Start consuming; wait up to ``wait`` seconds for the queues."""
        if self._subscriber is not None:
            return self
        if self.protocol.signing.mode is SigningMode.OFF:
            LOG.warning(
                "serving %s WITHOUT MESSAGE SIGNING: anyone who can publish "
                "to the broker can call every method it serves",
                self.name,
            )
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
        self._stopping.set()
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            subscriber.stop(timeout)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        for store in (self.replays, self.shared_replays):
            if store is not None:
                with contextlib.suppress(Exception):
                    store.flush()  # finish marks a store deferred

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
        work = _Work(delivery)
        try:
            self._process(work)
        except _Retry:
            work.retry = True
        except BaseException as err:
            # The last line: a message is never left unsettled, whatever
            # raised on its way.
            LOG.exception(
                "unexpected failure on message %s on %s", work.label, self.name
            )
            self._settle_failure(work, err)
        finally:
            self._settle(work)

    def _settle(self, work: _Work) -> None:
        if work.retry:
            self._give_back(work)
            return
        self._failures = 0
        # Finished before acknowledged: killed in between, the message
        # comes back and is recognised as done (a shared store writes
        # its finish marks a little later: there a copy is never run
        # either way, see SqlReplayStore).
        self._finish(work)
        work.delivery.ack()

    def _give_back(self, work: _Work) -> None:
        """Requeue after a pause that grows with each failure in a row (a
        dead-letter queue or a replay store that keeps failing must not
        turn the server into a loop)."""
        if work.taken_in is not None:
            with contextlib.suppress(Exception):
                work.taken_in.forget(work.message.message_id)
        self._failures += 1
        self._stopping.wait(min(_RETRY_MAX, 0.05 * 2**self._failures))
        work.delivery.requeue()

    def _process(self, work: _Work) -> None:
        message = work.message
        try:
            work.admission = self.protocol.authenticate(
                message, work.delivery.address
            )
            self.protocol.check_size(message)
            if not self._first_time(work):
                return
            work.request = self.protocol.read_request(message)
            context = _context(work)
        except _NOT_READ as err:
            self._refuse(work, err)
            return
        try:
            invocation = self.dispatcher.bind(work.request, context)
        except ZerodownError as err:
            self._undispatchable(work, err)
            return
        self._run(work, invocation)

    def _first_time(self, work: _Work) -> bool:
        """Whether to run this message (see :mod:`~zerodown.rpc.replay`).

        :raises ReplayedMessage: a signed message that already ran, sent
            again rather than redelivered by the broker.
        """
        admission, message = work.admission, work.message
        assert admission is not None
        if not message.message_id and not admission.signed:
            return True  # nothing to recognise it by, nothing at stake
        store = self._replays_for(work.delivery.address)
        message_id, redelivered = message.message_id, work.delivery.redelivered
        seen = self._take(store, message_id, admission.expires_at, work)
        if seen is None:
            work.taken_in = store
            return True
        if seen.finished and admission.signed and not redelivered:
            raise ReplayedMessage(
                message_id=work.label, reason="it already ran on this topic"
            )
        # Only this server's own earlier life can have left a message of
        # its own store unfinished: it died.  On a shared store the taker
        # may be a live sibling, and anyone who can consume the queue can
        # make a copy look redelivered: never run it twice there.
        orphaned = not seen.finished and seen.owner != self.incarnation
        if orphaned and redelivered and store is not self.shared_replays:
            LOG.info("%s was left unfinished by an earlier run", work.label)
            store.retake(message_id, self.incarnation)
            work.taken_in = store
            return True
        # Redelivered after a lost connection, running here, or a second
        # copy (a client that retried, or one in flight elsewhere).
        LOG.info("skipping %s: already taken", work.label)
        self.protocol.signing.stats.count_duplicate()
        return False

    def _take(
        self,
        store: ReplayStore,
        message_id: str,
        expires_at: float,
        work: _Work,
    ) -> Seen | None:
        try:
            return store.take(message_id, expires_at, self.incarnation)
        except Exception as err:
            # A store that cannot write now (disk full, locked): the
            # message goes back to its queue and comes again.
            LOG.error("replay store failed on %s: %s", work.label, err)
            raise _Retry from err

    def _finish(self, work: _Work) -> None:
        store = work.taken_in
        if store is None:
            return
        try:
            store.finish(work.message.message_id)
        except Exception:
            # A store that cannot write is logged; the message is settled
            # either way.
            LOG.exception("could not record %s as finished", work.label)

    def _replays_for(self, source: Address) -> ReplayStore:
        shared = self.shared_replays
        on_topic = not source.fanout and source.name == self.target.topic
        return shared if shared is not None and on_topic else self.replays

    def _run(self, work: _Work, invocation: Invocation) -> None:
        request = work.request
        assert request is not None
        try:
            result = invocation.run()
        except Exception as err:
            self._log_failure(request, err, work)
            self._answer(work, Reply(error=error_to_wire(err)))
        else:
            self._answer(work, Reply(result=result))

    # -- settling what could not run ------------------------------------------

    def _refuse(self, work: _Work, error: ZerodownError) -> None:
        """Input that is unauthenticated or unreadable: count it, keep a
        sample, answer only a peer that proved who it is."""
        reason = type(error).__name__
        self.protocol.signing.stats.count_refused(reason)
        LOG.warning(
            "refused message %s on %s: %s", work.label, self.name, error
        )
        # Answer only a sender that got past the signature check: an
        # answer to anything else would be this server's signature on a
        # reply an attacker addressed to someone else's call.
        admitted = work.admission is not None
        if not admitted or isinstance(error, BadSignature):
            self._sample(work, error)
            return
        if work.message.reply_to and self._may_answer(work):
            self._answer(work, Reply(error=error_to_wire(error)))
        else:
            self._sample(work, error)

    def _undispatchable(self, work: _Work, error: ZerodownError) -> None:
        """A readable request this server cannot run: a call gets the
        error, a cast goes to the dead letters."""
        request = work.request
        assert request is not None
        LOG.warning(
            "cannot dispatch %s %s (message %s) on %s%s: %s",
            request.method,
            request.version,
            work.label,
            self.name,
            "" if work.message.reply_to else ", dead-lettered",
            error,
        )
        if work.message.reply_to:
            self._answer(work, Reply(error=error_to_wire(error)))
            return
        self._dead_letter(work, error)

    def _settle_failure(self, work: _Work, error: BaseException) -> None:
        try:
            if work.retry:
                return
            if work.request is None:
                stats = self.protocol.signing.stats
                stats.count_refused(type(error).__name__)
            elif work.message.reply_to:
                self._answer(work, Reply(error=error_to_wire(error)))
            else:
                self._dead_letter(work, error)
        except BaseException:
            # Settling must not raise out of the worker.
            LOG.exception("could not settle message %s", work.label)

    def _dead_letter(self, work: _Work, error: BaseException) -> None:
        letter = self._letter(work, error)
        try:
            deadletter.publish(self.transport, letter, quiet=True)
        except TransportUnreachable as err:
            # Not stored, not lost: it goes back to its queue.
            LOG.error("cannot dead-letter %s yet: %s", work.label, err)
            work.retry = True
        except ZerodownError as err:
            # The broker refuses the queue itself (declared with other
            # arguments): retrying cannot help, and the message would
            # hold a worker forever.  This log line is its dead letter.
            LOG.error(
                "dead letter refused by the broker (%s); dropped %s %s "
                "(message %s, request %s) on %s: %s",
                err,
                letter.method,
                letter.version,
                letter.message_id,
                letter.request_id,
                self.name,
                letter.error,
            )
            self.protocol.signing.stats.count_refused("DeadLetterRefused")

    def _sample(self, work: _Work, error: ZerodownError) -> None:
        if not self._sampler.take():
            return
        letter = self._letter(work, error)
        letter = dataclasses.replace(letter, body=letter.body[:_SAMPLE_BODY])
        try:
            deadletter.publish(
                self.transport,
                letter,
                address=deadletter.REFUSED,
                quiet=True,
                timeout=_SAMPLE_TIMEOUT,
            )
        except ZerodownError as err:
            LOG.info("no sample kept of %s: %s", work.label, err)

    def _letter(
        self, work: _Work, error: BaseException
    ) -> deadletter.DeadLetter:
        request = work.request
        context = request.context if request else {}
        request_id = context.get("request_id", "-")
        return deadletter.DeadLetter(
            reason=type(error).__name__,
            error=str(error)[:2000],
            topic=self.target.topic,
            server=self.target.server or "",
            method=request.method if request else "?",
            version=request.version if request else "?",
            message_id=work.label,
            received_at=datetime.datetime.now(datetime.timezone.utc),
            body=work.message.body,
            request_id=request_id if type(request_id) is str else "-",
        )

    # -- answering ------------------------------------------------------------

    def _may_answer(self, work: _Work) -> bool:
        """Whether to publish to the call's reply queue: one a signed
        caller named, or, unsigned, only one of the reply-queue scheme
        (an unsigned message must not make this server publish anywhere
        its sender likes)."""
        reply_to = work.message.reply_to or ""
        admission = work.admission
        if admission is not None and admission.signed:
            return bool(_QUEUE_NAME.fullmatch(reply_to))
        return bool(REPLY_QUEUE.fullmatch(reply_to))

    def _answer(self, work: _Work, reply: Reply) -> None:
        message = work.message
        if not message.reply_to:
            return
        if not self._may_answer(work):
            LOG.warning(
                "not answering %s: reply queue %r is not a reply queue",
                work.label,
                message.reply_to[:80],
            )
            return
        # A reply queue gone with its caller takes nothing: no retry.
        destination = Address(message.reply_to, fleeting=True)
        try:
            answer = self.protocol.reply(
                message.message_id, reply, destination
            )
        except ZerodownError as err:
            answer = self.protocol.reply(
                message.message_id,
                Reply(error=error_to_wire(err)),
                destination,
            )
        try:
            self.transport.publish(destination, answer, timeout=_REPLY_TIMEOUT)
        except ZerodownError as err:
            LOG.warning("reply to %s lost: %s", work.label, err)

    def _log_failure(
        self, request: Request, error: Exception, work: _Work
    ) -> None:
        kind = "call" if work.message.reply_to else "cast"
        if isinstance(error, ZerodownError):
            LOG.info(
                "%s %s (message %s) failed: %s",
                kind,
                request.method,
                work.label,
                error,
            )
        else:
            LOG.exception(
                "%s %s (message %s) on %s raised",
                kind,
                request.method,
                work.label,
                self.name,
            )


class _Sampler:
    """A token bucket: at most ``rate`` samples a second, ``burst`` at
    once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(
                self.burst, self.tokens + (now - self.at) * self.rate
            )
            self.at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


def _context(work: _Work) -> RequestContext:
    request = work.request
    assert request is not None
    try:
        return RequestContext.from_wire(request.context)
    except ValueError as err:
        raise MalformedMessage(
            message_id=work.label, reason=str(err)
        ) from None
