"""The dead-letter queue: casts a server could not dispatch, kept for
operators instead of being acknowledged and lost.

oslo.messaging acknowledges a message before dispatching it, so a cast of
a version the server does not serve is logged and gone.  A zerodown server
publishes such a cast here (durable, with the reason, the method and
version, and the original bytes) before acknowledging it;
``zerodown rpc dead-letters`` lists them.  A call is answered with the
error instead.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import uuid
from typing import Any

from zerodown.objects.errors import MalformedPayload
from zerodown.rpc.codec import Codec, WireCodec
from zerodown.rpc.transport.base import Address, Message, Transport

__all__ = [
    "DEAD_LETTERS",
    "REFUSED",
    "DeadLetter",
    "list_dead_letters",
    "purge",
]

LOG = logging.getLogger(__name__)

#: The queue (durable; oldest entries dropped beyond its length limit).
DEAD_LETTERS = Address(
    "zerodown.dead-letters", durable=True, max_length=10_000
)
#: A sample of refused input - unsigned, forged, misdirected, expired,
#: replayed, oversized or undecodable messages - kept apart, so a flood of
#: garbage cannot push a real undispatchable cast out of the dead letters.
#: Servers store at most a few a second; the counts are in ``status``.
REFUSED = Address("zerodown.refused-messages", durable=True, max_length=1_000)
#: Bytes of the original message kept in an entry.
MAX_KEPT = 64 * 1024


@dataclasses.dataclass(frozen=True)
class DeadLetter:
    """One cast that was not dispatched, and why."""

    reason: str
    error: str
    topic: str
    server: str
    method: str
    version: str
    message_id: str
    received_at: datetime.datetime
    body: bytes
    request_id: str = "-"

    def to_wire(self) -> dict[str, Any]:
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
        }

    @classmethod
    def from_wire(cls, data: Any) -> DeadLetter:
        """:raises MalformedPayload: if ``data`` is not an entry."""
        names = {field.name for field in dataclasses.fields(cls)}
        if type(data) is not dict or not names <= data.keys():
            raise MalformedPayload(reason="not a dead-letter entry")
        values = {name: data[name] for name in names}
        if not isinstance(values["received_at"], datetime.datetime):
            raise MalformedPayload(reason="a dead letter without a time")
        if not isinstance(values["body"], bytes):
            raise MalformedPayload(reason="a dead letter without its body")
        text = {n: str(v) for n, v in values.items() if n not in _RAW}
        return cls(
            received_at=values["received_at"], body=values["body"], **text
        )


_RAW = ("received_at", "body")


def publish(
    transport: Transport,
    letter: DeadLetter,
    *,
    address: Address = DEAD_LETTERS,
    codec: Codec | None = None,
    timeout: float = 30.0,
    quiet: bool = False,
) -> None:
    """Store ``letter`` in ``address`` (confirmed by the broker before
    returning).

    :raises TransportUnreachable: if the broker stays unreachable.
    """
    codec = codec or WireCodec(max_size=2 * MAX_KEPT + 65536)
    if len(letter.body) > MAX_KEPT:
        letter = dataclasses.replace(letter, body=letter.body[:MAX_KEPT])
    message = Message(
        body=codec.encode(letter.to_wire()), message_id=uuid.uuid4().hex
    )
    transport.publish(address, message, confirm=True, timeout=timeout)
    if quiet:
        return
    LOG.warning(
        "dead-lettered cast %s %s (message %s on %s): %s",
        letter.method,
        letter.version,
        letter.message_id,
        letter.topic,
        letter.error,
    )


def list_dead_letters(
    transport: Transport,
    limit: int = 100,
    codec: Codec | None = None,
    address: Address = DEAD_LETTERS,
) -> list[DeadLetter]:
    """Up to ``limit`` entries of ``address``, oldest first, left in the
    queue.

    Entries that do not decode are skipped (and logged).
    """
    codec = codec or WireCodec(max_size=2 * MAX_KEPT + 65536)
    letters = []
    for message in transport.peek(address, limit):
        try:
            letters.append(DeadLetter.from_wire(codec.decode(message.body)))
        except MalformedPayload as err:
            LOG.warning("skipping unreadable dead letter: %s", err)
    return letters


def purge(transport: Transport, address: Address = DEAD_LETTERS) -> int:
    """Drop every entry of ``address``; return how many there were."""
    return transport.purge(address)
