"""Backport verification with populated instances (needs ``hypothesis``).

oslo.versionedobjects' ``test_compatibility_routines`` backports *empty*
objects and only proves that nothing crashes.  :func:`verify_object`
generates populated instances from the field types and, for every older
version - once with child objects at their current versions and once at
their oldest - checks that the backport either refuses with a typed
:class:`~zerodown.objects.errors.UnrepresentableValue` or:

1. carries exactly the fields of the target version that were set, and
   every child object at the version asked for, with that version's
   fields;
2. is read by a registry frozen at those versions
   (:meth:`~zerodown.objects.ObjectRegistry.as_of`), and that old reader
   sends the very same data back;
3. leaves the values of shared fields alone unless a hand-written step
   between the two versions may convert them;
4. survives the trip forward: read by the current registry (upgraded on
   read) and backported again, it gives the same data - so a backport and
   its upgrade agree on what the data means.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oslo_versionedobjects import fields as ovo

from zerodown.objects import fields as zd
from zerodown.objects.errors import (
    BackportVerificationFailed,
    ObjectError,
    UnrepresentableValue,
)
from zerodown.objects.versions import format_version

if TYPE_CHECKING:
    from zerodown.objects.base import ZerodownObject
    from zerodown.objects.registry import ObjectRegistry

__all__ = ["Report", "instances", "verify_object", "verify_registry"]

_MAX_DEPTH = 4


@dataclasses.dataclass
class Report:
    """What :func:`verify_object` saw, per target version."""

    object: str
    examples: int = 0
    passed: dict[str, int] = dataclasses.field(default_factory=dict)
    refused: dict[str, int] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        targets = sorted(set(self.passed) | set(self.refused))
        rows = ", ".join(
            f"{t}: {self.passed.get(t, 0)} ok/{self.refused.get(t, 0)} refused"
            for t in targets
        )
        return f"{self.object} ({self.examples} examples) {rows or '-'}"


def instances(
    registry: ObjectRegistry, name: str, depth: int = 0
) -> st.SearchStrategy[ZerodownObject]:
    """Instances of ``name`` with every field set (nullable ones sometimes
    to ``None``), child objects included."""
    cls = registry[name]
    values = {
        field_name: _field(registry, field, depth)
        for field_name, field in sorted(cls.fields.items())
    }

    def build(kwargs: dict[str, Any]) -> ZerodownObject:
        obj = cls(**kwargs)
        obj.obj_reset_changes(recursive=True)
        return obj

    return st.fixed_dictionaries(values).map(build)


def _field(
    registry: ObjectRegistry, field: ovo.Field[Any], depth: int
) -> st.SearchStrategy[Any]:
    inner = _type(registry, field._type, depth)
    return st.one_of(st.none(), inner) if field.nullable else inner


def _type(registry: ObjectRegistry, ftype: Any, depth: int) -> Any:
    if isinstance(ftype, ovo.Object):
        if depth >= _MAX_DEPTH:
            return st.nothing()
        return instances(registry, ftype._obj_name, depth + 1)
    if isinstance(ftype, (ovo.List, ovo.Set, ovo.Dict)):
        element = _field(registry, ftype._element_type, depth)
        if isinstance(ftype, ovo.List):
            return st.lists(element, max_size=3)
        if isinstance(ftype, ovo.Set):
            return st.sets(element, max_size=4)
        return st.dictionaries(st.text(max_size=6), element, max_size=3)
    for kind, make in _SCALARS:
        if isinstance(ftype, kind):
            return make(ftype)
    raise NotImplementedError(f"no strategy for {type(ftype).__name__}")


_SCALARS: tuple[tuple[type, Any], ...] = (
    (
        zd.IntSet,
        lambda t: st.sets(st.integers(t.minimum or 0, 63), max_size=6),
    ),
    (ovo.Enum, lambda t: st.sampled_from(sorted(t.valid_values))),
    (zd.UUID, lambda t: st.uuids().map(str)),
    (ovo.UUID, lambda t: st.uuids().map(str)),
    (
        zd.PCIAddress,
        lambda t: st.tuples(
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFF),
            st.integers(0, 0x1F),
            st.integers(0, 7),
        ).map(lambda p: f"{p[0]:04x}:{p[1]:02x}:{p[2]:02x}.{p[3]}"),
    ),
    (zd.IPAddress, lambda t: st.ip_addresses()),
    (
        zd.DateTime,
        lambda t: st.datetimes(
            timezones=st.just(datetime.timezone.utc)
            if t.tzinfo_aware
            else st.none()
        ),
    ),
    (ovo.Integer, lambda t: st.integers(-(2**40), 2**40)),
    (ovo.NonNegativeInteger, lambda t: st.integers(0, 2**40)),
    (ovo.Float, lambda t: st.floats(allow_nan=False, allow_infinity=False)),
    (ovo.Boolean, lambda t: st.booleans()),
    (ovo.String, lambda t: st.text(max_size=12)),
)


def verify_object(
    registry: ObjectRegistry,
    name: str,
    *,
    max_examples: int = 25,
    seed: int | None = None,
) -> Report:
    """Backport generated instances of ``name`` to every older version
    (the same instances for the same ``seed``; random ones without).

    :raises BackportVerificationFailed: naming the object, target version
        and what went wrong (hypothesis shrinks the example first).
    """
    cls = registry[name]
    history = cls._zd_plan.history
    targets = [format_version(v) for v in history.versions[:-1]]
    oldest = registry.oldest_versions()
    report = Report(name)

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(instances(registry, name))
    def run(obj: ZerodownObject) -> None:
        report.examples += 1
        for target in targets:
            for children in (registry.versions(), oldest):
                manifest = {**children, name: target}
                outcome = _verify(registry, obj, manifest)
                tally = report.refused if outcome else report.passed
                tally[target] = tally.get(target, 0) + 1

    if targets:
        (run if seed is None else hypothesis.seed(seed)(run))()
    return report


def verify_registry(
    registry: ObjectRegistry,
    *,
    max_examples: int = 25,
    seed: int | None = None,
) -> list[Report]:
    """:func:`verify_object` for every object in ``registry``."""
    return [
        verify_object(registry, name, max_examples=max_examples, seed=seed)
        for name in registry
    ]


def _verify(
    registry: ObjectRegistry, obj: ZerodownObject, manifest: Mapping[str, str]
) -> bool:
    """Check one backport; return whether it was (rightly) refused."""
    name = obj.obj_name()
    target = manifest[name]
    try:
        sent = obj.obj_to_wire(target, manifest)
    except UnrepresentableValue:
        return True

    def fail(problem: str) -> BackportVerificationFailed:
        return BackportVerificationFailed(
            object=name, version=target, problem=problem
        )

    if sent.version != target:
        raise fail(f"stamped {sent.version}")
    _check_shape(registry, name, target, sent.data, manifest, fail)
    current = obj.obj_to_wire()
    _check_untouched(obj, target, current.data, sent.data, fail)
    try:
        old = registry.as_of(manifest).obj_from_wire(sent)
        upgraded = registry.obj_from_wire(sent)
    except ObjectError as err:
        raise fail(f"cannot be read back: {err}") from err
    if old.obj_to_wire(target, manifest) != sent:
        raise fail("an old reader sends back different data")
    again = upgraded.obj_to_wire(target, manifest)
    if again.data != sent.data:
        raise fail(
            f"upgrade then backport changes the data: {sent.data!r:.300} "
            f"became {again.data!r:.300}"
        )
    return False


def _check_shape(
    registry: ObjectRegistry,
    name: str,
    version: str,
    data: dict[str, Any],
    manifest: Mapping[str, str],
    fail: Any,
) -> None:
    plan = registry[name]._zd_plan
    allowed = plan.history.fields_at(plan.target(version))
    extra = set(data) - allowed
    if extra:
        raise fail(f"{name} {version} carries {sorted(extra)}")
    for entry in plan.entries:
        value = data.get(entry.name)
        if entry.codec.child is None or value is None:
            continue
        for child in value if entry.codec.many else [value]:
            child_name, child_version, child_data = child[:3]
            if child_version != manifest.get(child_name, child_version):
                raise fail(f"{entry.name} holds {child_name} {child_version}")
            _check_shape(
                registry, child_name, child_version, child_data, manifest, fail
            )


def _check_untouched(
    obj: ZerodownObject,
    target: str,
    current: dict[str, Any],
    sent: dict[str, Any],
    fail: Any,
) -> None:
    plan = obj._zd_plan
    history = plan.history
    wanted = plan.target(target)
    kept = history.fields_at(wanted)
    missing = {k for k in current if k in kept} - set(sent)
    if missing:
        raise fail(f"lost {sorted(missing)}, which the version has")
    stepped = any(
        change.backport is not None
        for change, version in zip(
            history.changes, history.versions, strict=True
        )
        if version > wanted
    )
    if stepped:
        return
    for key in kept & set(sent):
        if plan.at(wanted).wire[key][3].child is None and (
            current[key] != sent[key]
        ):
            raise fail(f"changed {key} with no step to convert it")
