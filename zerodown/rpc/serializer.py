"""The serializer seam: how arguments and results become wire values.

RPC passes every argument and result through a serializer: objects become
:class:`~zerodown.objects.wire.WireObject` values on the way out and are
hydrated by a registry on the way in.  zerodown's
:class:`~zerodown.objects.serializer.ObjectSerializer` is one; anything
with these two methods is another (oslo.messaging's ``Serializer``
interface, so a Nova-style serializer fits as is).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "NoOpSerializer",
    "PeerAwareSerializer",
    "Serializer",
    "serializer_for_peer",
]


class Serializer(Protocol):
    """Turns entities into wire values and back."""

    def serialize_entity(self, context: Any, entity: Any) -> Any: ...

    def deserialize_entity(self, context: Any, entity: Any) -> Any: ...


@runtime_checkable
class PeerAwareSerializer(Protocol):
    """A serializer that can send in the receiver's object versions."""

    def serialize_entity(self, context: Any, entity: Any) -> Any: ...

    def deserialize_entity(self, context: Any, entity: Any) -> Any: ...

    def for_peer(self, peer_versions: Mapping[str, str]) -> Any: ...


class NoOpSerializer:
    """Leaves entities as they are (plain data only)."""

    def serialize_entity(self, context: Any, entity: Any) -> Any:
        return entity

    def deserialize_entity(self, context: Any, entity: Any) -> Any:
        return entity


def serializer_for_peer(
    serializer: Serializer, peer_versions: Mapping[str, str] | None
) -> Serializer:
    """``serializer`` sending in ``peer_versions`` when it can, else as is
    (the receiver then backports through its conductor)."""
    if peer_versions is None or not isinstance(
        serializer, PeerAwareSerializer
    ):
        return serializer
    peer: Serializer = serializer.for_peer(peer_versions)
    return peer
