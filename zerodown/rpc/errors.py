"""Errors of versioned RPC, all under :class:`RPCError`::

    RPCError                          1   versioned RPC
    ├── MessagingTimeout              1   no reply in time
    ├── TransportUnreachable          1   the broker stayed unreachable
    ├── RPCVersionCapError            1   a message above the version
    │                                     cap (nothing was sent)
    ├── InvalidVersionCap             2   a cap that is neither a
    │                                     version nor a release
    ├── RPCDeclarationError           1   an API class contradicts its
    │                                     version history
    ├── UndispatchableMessage         1   the server cannot run it (a
    │   │                                 cast goes to the dead letters)
    │   ├── UnsupportedVersion            no endpoint serves the version
    │   ├── NoSuchMethod                  a served version lacks it
    │   ├── InvalidArguments              arguments the method cannot
    │   │                                 take
    │   ├── MalformedMessage              bytes that are not a message
    │   ├── MessageTooLarge               over the size limit
    │   └── BadSignature                  missing or wrong HMAC
    │       ├── StaleMessage                  signed for a time outside
    │       │                                 its lifetime
    │       ├── MisdirectedMessage            signed for another
    │       │                                 destination
    │       └── ReplayedMessage               a signed message seen
    │                                         before
    └── RemoteError                   1   the remote method raised

Those release 2 defined in :mod:`zerodown.exceptions` keep that module
on the wire (``wire_module``, see there).
"""

from __future__ import annotations

from zerodown.exceptions import EXIT_USAGE, ZerodownError

__all__ = [
    "BadSignature",
    "InvalidArguments",
    "InvalidVersionCap",
    "MalformedMessage",
    "MessageTooLarge",
    "MessagingTimeout",
    "MisdirectedMessage",
    "NoSuchMethod",
    "RPCDeclarationError",
    "RPCError",
    "RPCVersionCapError",
    "RemoteError",
    "ReplayedMessage",
    "StaleMessage",
    "TransportUnreachable",
    "UndispatchableMessage",
    "UnsupportedVersion",
]

#: Where release 2 defined these classes: its peers look them up there.
_RELEASE_2 = "zerodown.exceptions"


class RPCError(ZerodownError, wire_module=_RELEASE_2):
    template = "rpc error: {problem}"


class MessagingTimeout(RPCError, wire_module=_RELEASE_2):
    """No reply arrived in time; the call may or may not have run."""

    template = "no reply to {method!r} from {destination} within {timeout}s"


class TransportUnreachable(RPCError, wire_module=_RELEASE_2):
    template = (
        "cannot reach the message broker at {url} ({attempts} attempts "
        "in {elapsed:.1f}s): {reason}"
    )


class RPCVersionCapError(RPCError, wire_module=_RELEASE_2):
    """Raised by the client before anything is sent."""

    template = (
        "{method!r} needs {api} version {version}, above the version cap "
        "{cap}; nothing was sent"
    )


class InvalidVersionCap(RPCError, wire_module=_RELEASE_2):
    template = (
        "version cap {value!r} for {api} is neither an X.Y version nor a "
        "known release ({known})"
    )
    exit_code = EXIT_USAGE


class RPCDeclarationError(RPCError, wire_module=_RELEASE_2):
    template = "{api}: {problem}"


class UndispatchableMessage(RPCError, wire_module=_RELEASE_2):
    """A message the server cannot run: a call gets this error as its
    answer, a cast goes to the dead-letter queue."""

    template = "cannot dispatch {method!r} {version}: {reason}"


class UnsupportedVersion(UndispatchableMessage, wire_module=_RELEASE_2):
    template = (
        "no endpoint serves version {version} of {method!r} "
        "(this server serves {served})"
    )


class NoSuchMethod(UndispatchableMessage, wire_module=_RELEASE_2):
    template = "no method {method!r} at version {version} (served: {served})"


class InvalidArguments(UndispatchableMessage, wire_module=_RELEASE_2):
    template = "{method!r} {version} cannot take these arguments: {reason}"


class MalformedMessage(UndispatchableMessage, wire_module=_RELEASE_2):
    template = "malformed message {message_id}: {reason}"


class MessageTooLarge(UndispatchableMessage, wire_module=_RELEASE_2):
    template = (
        "message {message_id} of {size} bytes exceeds the limit of {limit}"
    )


class BadSignature(UndispatchableMessage, wire_module=_RELEASE_2):
    """The message does not prove who sent it: nothing is answered."""

    template = "message {message_id} rejected: {reason}"


class StaleMessage(BadSignature):
    """Signed, but expired or dated in the future (beyond clock skew)."""


class MisdirectedMessage(BadSignature):
    """Signed for another queue or exchange than the one it came from."""


class ReplayedMessage(BadSignature):
    """A signed message this server has already taken, sent again."""


class RemoteError(RPCError, wire_module=_RELEASE_2):
    """The remote method raised an error outside zerodown's tree."""

    template = "{method!r} on {destination} raised {exc_type}: {value}"
