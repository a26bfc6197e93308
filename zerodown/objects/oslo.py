"""oslo.versionedobjects' own tools on zerodown objects.

zerodown objects are o.vo objects, but they live in a zerodown
:class:`~zerodown.objects.ObjectRegistry`, not in o.vo's process-wide
registry, and their primitives use the registry's serial namespace
(``zerodown_object.*``).  Two o.vo tools therefore need a bridge:

* :class:`OsloSerializer` is a
  :class:`~oslo_versionedobjects.base.VersionedObjectSerializer` - what an
  oslo.messaging ``RPCClient``/``RPCServer`` takes as ``serializer`` - that
  reads and writes zerodown objects through a registry (or a frozen
  :meth:`~zerodown.objects.ObjectRegistry.as_of` view), backported to a
  peer's versions if given.
* :func:`oslo_registered` makes a registry's classes visible to o.vo's
  registry for the duration of a ``with`` block, so the fixture's
  ``ObjectVersionChecker`` (``test_compatibility_routines`` with a
  manifest, ``test_relationships_in_order``, ``get_hashes``) can look them
  up; :func:`oslo_classes` is the ``obj_classes`` argument it takes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from oslo_versionedobjects.base import (
    VersionedObject,
    VersionedObjectRegistry,
    VersionedObjectSerializer,
)

from zerodown.objects.base import ZerodownObject
from zerodown.objects.errors import ObjectDeclarationError, UnknownObject

if TYPE_CHECKING:
    from zerodown.objects.registry import ObjectRegistry, RegistryView

__all__ = ["OsloSerializer", "oslo_classes", "oslo_registered"]


class OsloSerializer(VersionedObjectSerializer):
    """o.vo's RPC serializer for the objects of one zerodown registry.

    Objects go out as o.vo primitives (``obj_to_primitive``: JSON-safe,
    what oslo.messaging's drivers carry) and come back through
    ``registry``, upgraded to the current version (a
    :class:`~zerodown.objects.RegistryView` reads them as an old release
    would).  Lists, tuples, sets and dict values are walked as o.vo
    walks them.

    :param registry: the objects this side reads.
    :param peer_versions: the receiver's ``{name: version}`` manifest;
        when given, every object is sent backported to it.
    :raises UnknownObject: sending an object the peer does not know.
    :raises ObjectError: a typed error for a primitive it cannot read
        (zerodown does not fall back to o.vo's conductor backport here:
        give the sender the receiver's versions instead).
    """

    OBJ_BASE_CLASS = ZerodownObject

    def __init__(
        self,
        registry: ObjectRegistry | RegistryView,
        peer_versions: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.registry = registry
        self.peer_versions = dict(peer_versions) if peer_versions else None
        self._name_key = f"{registry.serial_namespace}.name"

    def serialize_entity(self, context: Any, entity: Any) -> Any:
        if isinstance(entity, ZerodownObject):
            peer = self.peer_versions
            if peer is None:
                return entity.obj_to_primitive()
            target = peer.get(entity.obj_name())
            if target is None:
                namespace = self.registry.namespace
                raise UnknownObject(
                    name=entity.obj_name(),
                    version=entity.VERSION,
                    namespace=f"{namespace} as the peer knows it",
                )
            return entity.obj_to_primitive(target, peer)
        return super().serialize_entity(context, entity)

    def deserialize_entity(self, context: Any, entity: Any) -> Any:
        if isinstance(entity, dict) and self._name_key in entity:
            return self.registry.obj_from_primitive(entity, context)
        if isinstance(entity, (tuple, list, set, dict)):
            return self._process_iterable(
                context, self.deserialize_entity, entity
            )
        return entity


def oslo_classes(
    registry: ObjectRegistry,
) -> dict[str, list[type[VersionedObject]]]:
    """``{name: [class]}``: ``ObjectVersionChecker(obj_classes=...)``."""
    return {name: [registry[name]] for name in registry}


@contextlib.contextmanager
def oslo_registered(registry: ObjectRegistry) -> Iterator[None]:
    """Put ``registry``'s classes first in o.vo's process-wide registry
    until the block ends, for o.vo tools that look classes up there
    (``obj_tree_get_versions``, which ``ObjectVersionChecker`` uses with
    a manifest).  The registry is restored afterwards, so two zerodown
    registries never meet in it.

    :raises ObjectDeclarationError: if o.vo's registry already holds
        another class of one of these names (another project's object):
        a lookup by name would then be ambiguous.
    """
    classes = VersionedObjectRegistry.obj_classes()
    for name in registry:
        theirs = [c for c in classes.get(name, ()) if c is not registry[name]]
        if theirs:
            raise ObjectDeclarationError(
                object=name,
                problem="o.vo's registry already has a class of this name "
                f"({theirs[0].__module__}.{theirs[0].__qualname__})",
            )
    saved = {name: list(classes[name]) for name in registry if name in classes}
    for name in registry:
        classes[name] = [registry[name]]
    try:
        yield
    finally:
        for name in registry:
            if name in saved:
                classes[name] = saved[name]
            else:
                classes.pop(name, None)
