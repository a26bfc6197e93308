"""The compiled field walk of one object class.

oslo.versionedobjects serializes by walking ``fields`` generically: for each
field it asks ``obj_attr_is_set`` (a linear scan of a freshly built list),
calls the field's ``to_primitive`` through two layers of dispatch and, on
the way in, runs every value through the property setter and ``coerce``.
A :class:`Plan` does that work once per class: the fields in sorted order,
each with its storage attribute and the plain functions of its
:class:`~zerodown.objects.codecs.Codec`.  Encoding reads the instance
``__dict__`` directly; decoding writes it directly after an exact type
check, so a hydrated object is the same o.vo object, built faster.

Per version, :meth:`Plan.at` gives the decoders of the fields that version
has, with enum values that did not exist yet refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from oslo_versionedobjects import fields as ovo
from oslo_versionedobjects.base import VersionedObject

from zerodown.objects.codecs import Codec, Decoder, Mismatch, codec_for
from zerodown.objects.errors import (
    IncompatibleVersion,
    InvalidPrimitive,
    InvalidTargetVersion,
    ObjectDeclarationError,
    UnencodableValue,
    UnknownField,
    WrongFieldType,
)
from zerodown.objects.fields import VersionedEnum
from zerodown.objects.history import History, Refusal
from zerodown.objects.protocols import Resolver, Versioned
from zerodown.objects.versions import (
    VersionTuple,
    format_version,
    parse_version,
)
from zerodown.objects.wireformat import CanonicalData, plain_height

__all__ = ["Plan", "Resolver", "VersionPlan", "enum_refusals", "plan_of"]

Manifest = Mapping[str, str]
#: How a version decodes one field: attribute, decoder (None for child
#: objects), nullable, codec, and the type that passes unchanged.
Slot = tuple[str, Decoder | None, bool, Codec, type | None]
# kinds of an encoded field (an opaque value: of a codec whose wire
# values have no known shape)
_VALUE, _OBJECT, _OBJECTS, _OPAQUE = 0, 1, 2, 3
#: The height of data whose shape the plan cannot vouch for: the encoder
#: walks it.
UNKNOWN_HEIGHT = 1 << 30
#: How encode() walks one form: the fields' ``(name, attribute, encoder,
#: kind)``, and the encoders of a child object and of a list of them, each
#: giving the encoded value and the height of its data.
ChildEncoder = Callable[[Any, Manifest | None], tuple[Any, int]]
Walk = tuple[tuple[tuple[str, str, Any, int], ...], ChildEncoder, ChildEncoder]
# o.vo's own __init__: a class that keeps it needs no call to hydrate.
_PLAIN_INIT: Any = VersionedObject.__init__
#: The object class a plan walks (a ZerodownObject subclass).
ObjT = TypeVar("ObjT", bound=Versioned)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One field of a version: its storage and how to decode it."""

    name: str
    attr: str
    wire: Decoder | None
    primitive: Decoder | None
    nullable: bool
    codec: Codec


@dataclasses.dataclass(frozen=True)
class VersionPlan:
    """The decoders of the fields one version has."""

    version: VersionTuple
    text: str
    fields: frozenset[str]
    wire: Mapping[str, Slot]
    primitive: Mapping[str, Slot]
    #: Child-object fields the version does not have.
    absent_children: frozenset[str] = frozenset()


def enum_refusals(fields: Mapping[str, ovo.Field[Any]]) -> list[Refusal]:
    """The "value too new for version X" rules of ``fields``' enums."""
    found = []
    for name, field in sorted(fields.items()):
        ftype, many = field._type, False
        if isinstance(ftype, ovo.List):
            ftype, many = ftype._element_type._type, True
        if isinstance(ftype, VersionedEnum):
            for value, version in sorted(ftype.since.items()):
                found.append(
                    Refusal(
                        name, frozenset({value}), many, parse_version(version)
                    )
                )
    return found


class Plan(Generic[ObjT]):
    """Field walk, backport and hydration of one registered class."""

    def __init__(self, cls: type[ObjT], history: History) -> None:
        self.cls = cls
        self.name = cls.obj_name()
        self.history = history
        self.version = parse_version(cls.VERSION)
        self.text = format_version(self.version)
        self.entries = tuple(
            self._entry(name, field)
            for name, field in sorted(cls.fields.items())
        )
        self._many_enums = {
            n for n, f in cls.fields.items() if isinstance(f._type, ovo.List)
        }
        # What encode() walks per form: the fields' encoders, and how a
        # child object and a list of them are encoded.
        self._walk_wire: Walk = (
            tuple(self._encoder(e, True) for e in self.entries),
            _child_entry,
            _child_entries,
        )
        self._walk_primitive: Walk = (
            tuple(self._encoder(e, False) for e in self.entries),
            _child_primitive_entry,
            _child_primitive_entries,
        )
        # Levels of the data of this class without its children (an
        # upper bound over all its value fields).
        self._height = 1 + max(
            (e.codec.height or 0 for e in self.entries),
            default=0,
        )
        self._at: dict[VersionTuple, VersionPlan] = {}
        # Hydration may skip __init__ unless a subclass does work in it.
        self._plain_init = cls.__init__ is _PLAIN_INIT
        self._targets: dict[str, VersionTuple] = {}
        #: Version strings read so far, parsed (bounded: peers send few).
        self.seen: dict[str, VersionTuple] = {}

    def _entry(self, name: str, field: ovo.Field[Any]) -> Entry:
        try:
            codec = codec_for(field)
        except TypeError as err:
            raise ObjectDeclarationError(
                object=self.name, problem=f"field {name}: {err}"
            ) from err
        child = codec.child is not None
        return Entry(
            name,
            "_obj_" + name,
            None if child else codec.from_wire,
            None if child else codec.from_primitive,
            field.nullable,
            codec,
        )

    @staticmethod
    def _encoder(entry: Entry, wire: bool) -> tuple[str, str, Any, int]:
        codec = entry.codec
        if codec.child is not None:
            kind = _OBJECTS if codec.many else _OBJECT
            return entry.name, entry.attr, kind, kind
        enc = codec.to_wire if wire else codec.to_primitive
        if wire and codec.height is None:
            return entry.name, entry.attr, enc or _same, _OPAQUE
        return entry.name, entry.attr, enc, _VALUE

    # -- versions -----------------------------------------------------------

    def at(self, version: VersionTuple) -> VersionPlan:
        """The decoders of ``version`` (which must be in the history)."""
        plan = self._at.get(version)
        if plan is None:
            plan = self._at[version] = self._compile(version)
        return plan

    def _compile(self, version: VersionTuple) -> VersionPlan:
        names = self.history.fields_at(version)
        too_new = self.history.too_new(version)
        text = format_version(version)
        wire, prim = {}, {}
        for e in self.entries:
            if e.name not in names:
                continue
            bad = too_new.get(e.name)
            w, p = e.wire, e.primitive
            if bad and w is not None and p is not None:
                many = e.name in self._many_enums
                w, p = (_restrict(d, bad, many, text) for d in (w, p))
            exact = None if bad else e.codec.exact
            wire[e.name] = (e.attr, w, e.nullable, e.codec, exact)
            prim[e.name] = (e.attr, p, e.nullable, e.codec, exact)
        absent = frozenset(
            e.name
            for e in self.entries
            if e.codec.child is not None and e.name not in names
        )
        return VersionPlan(version, text, names, wire, prim, absent)

    def target(self, text: str) -> VersionTuple:
        """Parse a target version (cached: targets come from manifests)."""
        version = self._targets.get(text)
        if version is None:
            try:
                version = parse_version(text)
            except ValueError:
                raise InvalidTargetVersion(
                    object=self.name, version=text, current=self.text
                ) from None
            if len(self._targets) < 64:
                self._targets[text] = version
        return version

    def source(self, obj: ObjT) -> tuple[VersionTuple, str]:
        """The version ``obj`` holds data of (older if read by a view)."""
        text = obj.__dict__.get("VERSION")
        if text is None:
            return self.version, self.text
        return parse_version(text), text

    def _target(
        self, obj: ObjT, target: str | None
    ) -> tuple[VersionTuple, VersionTuple | None, str]:
        """``(source, older target or None, version text to send)``."""
        version, text = self.source(obj)
        if target is None or target == text:
            return version, None, text
        wanted = self.target(target)
        if wanted == version:
            return version, None, text
        if wanted[0] != version[0]:
            raise IncompatibleVersion(
                object=self.name, version=target, supported=text
            )
        if wanted > version:
            if wanted <= self.version:
                # Data read at an older version, asked for a newer one the
                # class knows: send it as it is; the reader upgrades it
                # (the case of Nova's bug 1596119).
                return version, None, text
            raise InvalidTargetVersion(
                object=self.name, version=target, current=text
            )
        return version, wanted, format_version(wanted)

    def _absent(self, wanted: VersionTuple | None) -> frozenset[str]:
        # Child objects the target version has no field for are not
        # encoded at all: no work, and no refusal of a value that would
        # be dropped anyway.  (Steps never look into child objects.)
        if wanted is None:
            return frozenset()
        return self.at(wanted).absent_children

    # -- encoding -----------------------------------------------------------

    def encode_wire(
        self,
        obj: ObjT,
        target: str | None,
        manifest: Manifest | None,
    ) -> tuple[str, dict[str, Any], list[str] | None]:
        """``(version, data, changes)`` of ``obj`` in wire form.

        ``data`` is :class:`~zerodown.objects.wireformat.CanonicalData`:
        its fields in sorted order, its values plain, and its height the
        levels its values and children take.
        """
        text, data, changes, height = self.encode(obj, target, manifest, True)
        canonical = CanonicalData(data)
        canonical.height = height
        return text, canonical, changes

    def encode(
        self,
        obj: ObjT,
        target: str | None,
        manifest: Manifest | None,
        wire: bool,
    ) -> tuple[str, dict[str, Any], list[str] | None, int]:
        """``(version, data, changes, height)`` of ``obj``: the one walk
        of its fields for both forms, wire (children as
        ``[name, version, data]`` lists, opaque values measured) or o.vo
        primitive (children as primitives).  ``height`` is the levels the
        data takes (wire form only)."""
        source, wanted, text = self._target(obj, target)
        absent = self._absent(wanted)
        table, one, many = self._walk_wire if wire else self._walk_primitive
        d = obj.__dict__
        data: dict[str, Any] = {}
        height = self._height
        for name, attr, enc, kind in table:
            if attr in d:
                value = d[attr]
                if value is None or enc is None:
                    data[name] = value
                elif kind == _VALUE:
                    data[name] = enc(value)
                elif name in absent:
                    continue
                elif kind == _OBJECT:
                    # in wire form [name, version, data] under this data
                    data[name], below = one(value, manifest)
                    if below + 2 > height:
                        height = below + 2
                elif kind == _OBJECTS:
                    data[name], below = many(value, manifest)
                    if below + 3 > height:
                        height = below + 3
                else:
                    value = data[name] = enc(value)
                    height = max(height, _value_height(value))
        if wanted is not None:
            if wire and self.history.has_steps(source, wanted):
                # A step may rewrite values: keep the data as it was to
                # see which (copying it only when a step will run).
                before = dict(data)
                self.history.backport(data, source, wanted)
                data, height = self._after_steps(data, before, height)
            else:
                self.history.backport(data, source, wanted)
        changed = d.get("_changed_fields")
        if changed:
            changes = sorted(c for c in changed if c in data) or None
            return text, data, changes, height
        return text, data, None, height

    def _after_steps(
        self, data: dict[str, Any], before: dict[str, Any], height: int
    ) -> tuple[dict[str, Any], int]:
        # A step may leave fields in any order and values of any shape:
        # sort the fields again, measure the values it wrote (children
        # are not a step's business).
        keys = list(data)
        if keys != sorted(keys):
            data = {key: data[key] for key in sorted(keys)}
        for key, value in data.items():
            if value is not before.get(key, _ABSENT):
                height = max(height, _value_height(value))
        return data, height

    def encode_primitive(
        self,
        obj: ObjT,
        target: str | None,
        manifest: Manifest | None,
    ) -> dict[str, Any]:
        """The oslo.versionedobjects primitive of ``obj``."""
        text, data, changes, _ = self.encode(obj, target, manifest, False)
        ns = obj.OBJ_SERIAL_NAMESPACE
        primitive = {
            ns + ".name": self.name,
            ns + ".namespace": obj.OBJ_PROJECT_NAMESPACE,
            ns + ".version": text,
            ns + ".data": data,
        }
        if changes:
            primitive[ns + ".changes"] = changes
        return primitive

    # -- decoding -----------------------------------------------------------

    def hydrate(
        self,
        version: VersionTuple,
        text: str,
        data: dict[str, Any],
        changes: Any,
        context: Any,
        resolver: Resolver,
        depth: int,
        wire: bool,
    ) -> ObjT:
        """Build an instance from the checked envelope of ``version``."""
        if type(data) is not dict and type(data) is not CanonicalData:
            raise InvalidPrimitive(
                object=self.name,
                version=text,
                reason=f"its data is {type(data).__name__}, not a mapping",
            )
        plan = self.at(version)
        if version != self.version and resolver.upgrades:
            self._check_values(plan, data, wire)
            data = dict(data)
            self.history.upgrade(data, version, self.version)
            plan = self.at(self.version)
        if self._plain_init:
            obj = self.cls.__new__(self.cls)
            od = obj.__dict__
            od["_changed_fields"] = set()
            od["_context"] = context
        else:
            obj = self.cls(context)
            od = obj.__dict__
        table = plan.wire if wire else plan.primitive
        self._fill(od, table, data, plan.text, context, resolver, depth, wire)
        if changes is not None:
            od["_changed_fields"] = self._changes(plan, text, changes)
        if not resolver.upgrades and version != self.version:
            od["VERSION"] = text
        return obj

    def assign(
        self,
        obj: ObjT,
        data: Mapping[str, Any],
        context: Any,
        resolver: Resolver,
    ) -> None:
        """Set fields of ``obj`` from wire-form ``data`` of its version
        (the updates a remote method call sends back)."""
        plan = self.at(self.source(obj)[0])
        self._fill(
            obj.__dict__,
            plan.wire,
            data,
            plan.text,
            context,
            resolver,
            1,
            True,
        )

    def _fill(
        self,
        od: dict[str, Any],
        table: Mapping[str, Slot],
        data: Mapping[str, Any],
        text: str,
        context: Any,
        resolver: Resolver,
        depth: int,
        wire: bool,
    ) -> None:
        for key, value in data.items():
            entry = table.get(key)
            if entry is None:
                raise UnknownField(
                    object=self.name, version=text, field=key, where=""
                )
            if type(value) is entry[4]:
                # the common case: a value of the exact type, no decoder
                od[entry[0]] = value
                continue
            attr, dec, nullable, codec, _ = entry
            if value is None:
                if not nullable:
                    raise self._wrong(text, key, codec.expected, value)
                od[attr] = None
            elif dec is not None:
                try:
                    od[attr] = dec(value)
                except Mismatch as m:
                    raise self._wrong(text, key, m.expected, m.got) from None
            else:
                od[attr] = resolver.child(
                    codec, value, context, depth, wire, (self.name, text, key)
                )

    def _check_values(
        self, plan: VersionPlan, data: dict[str, Any], wire: bool
    ) -> None:
        # Data of an older version is checked against that version before
        # upgrade steps see it; child objects are checked when decoded.
        table = plan.wire if wire else plan.primitive
        for key, value in data.items():
            entry = table.get(key)
            if entry is None:
                raise UnknownField(
                    object=self.name, version=plan.text, field=key, where=""
                )
            _, dec, nullable, codec, _ = entry
            if value is None and not nullable:
                raise self._wrong(plan.text, key, codec.expected, value)
            if value is not None and dec is not None:
                try:
                    dec(value)
                except Mismatch as m:
                    raise self._wrong(
                        plan.text, key, m.expected, m.got
                    ) from None

    def _changes(self, plan: VersionPlan, text: str, changes: Any) -> set[str]:
        if type(changes) is not list:
            raise self._wrong(
                text, "changes", "a list of field names", changes
            )
        for name in changes:
            if type(name) is not str or name not in plan.fields:
                raise UnknownField(
                    object=self.name,
                    version=text,
                    field=name,
                    where=" (named in its changes)",
                )
        return set(changes)

    def _wrong(
        self, text: str, field: str, expected: str, got: Any
    ) -> WrongFieldType:
        shown = "null" if got is None else got
        return WrongFieldType(
            object=self.name,
            version=text,
            field=field,
            expected=expected,
            got=shown,
        )


def _restrict(
    dec: Decoder, bad: frozenset[str], many: bool, version: str
) -> Decoder:
    expected = (
        f"a value version {version} knows (not {', '.join(sorted(bad))})"
    )

    def decode(value: Any) -> Any:
        out = dec(value)
        if many:
            if any(item in bad for item in out):
                raise Mismatch(expected, value)
        elif out in bad:
            raise Mismatch(expected, value)
        return out

    return decode


def plan_of(obj: Any) -> Plan[Any]:
    """The plan of ``obj``'s own class (not one inherited from a parent).

    :raises UnencodableValue: if that class is not registered.
    """
    plan = getattr(type(obj), "_zd_plan", None)
    if plan is None or plan.cls is not type(obj):
        raise UnencodableValue(
            value_type=type(obj).__name__,
            path="an object",
            reason="its class is not registered in an ObjectRegistry",
        )
    return plan  # type: ignore[no-any-return]


def _child_entry(
    child: Any, manifest: Manifest | None
) -> tuple[list[Any], int]:
    """A child object in wire form, ``[name, version, data(, changes)]``,
    and the height of its data."""
    plan = plan_of(child)
    target = manifest.get(plan.name) if manifest else None
    text, data, changes, height = plan.encode(child, target, manifest, True)
    if changes:
        return [plan.name, text, data, changes], height
    return [plan.name, text, data], height


def _child_entries(
    children: Any, manifest: Manifest | None
) -> tuple[list[Any], int]:
    """The wire forms of a list of children and their greatest height."""
    entries, deepest = [], 0
    for child in children:
        entry, height = _child_entry(child, manifest)
        entries.append(entry)
        if height > deepest:
            deepest = height
    return entries, deepest


def _child_primitive_entry(
    child: Any, manifest: Manifest | None
) -> tuple[dict[str, Any], int]:
    return child_primitive(child, manifest), 0


def _child_primitive_entries(
    children: Any, manifest: Manifest | None
) -> tuple[list[Any], int]:
    return [child_primitive(v, manifest) for v in children], 0


def _same(value: Any) -> Any:
    return value


_ABSENT = object()


def _value_height(value: Any) -> int:
    """The height a field value gives its object's data."""
    below = plain_height(value)
    return UNKNOWN_HEIGHT if below is None else below + 1


def child_primitive(child: Any, manifest: Manifest | None) -> dict[str, Any]:
    """A child object as an oslo.versionedobjects primitive."""
    plan = plan_of(child)
    target = manifest.get(plan.name) if manifest else None
    return plan.encode_primitive(child, target, manifest)
