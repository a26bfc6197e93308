"""Where a message goes, and which version of an API it speaks."""

from __future__ import annotations

import dataclasses
import re

from zerodown.rpc import versions
from zerodown.rpc.transport.base import Address

__all__ = ["Target", "listen_addresses", "send_address"]

# Names end up in queue and exchange names on every transport.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,119}")


@dataclasses.dataclass(frozen=True)
class Target:
    """The address and version of an RPC message or endpoint.

    On the client, ``topic`` (and ``server`` to reach one host, or
    ``fanout`` to reach every server of the topic) says where a message
    goes and ``version`` which API version it needs.  On the server,
    ``version`` is the newest version an endpoint implements.
    ``namespace`` separates APIs served on one topic (the object
    indirection API beside a conductor's own).

    ``durable`` topics keep casts across a broker restart: their queues
    are durable (quorum queues on RabbitMQ) and their casts persistent and
    confirmed by the broker.  ``confirmed`` topics keep their queues as
    they are (transient: durability cannot change while older servers
    declare them) but their casts are held until the broker has put them
    in a queue, and published again after a lost connection or while the
    queue is missing, up to the client's ``cast_timeout``: a cast in
    flight when the broker stops, or sent before its servers declared
    their queue again, is not lost.
    """

    topic: str = ""
    server: str | None = None
    version: str | None = None
    fanout: bool = False
    namespace: str | None = None
    durable: bool = False
    confirmed: bool = False

    def __post_init__(self) -> None:
        for name in ("topic", "server", "namespace"):
            value = getattr(self, name)
            if value and not _NAME.fullmatch(value):
                raise ValueError(f"bad {name} {value!r} in a Target")
        if self.version is not None:
            versions.parse(self.version)
        if self.fanout and self.server:
            raise ValueError("a fanout Target cannot name a server")

    def replace(self, **changes: object) -> Target:
        """A copy with ``changes`` applied (``None`` values ignored)."""
        given = {k: v for k, v in changes.items() if v is not None}
        if not given:
            return self  # frozen: every call's prepare() lands here
        return dataclasses.replace(self, **given)  # type: ignore[arg-type]

    @property
    def destination(self) -> str:
        """Human-readable destination, for errors and logs."""
        if self.fanout:
            return f"{self.topic} (fanout)"
        if self.server:
            return f"{self.topic}.{self.server}"
        return self.topic


def send_address(target: Target) -> Address:
    """Where a message for ``target`` is published."""
    if target.fanout:
        return Address(f"{target.topic}_fanout", fanout=True)
    if target.server:
        return Address(
            f"{target.topic}.{target.server}", durable=target.durable
        )
    return Address(target.topic, durable=target.durable)


def listen_addresses(target: Target) -> list[Address]:
    """What a server of ``target`` consumes: the topic, its own queue
    (when it has a name) and the topic's fanout."""
    found = [send_address(target.replace(server=""))]
    if target.server:
        found.append(send_address(target))
    found.append(send_address(target.replace(fanout=True, server="")))
    return found
