"""``ZerodownObject``: an oslo.versionedobjects object with a history.

A subclass declares fields as in o.vo, its version history beside them,
and registers with its project's :class:`~zerodown.objects.ObjectRegistry`::

    @REGISTRY.register
    class NUMAPagesTopology(ZerodownObject):
        VERSION = "1.1"
        history = History(
            Change("1.0", "initial", added=["size_kb", "total", "used"]),
            Change("1.1", "pages held back from guests", added=["reserved"]),
        )
        fields = {
            "size_kb": fields.IntegerField(),
            "total": fields.IntegerField(),
            "used": fields.IntegerField(default=0),
            "reserved": fields.IntegerField(default=0),
        }

It stays a :class:`~oslo_versionedobjects.base.VersionedObject` - same
properties, dirty tracking and ``obj_*`` methods - but serializes through
its compiled :class:`~zerodown.objects.plan.Plan`, backports by undoing its
history, and upgrades older data it reads to the current version, so an
object never claims a version its content does not match.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from oslo_versionedobjects.base import VersionedObject

from zerodown.objects.errors import InvalidPrimitive, MalformedPayload
from zerodown.objects.plan import child_primitive, plan_of
from zerodown.objects.wire import WireObject

if TYPE_CHECKING:
    from typing import Self

    from zerodown.objects.history import History
    from zerodown.objects.plan import Plan
    from zerodown.objects.protocols import Registry

__all__ = ["ZerodownObject"]


class ZerodownObject(VersionedObject):
    """Base class of versioned objects with a declarative history."""

    VERSION = "1.0"
    OBJ_SERIAL_NAMESPACE = "zerodown_object"
    OBJ_PROJECT_NAMESPACE = "zerodown"

    #: The class's version history (declared by each subclass).
    history: ClassVar[History]
    #: The registry the class is registered in (set by ``register``).
    obj_registry: ClassVar[Registry]
    _zd_plan: ClassVar[Plan[ZerodownObject]]

    if TYPE_CHECKING:
        # Fields are properties made at registration, invisible to mypy;
        # declare ``name: type`` in a subclass body for stricter checks.
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    # -- identity and comparison ------------------------------------------

    def obj_attr_is_set(self, attrname: str) -> bool:
        """Whether ``attrname`` has a value (o.vo's, without a list scan)."""
        if (
            attrname not in self.fields
            and attrname not in self.obj_extra_fields
        ):
            raise AttributeError(
                f"{self.obj_name()} object has no attribute {attrname!r}"
            )
        return "_obj_" + attrname in self.__dict__

    def __eq__(self, other: object) -> bool:
        """Equal when of the same class with the same version and data.

        Unlike o.vo's ``ComparableVersionedObject``, which fields are marked
        changed does not matter.  Hashing stays by identity, as in o.vo.
        """
        if not isinstance(other, ZerodownObject):
            return NotImplemented
        if type(self) is not type(other):
            return False
        mine = self._zd_plan.encode_wire(self, None, None)
        theirs = other._zd_plan.encode_wire(other, None, None)
        return mine[:2] == theirs[:2]

    __hash__ = VersionedObject.__hash__

    # -- writing ------------------------------------------------------------

    def obj_to_primitive(
        self,
        target_version: str | None = None,
        version_manifest: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The JSON-safe o.vo primitive, backported if asked.

        :param target_version: the version to produce (default: current).
        :param version_manifest: ``{name: version}`` for child objects;
            children whose name is absent stay at their version.
        :raises UnrepresentableValue: if a value cannot be carried.
        :raises InvalidTargetVersion: if the target is newer.
        """
        return plan_of(self).encode_primitive(
            self, target_version, version_manifest
        )

    def obj_to_wire(
        self,
        target_version: str | None = None,
        version_manifest: Mapping[str, str] | None = None,
    ) -> WireObject:
        """The object in the compact form :mod:`~zerodown.objects.wire`
        encodes; arguments as for :meth:`obj_to_primitive`."""
        plan = plan_of(self)
        text, data, changes = plan.encode_wire(
            self, target_version, version_manifest
        )
        return WireObject(
            self.OBJ_PROJECT_NAMESPACE, plan.name, text, data, changes
        )

    def obj_make_compatible(
        self, primitive: dict[str, Any], target_version: str
    ) -> None:
        """o.vo API: turn primitive *data* of this object into data of
        ``target_version``, children through the stashed manifest."""
        plan = plan_of(self)
        source = plan.source(self)[0]
        target = plan.target(target_version)
        absent = plan.at(target).absent_children
        manifest = getattr(self, "_obj_version_manifest", None)
        if manifest:
            for entry in plan.entries:
                name = entry.name
                if entry.codec.child is None or name not in primitive:
                    continue
                value = self.__dict__.get(entry.attr)
                if value is None or name in absent:
                    continue
                if entry.codec.many:
                    primitive[name] = [
                        child_primitive(v, manifest) for v in value
                    ]
                else:
                    primitive[name] = child_primitive(value, manifest)
        if target != source:
            plan.history.backport(primitive, source, target)

    # -- reading ------------------------------------------------------------

    @classmethod
    def obj_from_primitive(
        cls, primitive: dict[str, Any], context: Any = None
    ) -> Self:
        """Read an o.vo primitive through this class's registry.

        An older version is upgraded to the current one.  The result must
        be an instance of ``cls``.

        :raises ObjectError: a typed error for any bad input.
        """
        obj = cls._registry().obj_from_primitive(primitive, context)
        return cls._expect(obj)

    @classmethod
    def obj_from_wire(
        cls, wire_object: WireObject, context: Any = None
    ) -> Self:
        """Read a :class:`~zerodown.objects.wire.WireObject`."""
        obj = cls._registry().obj_from_wire(wire_object, context)
        return cls._expect(obj)

    @classmethod
    def obj_from_stored(
        cls, stored: str | bytes | Mapping[str, Any], context: Any = None
    ) -> Self:
        """Read a stored blob: JSON text or a mapping, either a versioned
        primitive or a legacy shape the class knows
        (:meth:`obj_from_legacy`).  The result is at the current version.

        :raises MalformedPayload: for text that is not JSON.
        """
        data: Any = stored
        if isinstance(stored, (str, bytes)):
            try:
                data = json.loads(stored)
            except (ValueError, RecursionError) as err:
                raise MalformedPayload(
                    reason=f"stored {cls.obj_name()} is not JSON: {err}"
                ) from None
        registry = cls._registry()
        key = registry.serial_namespace + ".name"
        if isinstance(data, dict) and key in data:
            return cls.obj_from_primitive(data, context)
        return cls.obj_from_legacy(data, context)

    @classmethod
    def obj_from_legacy(cls, data: Any, context: Any = None) -> Self:
        """Convert an unversioned legacy shape; override where one exists.

        :raises MalformedPayload: by default: the class has none.
        """
        raise MalformedPayload(
            reason=f"{cls.obj_name()} has no legacy format to read "
            f"{type(data).__name__} from"
        )

    @classmethod
    def _registry(cls) -> Registry:
        registry = cls.__dict__.get("obj_registry") or getattr(
            cls, "obj_registry", None
        )
        if registry is None:
            raise TypeError(
                f"{cls.__name__} is not registered: read through a registry"
            )
        return cast("Registry", registry)

    @classmethod
    def _expect(cls, obj: ZerodownObject) -> Self:
        if not isinstance(obj, cls):
            raise InvalidPrimitive(
                object=obj.obj_name(),
                version=obj.VERSION,
                reason=f"read as {cls.obj_name()}, which it is not",
            )
        return obj
