"""HMAC-SHA256 signatures over messages, with key rotation.

With keys configured, every message is signed and a message whose
signature is missing or wrong is rejected before its body is decoded, so a
peer on the broker without the key can neither inject a call nor forge a
reply.  The signature covers the body and the properties that route it
(message id, reply queue, correlation id).

Rotate a key in two steps: give every service ``new,old`` (sign with new,
accept both), then, once all run with it, drop ``old``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from zerodown.rpc.transport.base import Message

__all__ = ["HEADER", "Signer"]

#: The message header that carries the signature.
HEADER = "zd-sig"
_PREFIX = "hmac-sha256:"


class Signer:
    """Sign with the first key; accept a signature by any of them."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("a Signer needs at least one key")
        self.keys = [k.encode() if isinstance(k, str) else k for k in keys]
        if any(len(key) < 16 for key in self.keys):
            raise ValueError("signing keys must be at least 16 bytes long")

    def sign(self, message: Message) -> None:
        """Set ``message``'s signature header."""
        message.headers[HEADER] = _PREFIX + _digest(self.keys[0], message)

    def check(self, message: Message) -> str | None:
        """``None`` if ``message`` is signed by a known key, else why not."""
        given = message.headers.get(HEADER)
        if not given:
            return "the message is not signed"
        if not given.startswith(_PREFIX):
            return "the signature is not hmac-sha256"
        signature = given[len(_PREFIX) :]
        for key in self.keys:
            if hmac.compare_digest(signature, _digest(key, message)):
                return None
        return "the signature does not match any configured key"


def _digest(key: bytes, message: Message) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in (
        message.message_id,
        message.reply_to or "",
        message.correlation_id or "",
    ):
        encoded = part.encode()
        mac.update(len(encoded).to_bytes(4, "big"))
        mac.update(encoded)
    mac.update(message.body)
    return mac.hexdigest()
