"""Message signatures: HMAC-SHA256 bound to destination and time.

A signed message carries four headers::

    zd-sig   zd2:hmac-sha256:<hex>   the signature
    zd-ts    1767225600000           when it was signed (ms since 1970)
    zd-ttl   60000                   how long it stays valid (ms)
    zd-dest  q:compute.host-1        where it was sent (q: a queue,
                                     x: a fanout exchange)

The signature covers those values, the message id, reply queue,
correlation id and the body.  So a peer on the broker without the key
cannot forge a message, and a captured one cannot be sent to another
queue (the receiver compares ``zd-dest`` with the queue it consumed it
from) nor run after its lifetime; within its lifetime, the receiver's
replay store refuses it a second time (:mod:`~zerodown.rpc.replay`).

Keys rotate without downtime: the first key signs, every key verifies.
Give every service ``new,old``, then, once all run with it, ``new``.

:class:`Signing` is the policy of one process: its keys, its
:class:`SigningMode` and the counts an operator needs to move a live
fleet from ``off`` through ``permissive`` to ``required``.
"""

from __future__ import annotations

import dataclasses
import enum
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Sequence

from zerodown.rpc.errors import BadSignature, MisdirectedMessage, StaleMessage
from zerodown.rpc.transport.base import Address, Message

__all__ = [
    "DEST_HEADER",
    "HEADER",
    "TS_HEADER",
    "TTL_HEADER",
    "Admission",
    "Signer",
    "Signing",
    "SigningMode",
    "SigningStats",
    "destination_of",
    "generate_key",
]

#: The message header that carries the signature.
HEADER = "zd-sig"
TS_HEADER = "zd-ts"
TTL_HEADER = "zd-ttl"
DEST_HEADER = "zd-dest"
_SCHEME = "zd2:hmac-sha256:"
_OLD_SCHEME = "hmac-sha256:"
_MIN_KEY = 16
# Longer header values are refused before any work is spent on them.
_MAX_HEADER = 300
_MAX_DIGITS = 15


class SigningMode(str, enum.Enum):
    """How a process treats message signatures.

    ``off``: sign nothing, accept anything (anyone who can publish to the
    broker can call every method).  ``permissive``: sign everything and
    check every signature, but accept unsigned messages, counted and
    logged (the step between the two while a fleet is rolled).
    ``required``: refuse unsigned messages.
    """

    OFF = "off"
    PERMISSIVE = "permissive"
    REQUIRED = "required"


def generate_key() -> str:
    """A new signing key: 32 random bytes as 64 hex digits."""
    return secrets.token_hex(32)


def destination_of(address: Address) -> str:
    """How ``address`` is named in a signature."""
    return f"{'x' if address.fanout else 'q'}:{address.name}"


class Signer:
    """Sign with the first key; accept a signature by any of them."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("a Signer needs at least one key")
        self.keys = [k.encode() if isinstance(k, str) else k for k in keys]
        if any(len(key) < _MIN_KEY for key in self.keys):
            raise ValueError(
                f"signing keys must be at least {_MIN_KEY} bytes long"
            )

    def sign(
        self, message: Message, destination: str, now: float, ttl: float
    ) -> None:
        """Set ``message``'s signature headers."""
        headers = message.headers
        headers[TS_HEADER] = str(int(now * 1000))
        headers[TTL_HEADER] = str(max(1, int(ttl * 1000)))
        headers[DEST_HEADER] = destination
        headers[HEADER] = _SCHEME + _digest(self.keys[0], message)

    def check(self, message: Message) -> str | None:
        """``None`` if the signature headers are signed by a known key,
        else why not.  Never raises, whatever the headers hold."""
        given = message.headers.get(HEADER, "")
        if not isinstance(given, str) or len(given) > _MAX_HEADER:
            return "the signature header is not a signature"
        if not given.isascii():
            return "the signature header is not ASCII"
        if given.startswith(_OLD_SCHEME):
            return "an older signature format (zerodown 2): sign with zd2"
        if not given.startswith(_SCHEME):
            return "the signature is not zd2 hmac-sha256"
        problem = _header_problem(message)
        if problem:
            return problem
        signature = given[len(_SCHEME) :].encode()
        for key in self.keys:
            if hmac.compare_digest(signature, _digest(key, message).encode()):
                return None
        return "the signature does not match any configured key"


def _header_problem(message: Message) -> str | None:
    headers = message.headers
    for name in (TS_HEADER, TTL_HEADER):
        value = headers.get(name, "")
        if not (
            isinstance(value, str)
            and value.isascii()
            and value.isdigit()
            and len(value) <= _MAX_DIGITS
        ):
            return f"the {name} header is not a number of milliseconds"
    dest = headers.get(DEST_HEADER, "")
    if not (isinstance(dest, str) and dest.isascii() and dest):
        return f"the {DEST_HEADER} header is not a destination"
    if len(dest) > _MAX_HEADER:
        return f"the {DEST_HEADER} header is too long"
    return None


def _digest(key: bytes, message: Message) -> str:
    # Each part length-prefixed, then the body: one buffer, one HMAC call
    # (hmac.digest is OpenSSL's one-shot; hmac.new and an update a part
    # cost three times as much).
    headers = message.headers
    parts = [b"zd2"]
    for part in (
        message.message_id,
        message.reply_to or "",
        message.correlation_id or "",
        headers.get(DEST_HEADER, ""),
        headers.get(TS_HEADER, ""),
        headers.get(TTL_HEADER, ""),
    ):
        parts.append(part.encode("utf-8", "surrogatepass"))
    framed = b"".join(len(p).to_bytes(4, "big") + p for p in parts)
    return hmac.digest(key, framed + message.body, "sha256").hex()


@dataclasses.dataclass(frozen=True)
class Admission:
    """A message let in: whether it was signed, and until when it would
    be valid (what the replay store remembers it for)."""

    signed: bool
    expires_at: float


class SigningStats:
    """What a process accepted unsigned, refused, and skipped as a copy
    of a message it had taken already, for ``status`` and logs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.unsigned_accepted = 0
        self.duplicates = 0
        self.refused: dict[str, int] = {}

    def count_duplicate(self) -> None:
        with self._lock:
            self.duplicates += 1

    def count_unsigned(self) -> None:
        with self._lock:
            self.unsigned_accepted += 1

    def count_refused(self, reason: str) -> None:
        with self._lock:
            self.refused[reason] = self.refused.get(reason, 0) + 1

    @property
    def refused_total(self) -> int:
        with self._lock:
            return sum(self.refused.values())


class Signing:
    """One process's signing policy: mode, keys, lifetimes and counts.

    :param lifetime: seconds a message without its own time to live (a
        cast, a reply) stays valid once sent.
    :param max_skew: seconds hosts' clocks may disagree.
    """

    def __init__(
        self,
        keys: Sequence[str | bytes] = (),
        mode: SigningMode | str = SigningMode.REQUIRED,
        *,
        lifetime: float = 600.0,
        max_skew: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.mode = SigningMode(mode)
        if self.mode is not SigningMode.OFF and not keys:
            raise ValueError(
                f"signing mode {self.mode.value!r} needs at least one key"
            )
        self.signer = (
            Signer(keys) if keys and self.mode is not SigningMode.OFF else None
        )
        if lifetime <= 0 or max_skew < 0:
            raise ValueError(
                "lifetime must be positive, max_skew not negative"
            )
        self.lifetime, self.max_skew, self.clock = lifetime, max_skew, clock
        self.stats = SigningStats()

    @classmethod
    def off(cls) -> Signing:
        """No signatures at all (say so in your configuration)."""
        return cls((), SigningMode.OFF)

    def sign(
        self, message: Message, destination: str, ttl: float | None
    ) -> None:
        """Sign ``message`` for ``destination`` (a no-op when off)."""
        if self.signer is not None:
            self.signer.sign(
                message, destination, self.clock(), ttl or self.lifetime
            )

    def admit(self, message: Message, destination: str) -> Admission:
        """Check ``message``, consumed from ``destination``.

        :raises BadSignature: unsigned (when required) or wrongly signed.
        :raises MisdirectedMessage: signed for another destination.
        :raises StaleMessage: expired, or dated in the future.
        """
        now = self.clock()
        if self.signer is None or HEADER not in message.headers:
            if self.mode is SigningMode.REQUIRED:
                raise _refused(message, "the message is not signed")
            self.stats.count_unsigned()
            return Admission(False, now + self.lifetime + self.max_skew)
        problem = self.signer.check(message)
        if problem is not None:
            raise _refused(message, problem)
        headers = message.headers
        if headers[DEST_HEADER] != destination:
            raise MisdirectedMessage(
                message_id=_id(message),
                reason=f"signed for {headers[DEST_HEADER][:120]!r}, "
                f"received on {destination!r}",
            )
        sent = int(headers[TS_HEADER]) / 1000
        expires = sent + int(headers[TTL_HEADER]) / 1000
        if sent > now + self.max_skew:
            raise StaleMessage(
                message_id=_id(message),
                reason=f"signed {sent - now:.0f}s in the future",
            )
        if now > expires + self.max_skew:
            raise StaleMessage(
                message_id=_id(message),
                reason=f"expired {now - expires:.0f}s ago",
            )
        return Admission(True, expires + self.max_skew)


def _refused(message: Message, reason: str) -> BadSignature:
    return BadSignature(message_id=_id(message), reason=reason)


def _id(message: Message) -> str:
    return message.message_id[:64] or "(no id)"
