"""The RPC serializer: objects in arguments and results to wire form and
back, backported on the sending side when the receiver's versions are known.

oslo.versionedobjects always sends an object at its current version; an
older receiver then asks the conductor to backport it, one synchronous
round trip per object.  :class:`ObjectSerializer` made ``for_peer`` with the
receiver's version manifest (which the RPC layer learns from the services
table or a handshake) sends objects already in those versions.  Without
one, it sends current versions, and on receipt falls back to the
conductor's ``object_backport_versions`` as Nova does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from zerodown.objects.base import ZerodownObject
from zerodown.objects.errors import IncompatibleVersion, UnknownObject
from zerodown.objects.wire import WireObject

if TYPE_CHECKING:
    from zerodown.objects.registry import ObjectRegistry

__all__ = ["ObjectSerializer"]

LOG = logging.getLogger(__name__)


class ObjectSerializer:
    """Turn objects into :class:`WireObject` values and back.

    :param registry: the objects this side reads.
    :param peer_versions: the receiver's ``{name: version}`` manifest; when
        given, every object is sent backported to it.
    """

    def __init__(
        self,
        registry: ObjectRegistry,
        peer_versions: Mapping[str, str] | None = None,
    ) -> None:
        self.registry = registry
        self.peer_versions = dict(peer_versions) if peer_versions else None

    def for_peer(self, peer_versions: Mapping[str, str]) -> ObjectSerializer:
        """A serializer that sends in ``peer_versions``."""
        return ObjectSerializer(self.registry, peer_versions)

    def serialize_entity(self, context: Any, entity: Any) -> Any:
        """``entity`` with every object (in lists, tuples and dict values)
        replaced by its :class:`WireObject`.

        :raises UnknownObject: if the receiver does not know an object.
        :raises UnrepresentableValue: if its version cannot carry a value.
        """
        if isinstance(entity, ZerodownObject):
            return self._to_wire(entity)
        kind = type(entity)
        if kind is list or kind is tuple:
            return [self.serialize_entity(context, item) for item in entity]
        if kind is dict:
            return {
                key: self.serialize_entity(context, value)
                for key, value in entity.items()
            }
        return entity

    def _to_wire(self, obj: ZerodownObject) -> WireObject:
        peer = self.peer_versions
        if peer is None:
            return obj.obj_to_wire()
        target = peer.get(obj.obj_name())
        if target is None:
            raise UnknownObject(
                name=obj.obj_name(),
                version=obj.VERSION,
                namespace=f"{obj.OBJ_PROJECT_NAMESPACE} as the peer knows it",
            )
        return obj.obj_to_wire(target, peer)

    def deserialize_entity(self, context: Any, entity: Any) -> Any:
        """``entity`` with every :class:`WireObject` hydrated.

        An object newer than this side reads goes to the registry's
        indirection API to be backported, if one is set.

        :raises ObjectError: a typed error for anything unreadable.
        """
        kind = type(entity)
        if kind is WireObject:
            return self._from_wire(context, entity)
        if kind is list:
            return [self.deserialize_entity(context, item) for item in entity]
        if kind is dict:
            return {
                key: self.deserialize_entity(context, value)
                for key, value in entity.items()
            }
        return entity

    def _from_wire(self, context: Any, wire_object: WireObject) -> Any:
        registry = self.registry
        try:
            return registry.obj_from_wire(wire_object, context)
        except IncompatibleVersion as err:
            api = registry.indirection_api
            if api is None or wire_object.name not in registry:
                raise
            versions = registry.tree_versions(wire_object.name)
            LOG.info(
                "%s; asking the conductor to backport %s to %s",
                err,
                wire_object.name,
                versions[wire_object.name],
            )
            answer = api.object_backport_versions(
                context, wire_object, versions
            )
            if isinstance(answer, WireObject):
                return registry.obj_from_wire(answer, context)
            return answer
