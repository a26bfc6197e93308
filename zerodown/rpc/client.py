"""The RPC client: version-checked calls and casts.

::

    client = RPCClient(transport, Target(topic="compute", version="1.0"),
                       version_cap=StaticCap("1.4"))
    cctxt = client.prepare(server="host-1", version="1.3", timeout=30)
    if cctxt.can_send_version("1.3"):
        cctxt.cast(ctx, "reboot", instance=instance, hard=True)

A message whose version is above the cap raises
:class:`~zerodown.rpc.errors.RPCVersionCapError` before anything is sent.
A call whose reply does not come in time raises
:class:`~zerodown.rpc.errors.MessagingTimeout`, whatever the reason (the
broker down for the whole timeout included); it never hangs.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from typing import Any

from zerodown.rpc import versions
from zerodown.rpc.caps import CapSource, StaticCap
from zerodown.rpc.context import RequestContext
from zerodown.rpc.errors import (
    MessagingTimeout,
    RPCVersionCapError,
    TransportUnreachable,
)
from zerodown.rpc.protocol import Protocol, Request
from zerodown.rpc.remote import error_from_wire
from zerodown.rpc.replies import ReplyWaiter
from zerodown.rpc.serializer import (
    NoOpSerializer,
    Serializer,
    serializer_for_peer,
)
from zerodown.rpc.target import Target, send_address
from zerodown.rpc.transport.base import Address, Transport

__all__ = ["CallContext", "RPCClient"]

DEFAULT_TIMEOUT = 60.0


class RPCClient:
    """Sends messages for one API (``target.topic``).

    :param version_cap: the newest version to send: a
        :class:`~zerodown.rpc.caps.CapSource`, an ``X.Y`` string or
        ``None`` (no cap).
    :param timeout: seconds a call waits for its reply.
    :param cast_timeout: seconds a cast keeps retrying while the broker is
        unreachable.
    """

    def __init__(
        self,
        transport: Transport,
        target: Target,
        *,
        serializer: Serializer | None = None,
        protocol: Protocol | None = None,
        version_cap: CapSource | str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        cast_timeout: float = DEFAULT_TIMEOUT,
        api: str | None = None,
    ) -> None:
        self.transport, self.target = transport, target
        self.serializer = serializer or NoOpSerializer()
        self.protocol = protocol or Protocol()
        self.cap: CapSource = (
            version_cap
            if version_cap is not None and not isinstance(version_cap, str)
            else StaticCap(version_cap)
        )
        self.timeout, self.cast_timeout = timeout, cast_timeout
        self.api = api or target.topic
        self.replies = ReplyWaiter(transport, self.protocol.admit)
        self._peer: tuple[Mapping[str, str] | None, Serializer] = (
            None,
            self.serializer,
        )
        self._peer_lock = threading.Lock()

    def prepare(
        self,
        *,
        version: str | None = None,
        server: str | None = None,
        fanout: bool | None = None,
        timeout: float | None = None,
        topic: str | None = None,
    ) -> CallContext:
        """A context that sends with these overrides."""
        target = self.target.replace(
            version=version, server=server, fanout=fanout, topic=topic
        )
        return CallContext(self, target, timeout or self.timeout)

    def can_send_version(self, version: str | None = None) -> bool:
        """Whether ``version`` (default: the target's) is within the cap."""
        return self.prepare().can_send_version(version)

    def call(
        self, context: RequestContext | None, method: str, **kwargs: Any
    ) -> Any:
        return self.prepare().call(context, method, **kwargs)

    def cast(
        self, context: RequestContext | None, method: str, **kwargs: Any
    ) -> None:
        self.prepare().cast(context, method, **kwargs)

    def flush(self, timeout: float | None = None) -> None:
        """Return once the broker has confirmed every cast to a durable
        topic sent so far through this client's transport.

        :raises TransportUnreachable: some are not confirmed after
            ``timeout`` seconds (default: ``cast_timeout``).
        """
        self.transport.flush(self.cast_timeout if timeout is None else timeout)

    def close(self) -> None:
        """Stop the reply consumer (the transport stays open)."""
        self.replies.close()

    def serializer_now(self) -> Serializer:
        """The serializer for the receivers as the cap knows them."""
        objects = self.cap.object_versions()
        known, serializer = self._peer
        if objects is known:
            return serializer
        with self._peer_lock:
            serializer = serializer_for_peer(self.serializer, objects)
            self._peer = (objects, serializer)
        return serializer


@dataclasses.dataclass(frozen=True)
class CallContext:
    """A client with a prepared target and timeout."""

    client: RPCClient
    target: Target
    timeout: float

    def can_send_version(self, version: str | None = None) -> bool:
        wanted = version or self.target.version
        if wanted is None:
            return True
        return versions.is_compatible(self.client.cap.current(), wanted)

    def call(
        self, context: RequestContext | None, method: str, **kwargs: Any
    ) -> Any:
        """Run ``method`` remotely and return its result.

        :raises RPCVersionCapError: the version is above the cap.
        :raises MessagingTimeout: no reply within the timeout.
        :raises ZerodownError: the remote error, re-raised as its type.
        :raises RemoteError: for a remote error outside zerodown's tree.
        """
        if self.target.fanout:
            raise ValueError("a call cannot go to a fanout target")
        context = context or RequestContext()
        deadline = time.monotonic() + self.timeout
        request, serializer = self._request(context, method, kwargs)
        replies = self.client.replies
        if not replies.ready(self.timeout):
            raise self._timeout(method)
        address = self._address()
        message = self.client.protocol.request(
            request, address, reply_to=replies.queue, ttl=self.timeout
        )
        replies.expect(message.message_id)
        try:
            self.client.transport.publish(
                address, message, timeout=_left(deadline)
            )
        except TransportUnreachable as err:
            replies.forget(message.message_id)
            raise self._timeout(method) from err
        answer = replies.wait(message.message_id, _left(deadline))
        if answer is None:
            raise self._timeout(method)
        reply = self.client.protocol.read_reply(answer)
        if reply.error is not None:
            raise error_from_wire(reply.error, method, self.target.destination)
        return serializer.deserialize_entity(context, reply.result)

    def cast(
        self, context: RequestContext | None, method: str, **kwargs: Any
    ) -> None:
        """Send ``method`` without waiting.  To a durable or confirmed
        target, the transport keeps the message until the broker confirms
        it has queued it, publishing it again after a lost connection (or,
        confirmed, while its queue is missing), for up to
        ``cast_timeout`` seconds (:meth:`RPCClient.flush` waits for the
        confirms).

        :raises RPCVersionCapError: the version is above the cap.
        :raises TransportUnreachable: the broker stayed unreachable.
        """
        context = context or RequestContext()
        request, _ = self._request(context, method, kwargs)
        address = self._address()
        message = self.client.protocol.request(request, address)
        self.client.transport.publish(
            address,
            message,
            keep=self.target.durable or self.target.confirmed,
            timeout=self.client.cast_timeout,
        )

    def _request(
        self,
        context: RequestContext,
        method: str,
        kwargs: dict[str, Any],
    ) -> tuple[Request, Serializer]:
        version = self.target.version or "1.0"
        cap = self.client.cap.current()
        if not versions.is_compatible(cap, version):
            raise RPCVersionCapError(
                method=method, api=self.client.api, version=version, cap=cap
            )
        serializer = self.client.serializer_now()
        args = {
            name: serializer.serialize_entity(context, value)
            for name, value in kwargs.items()
        }
        request = Request(
            method=method,
            version=version,
            args=args,
            context=context.to_wire(),
            namespace=self.target.namespace,
        )
        return request, serializer

    def _address(self) -> Address:
        return send_address(self.target)

    def _timeout(self, method: str) -> MessagingTimeout:
        return MessagingTimeout(
            method=method,
            destination=self.target.destination,
            timeout=self.timeout,
        )


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
