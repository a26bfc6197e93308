"""Object registries: which classes a service can read, and at what versions.

oslo.versionedobjects keeps one process-wide registry shared by every
project, so names collide (Nova's tests filter out os-vif's objects).  A
zerodown :class:`ObjectRegistry` belongs to one project namespace and holds
one class a name - the current version; older versions are described by the
class's :class:`~zerodown.objects.history.History`.  Two registries can live
in one process, which is how mixed-version tests run.

:meth:`ObjectRegistry.as_of` gives a read-only :class:`RegistryView` frozen
at older versions: it reads exactly the fields and enum values those
versions had and converts nothing, as an old service would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from oslo_versionedobjects.base import VersionedObjectRegistry

from zerodown.objects.base import ZerodownObject
from zerodown.objects.codecs import Codec
from zerodown.objects.errors import (
    IncompatibleVersion,
    InvalidPrimitive,
    MissingField,
    ObjectDeclarationError,
    UnknownField,
    UnknownObject,
    WrongFieldType,
)
from zerodown.objects.history import History
from zerodown.objects.plan import Plan, enum_refusals
from zerodown.objects.versions import (
    VersionTuple,
    format_version,
    parse_version,
)

if TYPE_CHECKING:
    from zerodown.objects.protocols import IndirectionAPI
    from zerodown.objects.wire import WireObject

__all__ = ["MAX_OBJECT_DEPTH", "ObjectRegistry", "RegistryView"]

LOG = logging.getLogger(__name__)
T = TypeVar("T", bound="type[ZerodownObject]")

#: The plan of a registered class.
ObjectPlan = Plan[ZerodownObject]
#: Objects nested deeper than this are refused as malformed.
MAX_OBJECT_DEPTH = 32
_ENVELOPE = ("name", "namespace", "version", "data", "changes")


class _Reader:
    """Hydration shared by a registry and its frozen views."""

    namespace: str
    serial_namespace: str
    upgrades: bool

    def _lookup(self, name: str, text: str) -> tuple[ObjectPlan, VersionTuple]:
        raise NotImplementedError

    def _class(self, name: str) -> type[ZerodownObject] | None:
        raise NotImplementedError

    def obj_from_wire(
        self, wire_object: WireObject, context: Any = None
    ) -> ZerodownObject:
        """Hydrate an object the wire codec decoded.

        :raises UnknownObject: for another namespace or an unknown name.
        :raises IncompatibleVersion: for a newer or other-major version.
        :raises InvalidPrimitive: for data that breaks the schema.
        """
        namespace, name, text, data, changes = wire_object
        if namespace != self.namespace:
            raise UnknownObject(
                name=name, version=text, namespace=self.namespace
            )
        plan, version = self._lookup(name, text)
        return plan.hydrate(
            version, text, data, changes, context, self, 1, True
        )

    def obj_from_primitive(
        self, primitive: Any, context: Any = None
    ) -> ZerodownObject:
        """Hydrate an oslo.versionedobjects primitive (a JSON-safe dict).

        Raises the same errors as :meth:`obj_from_wire`, plus
        :class:`~zerodown.objects.errors.MissingField` for a missing envelope
        key.
        """
        name, text, data, changes = self._envelope(primitive, None)
        plan, version = self._lookup(name, text)
        return plan.hydrate(
            version, text, data, changes, context, self, 1, False
        )

    def _envelope(
        self,
        primitive: Any,
        where: tuple[str, str, str] | None,
        expected: str = "an object primitive",
    ) -> tuple[str, str, Any, Any]:
        if type(primitive) is not dict:
            self._not_an_object(primitive, where, expected)
        ns = self.serial_namespace + "."
        values: dict[str, Any] = {}
        for key, value in primitive.items():
            short = None
            if type(key) is str and key.startswith(ns):
                short = key[len(ns) :]
            if short not in _ENVELOPE:
                raise UnknownField(
                    object=_name_of(primitive, ns),
                    version="?",
                    field=repr(key)[:60],
                    where=" in the primitive's envelope",
                )
            values[short] = value
        for short in _ENVELOPE[:4]:
            if short not in values:
                raise MissingField(
                    object=_name_of(primitive, ns),
                    version=str(values.get("version", "?"))[:20],
                    field=ns + short,
                )
        name, text = values["name"], values["version"]
        for short, value in (("name", name), ("version", text)):
            if type(value) is not str:
                raise WrongFieldType(
                    object="?",
                    version="?",
                    field=ns + short,
                    expected="a string",
                    got=type(value).__name__,
                )
        if values["namespace"] != self.namespace:
            raise UnknownObject(
                name=f"{values['namespace']!r:.40}.{name:.60}",
                version=text[:20],
                namespace=self.namespace,
            )
        return name, text, values["data"], values.get("changes")

    def child(
        self,
        codec: Codec,
        value: Any,
        context: Any,
        depth: int,
        wire: bool,
        where: tuple[str, str, str],
    ) -> Any:
        """Hydrate the child object(s) of one field."""
        if not codec.many:
            return self._child(codec, value, context, depth, wire, where)
        if type(value) is not list and (wire or type(value) is not tuple):
            self._not_an_object(value, where, codec.expected)
        return [
            self._child(codec, item, context, depth, wire, where)
            for item in value
        ]

    def _child(
        self,
        codec: Codec,
        value: Any,
        context: Any,
        depth: int,
        wire: bool,
        where: tuple[str, str, str],
    ) -> ZerodownObject:
        if depth >= MAX_OBJECT_DEPTH:
            raise InvalidPrimitive(
                object=where[0],
                version=where[1],
                reason=f"objects nest deeper than {MAX_OBJECT_DEPTH}",
            )
        if wire:
            # _wire_child's checks, inline: this runs for every child.
            if type(value) is list and (
                len(value) == 3
                and type(value[0]) is str
                and type(value[1]) is str
            ):
                name, text, data = value
                changes = None
            else:
                name, text, data, changes = self._wire_child(
                    value, codec, where
                )
        else:
            name, text, data, changes = self._envelope(
                value, where, codec.expected
            )
        plan, version = self._lookup(name, text)
        expected = codec.child
        if name != expected:
            base = self._class(expected) if expected else None
            if not (codec.subclasses and base and issubclass(plan.cls, base)):
                self._not_an_object(name, where, codec.expected)
        return plan.hydrate(
            version, text, data, changes, context, self, depth + 1, wire
        )

    def _wire_child(
        self, value: Any, codec: Codec, where: tuple[str, str, str]
    ) -> tuple[str, str, Any, Any]:
        if type(value) is list and len(value) in (3, 4):
            name, text = value[0], value[1]
            if type(name) is str and type(text) is str:
                changes = value[3] if len(value) == 4 else None
                return name, text, value[2], changes
        self._not_an_object(value, where, codec.expected)

    @staticmethod
    def _not_an_object(
        value: Any, where: tuple[str, str, str] | None, expected: str
    ) -> NoReturn:
        got = f"{type(value).__name__} {repr(value)[:40]}"
        if where is None:
            raise InvalidPrimitive(
                object="?", version="?", reason=f"not {expected}: {got}"
            )
        raise WrongFieldType(
            object=where[0],
            version=where[1],
            field=where[2],
            expected=expected,
            got=got,
        )


def _name_of(primitive: dict[Any, Any], ns: str) -> str:
    name = primitive.get(ns + "name")
    return name[:60] if type(name) is str else "?"


class ObjectRegistry(_Reader):
    """The object classes of one project namespace.

    ::

        REGISTRY = ObjectRegistry("myproject")

        @REGISTRY.register
        class Widget(ZerodownObject):
            VERSION = "1.1"
            history = History(...)
            fields = {...}

    ``indirection_api`` is set by a service that reaches the database only
    through another service (a compute through the conductor): remotable
    methods and backports of objects too new to read then go through it.
    """

    upgrades = True

    def __init__(
        self, namespace: str, serial_namespace: str = "zerodown_object"
    ) -> None:
        self.namespace = namespace
        self.serial_namespace = serial_namespace
        self.indirection_api: IndirectionAPI | None = None
        self._classes: dict[str, type[ZerodownObject]] = {}

    def __repr__(self) -> str:
        return f"ObjectRegistry({self.namespace!r}, {len(self)} objects)"

    def register(self, cls: T) -> T:
        """Class decorator: check ``cls`` against its history and add it.

        :raises ObjectDeclarationError: if the class has no history of its
            own, its fields and history disagree, ``VERSION`` is not the
            history's last version, or the name is taken.
        """
        name = cls.obj_name()
        if not (isinstance(cls, type) and issubclass(cls, ZerodownObject)):
            raise ObjectDeclarationError(
                object=name, problem="only ZerodownObject classes register"
            )
        known = self._classes.get(name)
        if known is not None and known is not cls:
            raise ObjectDeclarationError(
                object=name, problem=f"already registered in {self.namespace}"
            )
        history = cls.__dict__.get("history")
        if not isinstance(history, History):
            raise ObjectDeclarationError(
                object=name, problem="the class declares no history"
            )
        VersionedObjectRegistry.objectify(cls)
        history.bind(name, cls.fields, enum_refusals(cls.fields))
        if _version_of(name, cls.VERSION) != history.latest:
            raise ObjectDeclarationError(
                object=name,
                problem=f"VERSION is {cls.VERSION} but its history ends at "
                f"{format_version(history.latest)}",
            )
        cls.OBJ_PROJECT_NAMESPACE = self.namespace
        cls.OBJ_SERIAL_NAMESPACE = self.serial_namespace
        cls.obj_registry = self
        cls._zd_plan = Plan(cls, history)
        self._classes[name] = cls
        LOG.debug("registered %s %s in %s", name, cls.VERSION, self.namespace)
        return cls

    def __getitem__(self, name: str) -> type[ZerodownObject]:
        try:
            return self._classes[name]
        except KeyError:
            raise UnknownObject(
                name=name, version="any", namespace=self.namespace
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._classes))

    def __len__(self) -> int:
        return len(self._classes)

    def _class(self, name: str) -> type[ZerodownObject] | None:
        return self._classes.get(name)

    def _lookup(self, name: str, text: str) -> tuple[ObjectPlan, VersionTuple]:
        cls = self._classes.get(name)
        if cls is None:
            raise UnknownObject(
                name=name[:60], version=text[:20], namespace=self.namespace
            )
        plan: ObjectPlan = cls._zd_plan
        return plan, _readable(plan, text, plan.version)

    def versions(self) -> dict[str, str]:
        """``{name: VERSION}`` of every object: this side's manifest."""
        return {name: self._classes[name].VERSION for name in self}

    def oldest_versions(self) -> dict[str, str]:
        """``{name: first version}``: what the oldest peer could speak."""
        return {
            name: format_version(self._classes[name]._zd_plan.history.first)
            for name in self
        }

    def tree_versions(self, name: str) -> dict[str, str]:
        """Versions of ``name`` and every object it can contain."""
        found: dict[str, str] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            cls = self[current]
            found[current] = cls.VERSION
            for entry in cls._zd_plan.entries:
                child = entry.codec.child
                if child is not None:
                    pending.append(child)
                    if entry.codec.subclasses:
                        pending.extend(self._subclasses(child))
        return dict(sorted(found.items()))

    def _subclasses(self, name: str) -> list[str]:
        base = self[name]
        return [n for n, c in self._classes.items() if issubclass(c, base)]

    def as_of(self, versions: Mapping[str, str]) -> RegistryView:
        """A read-only view that reads objects as ``versions`` define them."""
        return RegistryView(self, versions)


class RegistryView(_Reader):
    """A registry frozen at older versions (see :meth:`ObjectRegistry.as_of`).

    Objects it reads carry only the fields of their version and keep that
    version in their ``VERSION``; newer versions and names outside
    ``versions`` are refused.
    """

    upgrades = False

    def __init__(
        self, registry: ObjectRegistry, versions: Mapping[str, str]
    ) -> None:
        self.registry = registry
        self.namespace = registry.namespace
        self.serial_namespace = registry.serial_namespace
        self.versions: dict[str, VersionTuple] = {}
        for name, text in versions.items():
            plan: ObjectPlan = registry[name]._zd_plan
            self.versions[name] = _readable(plan, text, plan.version)

    def _class(self, name: str) -> type[ZerodownObject] | None:
        return self.registry._class(name) if name in self.versions else None

    def _lookup(self, name: str, text: str) -> tuple[ObjectPlan, VersionTuple]:
        limit = self.versions.get(name)
        if limit is None:
            raise UnknownObject(
                name=name[:60], version=text[:20], namespace=self.namespace
            )
        plan: ObjectPlan = self.registry[name]._zd_plan
        return plan, _readable(plan, text, limit)


def _version_of(name: str, text: str) -> VersionTuple:
    try:
        return parse_version(text)
    except ValueError as err:
        raise ObjectDeclarationError(object=name, problem=str(err)) from None


def _readable(plan: Plan[Any], text: str, limit: VersionTuple) -> VersionTuple:
    version = plan.seen.get(text)
    if version is None:
        try:
            version = parse_version(text)
        except ValueError:
            raise InvalidPrimitive(
                object=plan.name,
                version=repr(text)[:20],
                reason="its version is not X.Y or X.Y.Z",
            ) from None
        if len(plan.seen) < 64:
            plan.seen[text] = version
    if version[0] != limit[0] or version > limit:
        raise IncompatibleVersion(
            object=plan.name,
            version=text,
            supported=format_version(limit),
        )
    return version
