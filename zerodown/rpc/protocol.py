"""The RPC message format: requests and replies as signed bodies.

A request body is one map::

    {"method": "build", "version": "1.3", "args": {...}, "context": {...}}
    (+ "namespace" when the target has one)

and a reply body ``{"result": ...}`` or ``{"error": {...}}``.  Routing data
(message id, reply queue, correlation id) travels in message properties,
and the body is encoded once (no JSON inside JSON).  Unknown keys are
ignored, so a newer peer may add some.

Reading checks, in this order and before anything else is trusted: the
size, the signature (with its destination and lifetime), then the shape.
Each failure is a typed error.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from zerodown.objects.errors import MalformedPayload, UnencodableValue
from zerodown.rpc import versions
from zerodown.rpc.codec import Codec, WireCodec
from zerodown.rpc.errors import MalformedMessage, MessageTooLarge
from zerodown.rpc.signing import Admission, Signing, destination_of
from zerodown.rpc.transport.base import Address, Message

__all__ = ["DEFAULT_MAX_SIZE", "Protocol", "Reply", "Request"]

#: Largest message body accepted or sent, in bytes.
DEFAULT_MAX_SIZE = 8 * 1024 * 1024
_MAX_NAME = 255


@dataclasses.dataclass(frozen=True)
class Request:
    """A method call as it travels: arguments already in wire form."""

    method: str
    version: str
    args: dict[str, Any]
    context: dict[str, Any]
    namespace: str | None = None


@dataclasses.dataclass(frozen=True)
class Reply:
    """A result, or an error as data (see :mod:`zerodown.rpc.remote`)."""

    result: Any = None
    error: dict[str, Any] | None = None


class Protocol:
    """Encode, sign, check and decode requests and replies.

    :param signing: the signing policy (default: none at all).
    :param max_size: largest body, in bytes, either way.
    """

    def __init__(
        self,
        signing: Signing | None = None,
        max_size: int = DEFAULT_MAX_SIZE,
        codec: Codec | None = None,
    ) -> None:
        self.signing = signing or Signing.off()
        self.max_size = max_size
        self.codec = codec or WireCodec(max_size=max_size + 1)

    # -- sending ------------------------------------------------------------

    def request(
        self,
        request: Request,
        destination: Address,
        *,
        reply_to: str | None = None,
        ttl: float | None = None,
    ) -> Message:
        """The message for ``request`` to ``destination`` (a call when
        ``reply_to`` is set).

        :raises UnencodableValue: for an argument the codec cannot carry.
        :raises MessageTooLarge: above the size limit.
        """
        body: dict[str, Any] = {
            "method": request.method,
            "version": request.version,
            "args": request.args,
            "context": request.context,
        }
        if request.namespace:
            body["namespace"] = request.namespace
        message_id = _new_id()
        return self._message(
            body,
            message_id,
            destination,
            reply_to=reply_to,
            correlation_id=message_id if reply_to else None,
            ttl=ttl,
        )

    def reply(
        self, correlation_id: str, reply: Reply, destination: Address
    ) -> Message:
        """The message answering the call ``correlation_id``."""
        body = (
            {"error": reply.error}
            if reply.error is not None
            else {"result": reply.result}
        )
        return self._message(
            body, _new_id(), destination, correlation_id=correlation_id
        )

    def _message(
        self,
        body: dict[str, Any],
        message_id: str,
        destination: Address,
        *,
        reply_to: str | None = None,
        correlation_id: str | None = None,
        ttl: float | None = None,
    ) -> Message:
        try:
            data = self.codec.encode(body)
        except UnencodableValue as err:
            if "exceed the limit" in str(err.fields.get("reason", "")):
                raise MessageTooLarge(
                    message_id=message_id,
                    size=f"more than {self.max_size}",
                    limit=self.max_size,
                ) from None
            raise
        if len(data) > self.max_size:
            raise MessageTooLarge(
                message_id=message_id, size=len(data), limit=self.max_size
            )
        message = Message(
            body=data,
            message_id=message_id,
            reply_to=reply_to,
            correlation_id=correlation_id,
            ttl=ttl,
        )
        self.signing.sign(message, destination_of(destination), ttl)
        return message

    # -- receiving ----------------------------------------------------------

    def admit(self, message: Message, source: Address) -> Admission:
        """Check signature and size, before anything else is read
        (:meth:`authenticate`, then :meth:`check_size`).

        ``source`` is the address the message was consumed through.
        """
        admission = self.authenticate(message, source)
        self.check_size(message)
        return admission

    def authenticate(self, message: Message, source: Address) -> Admission:
        """Who sent ``message``, consumed through ``source``.

        The signature is checked first, whatever the size: a sender that
        proves who it is hears why its message was too large; one that
        does not is never answered.

        :raises MalformedMessage: the transport could not read it.
        :raises BadSignature: unsigned (when signatures are required),
            wrongly signed, signed for another destination
            (:class:`MisdirectedMessage`) or outside its lifetime
            (:class:`StaleMessage`).
        """
        if message.unreadable:
            raise MalformedMessage(
                message_id=_id(message), reason=message.unreadable
            )
        return self.signing.admit(message, destination_of(source))

    def check_size(self, message: Message) -> None:
        """:raises MessageTooLarge: above the size limit."""
        if len(message.body) > self.max_size:
            raise MessageTooLarge(
                message_id=_id(message),
                size=len(message.body),
                limit=self.max_size,
            )

    def read_request(self, message: Message) -> Request:
        """The request in an admitted message.

        :raises MalformedMessage: if the body is not a request.
        """
        body = self._body(message)
        method, version = body.get("method"), body.get("version")
        args, context = body.get("args", {}), body.get("context", {})
        namespace = body.get("namespace")
        problem = _request_problem(method, version, args, context, namespace)
        if problem:
            raise MalformedMessage(message_id=_id(message), reason=problem)
        return Request(str(method), str(version), args, context, namespace)

    def read_reply(self, message: Message) -> Reply:
        """The reply in an admitted message.

        :raises MalformedMessage: if the body is not a reply.
        """
        body = self._body(message)
        if "error" in body:
            error = body["error"]
            if type(error) is not dict:
                raise MalformedMessage(
                    message_id=_id(message), reason="the error is not a map"
                )
            return Reply(error=error)
        if "result" not in body:
            raise MalformedMessage(
                message_id=_id(message), reason="a reply without a result"
            )
        return Reply(result=body["result"])

    def _body(self, message: Message) -> dict[str, Any]:
        try:
            body = self.codec.decode(message.body)
        except MalformedPayload as err:
            raise MalformedMessage(
                message_id=_id(message), reason=err.fields["reason"]
            ) from None
        if type(body) is not dict:
            raise MalformedMessage(
                message_id=_id(message),
                reason=f"the body is a {type(body).__name__}, not a map",
            )
        return body


def _request_problem(
    method: object,
    version: object,
    args: object,
    context: object,
    namespace: object,
) -> str | None:
    if type(method) is not str or not 0 < len(method) <= _MAX_NAME:
        return "no method name"
    if type(version) is not str:
        return f"{method}: no version"
    try:
        versions.parse(version)
    except ValueError as err:
        return f"{method}: {err}"
    if type(args) is not dict or not all(type(k) is str for k in args):
        return f"{method}: the arguments are not a map of names"
    if type(context) is not dict:
        return f"{method}: the context is not a map"
    if namespace is not None and type(namespace) is not str:
        return f"{method}: the namespace is not a string"
    return None


def _new_id() -> str:
    """A random message id: 32 hex digits, like ``uuid4().hex`` (which
    costs three times as much, for a version field nobody reads)."""
    return os.urandom(16).hex()


def _id(message: Message) -> str:
    return message.message_id[:64] or "(no id)"
