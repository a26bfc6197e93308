"""The interfaces the objects modules see each other through.

The modules stack in one direction: :mod:`~zerodown.objects.plan` (the
field walk) under :mod:`~zerodown.objects.base` (``ZerodownObject``) under
:mod:`~zerodown.objects.registry` under
:mod:`~zerodown.objects.indirection` and
:mod:`~zerodown.objects.serializer`.  Where a lower module must name what a
higher one builds - a plan its object class, an object its registry, a
registry the indirection API a service sets on it - it names one of these
protocols instead, so no import (not even one for types) runs upwards.
This module imports nothing above the wire format.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol, runtime_checkable

from zerodown.objects.codecs import Codec
from zerodown.objects.wireformat import WireObject

__all__ = ["IndirectionAPI", "Registry", "Resolver", "Versioned"]

Versions = Mapping[str, str]


class Versioned(Protocol):
    """What a plan needs of the object class it walks (a
    :class:`~zerodown.objects.base.ZerodownObject`)."""

    VERSION: str
    OBJ_SERIAL_NAMESPACE: str
    OBJ_PROJECT_NAMESPACE: str
    fields: MutableMapping[str, Any]

    def __init__(self, context: Any = None, **kwargs: Any) -> None: ...

    @classmethod
    def obj_name(cls) -> str: ...


class Resolver(Protocol):
    """Where a plan finds the classes of child objects (a registry)."""

    upgrades: bool

    def child(
        self,
        codec: Codec,
        value: Any,
        context: Any,
        depth: int,
        wire: bool,
        where: tuple[str, str, str],
    ) -> Any: ...


@runtime_checkable
class IndirectionAPI(Protocol):
    """The calls a service without a database makes on its conductor
    (implementations subclass it, as they did when it was an ABC; see
    :mod:`~zerodown.objects.indirection`)."""

    @abc.abstractmethod
    def object_backport_versions(
        self, context: Any, objinst: WireObject, object_versions: Versions
    ) -> Any:
        """Return ``objinst`` backported to ``object_versions``: a
        :class:`WireObject` or the object it hydrates to."""

    @abc.abstractmethod
    def object_class_action_versions(
        self,
        context: Any,
        objname: str,
        objmethod: str,
        object_versions: Versions,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Run the remotable classmethod ``objname.objmethod``; objects in
        the result come back in ``object_versions``."""

    @abc.abstractmethod
    def object_action(
        self,
        context: Any,
        objinst: Any,
        objmethod: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        object_versions: Versions,
    ) -> tuple[dict[str, Any], Any]:
        """Run the remotable method on a copy of ``objinst`` (a
        ``ZerodownObject``); return ``(updates, result)``: the fields that
        changed, in wire form at the caller's version, plus
        ``"obj_what_changed"``."""


class Registry(Resolver, Protocol):
    """What an object class and its remotable methods need of the
    registry it is registered in (an
    :class:`~zerodown.objects.registry.ObjectRegistry`)."""

    namespace: str
    serial_namespace: str
    indirection_api: IndirectionAPI | None

    def obj_from_wire(
        self, wire_object: WireObject, context: Any = None
    ) -> Any: ...

    def obj_from_primitive(
        self, primitive: Any, context: Any = None
    ) -> Any: ...

    def tree_versions(self, name: str) -> dict[str, str]: ...
