"""Version histories: what changed in each version of an object.

A class declares its history beside its fields, one :class:`Change` a
version, oldest first::

    history = History(
        Change("1.0", "initial", added=["id", "cpuset", "memory"]),
        Change("1.1", "pagesize", added=["pagesize"]),
        Change(
            "1.2", "pcpuset holds the dedicated CPUs",
            added=["pcpuset"], backport=_fold_pcpuset, upgrade=_split,
        ),
    )

From it the framework derives, without hand-written code:

* the fields of every version (a backport drops the fields added later);
* refusals of enum values newer than the target (``EnumField(since=...)``);
* the order of the hand-written steps.

A ``backport`` step turns data of its version into data of the version
before it (it runs before that version's fields are dropped); an ``upgrade``
step does the reverse when older data is read.  Steps edit the field
mapping in place and see primitive values: sets and lists as lists, enums
and strings as ``str``, dicts as dicts.  They must not look into child
objects or datetimes, whose shape differs between the wire and the JSON
primitive.  A step that meets a value the target cannot mean raises through
:meth:`StepContext.refuse`, never drops it silently.

Versions within one history share their major and count up by one minor at
a time from ``X.0``; a new major starts a new history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn

from oslo_versionedobjects.fields import UnspecifiedDefault

from zerodown.objects.errors import (
    ObjectDeclarationError,
    UnrepresentableValue,
)
from zerodown.objects.versions import (
    VersionTuple,
    format_version,
    parse_version,
)

__all__ = ["Change", "History", "Refusal", "Step", "StepContext"]

Data = dict[str, Any]
Step = Callable[[Data, "StepContext"], None]


@dataclasses.dataclass(frozen=True)
class StepContext:
    """What a backport or upgrade step knows about the conversion."""

    object: str
    source: str
    target: str

    def refuse(self, field: str, value: Any, reason: str) -> NoReturn:
        """Stop the backport: ``target`` cannot carry ``field=value``."""
        raise UnrepresentableValue(
            object=self.object,
            version=self.target,
            field=field,
            value=value,
            reason=reason,
        )


@dataclasses.dataclass(frozen=True)
class Change:
    """One version of an object: the fields it added and its steps."""

    version: str
    note: str
    added: Sequence[str] = ()
    backport: Step | None = None
    upgrade: Step | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "added", tuple(self.added))


@dataclasses.dataclass(frozen=True)
class Refusal:
    """An enum value ``field`` may carry only from ``version`` on."""

    field: str
    values: frozenset[str]
    many: bool
    version: VersionTuple


class History:
    """The ordered changes of one object, checked against its fields."""

    def __init__(self, *changes: Change) -> None:
        self.changes = changes
        self.object = ""
        self._versions: tuple[VersionTuple, ...] = ()
        self._fields: dict[VersionTuple, frozenset[str]] = {}
        self._added_in: dict[str, VersionTuple] = {}
        self._refusals: dict[VersionTuple, tuple[Refusal, ...]] = {}
        #: What a field absent from older data is read as (see upgrade).
        self._unset: dict[str, Any] = {}
        self._ladders: dict[tuple[VersionTuple, VersionTuple], Any] = {}
        self._stepping: dict[tuple[VersionTuple, VersionTuple], bool] = {}

    def __repr__(self) -> str:
        return f"History({', '.join(c.version for c in self.changes)})"

    @property
    def versions(self) -> tuple[VersionTuple, ...]:
        """Every version, oldest first."""
        return self._versions

    @property
    def first(self) -> VersionTuple:
        return self._versions[0]

    @property
    def latest(self) -> VersionTuple:
        return self._versions[-1]

    def bind(
        self,
        object_name: str,
        field_names: Iterable[str],
        refusals: Iterable[Refusal] = (),
    ) -> None:
        """Check the history against the class's fields and compile it.

        :raises ObjectDeclarationError: if versions are not consecutive,
            a field is added twice or never, or an enum value is dated
            outside the history.
        """
        if self.object and self.object != object_name:
            self._fail(object_name, f"history already bound to {self.object}")
        self.object = object_name
        versions = [self._parse(c.version) for c in self.changes]
        self._check_ladder(versions)
        self._versions = tuple(versions)
        self._bind_fields(set(field_names))
        if isinstance(field_names, Mapping):
            self._unset = _unset_values(field_names)
        by_version: dict[VersionTuple, list[Refusal]] = {}
        for refusal in refusals:
            if refusal.version not in self._versions[1:]:
                self._fail(
                    object_name,
                    f"{refusal.field} dates values to "
                    f"{format_version(refusal.version)}, which is not a "
                    "later version in its history",
                )
            by_version.setdefault(refusal.version, []).append(refusal)
        self._refusals = {v: tuple(r) for v, r in by_version.items()}
        self._ladders.clear()
        self._stepping.clear()

    def _parse(self, text: str) -> VersionTuple:
        try:
            return parse_version(text)
        except ValueError as err:
            self._fail(self.object, str(err))

    def _check_ladder(self, versions: list[VersionTuple]) -> None:
        if not versions:
            self._fail(self.object, "the history is empty")
        major = versions[0][0]
        for minor, version in enumerate(versions):
            if version != (major, minor):
                self._fail(
                    self.object,
                    f"history version {format_version(version)} should be "
                    f"{major}.{minor}: versions count up by one from "
                    f"{major}.0",
                )

    def _bind_fields(self, declared: set[str]) -> None:
        seen: set[str] = set()
        for change, version in zip(self.changes, self._versions, strict=True):
            for name in change.added:
                if name in seen:
                    self._fail(self.object, f"{name} is added twice")
                seen.add(name)
                self._added_in[name] = version
            self._fields[version] = frozenset(seen)
        if seen != declared:
            missing = ", ".join(sorted(declared - seen)) or "-"
            extra = ", ".join(sorted(seen - declared)) or "-"
            self._fail(
                self.object,
                f"history and fields disagree: fields no version adds: "
                f"{missing}; added but not declared: {extra}",
            )

    @staticmethod
    def _fail(object_name: str, problem: str) -> NoReturn:
        raise ObjectDeclarationError(
            object=object_name or "?", problem=problem
        )

    def fields_at(self, version: VersionTuple) -> frozenset[str]:
        """The fields ``version`` has."""
        return self._fields[version]

    def added_in(self, field: str) -> VersionTuple:
        """The version that added ``field``."""
        return self._added_in[field]

    def too_new(self, version: VersionTuple) -> Mapping[str, frozenset[str]]:
        """Enum values each field may not carry at ``version`` yet."""
        found: dict[str, frozenset[str]] = {}
        for later, refusals in self._refusals.items():
            if later > version:
                for r in refusals:
                    found[r.field] = found.get(r.field, frozenset()) | r.values
        return found

    def backport(
        self, data: Data, source: VersionTuple, target: VersionTuple
    ) -> None:
        """Turn ``data`` of ``source`` into data of the older ``target``.

        :raises UnrepresentableValue: if a value cannot be carried.
        """
        ladder = self._ladders.get((source, target))
        if ladder is None:
            ladder = self._ladder_down(source, target)
        context = None
        for _version, refusals, step, added in ladder:
            for refusal in refusals:
                self._check_refusal(data, refusal, target)
            if step is not None:
                if context is None:
                    context = StepContext(
                        self.object,
                        format_version(source),
                        format_version(target),
                    )
                step(data, context)
            for name in added:
                data.pop(name, None)

    def has_steps(self, source: VersionTuple, target: VersionTuple) -> bool:
        """Whether a backport from ``source`` to ``target`` runs a step
        (rather than only dropping fields and checking values)."""
        stepping = self._stepping.get((source, target))
        if stepping is None:
            ladder = self._ladders.get((source, target))
            if ladder is None:
                ladder = self._ladder_down(source, target)
            stepping = any(rung[2] is not None for rung in ladder)
            self._stepping[(source, target)] = stepping
        return stepping

    def _ladder_down(
        self, source: VersionTuple, target: VersionTuple
    ) -> tuple[Any, ...]:
        rungs = tuple(
            (v, self._refusals.get(v, ()), c.backport, c.added)
            for c, v in zip(self.changes, self._versions, strict=True)
            if target < v <= source
        )[::-1]
        self._ladders[(source, target)] = rungs
        return rungs

    def _check_refusal(
        self, data: Data, refusal: Refusal, target: VersionTuple
    ) -> None:
        value = data.get(refusal.field)
        if value is None:
            return
        items = value if refusal.many else (value,)
        for item in items:
            if item in refusal.values:
                raise UnrepresentableValue(
                    object=self.object,
                    version=format_version(target),
                    field=refusal.field,
                    value=item,
                    reason=(
                        f"the value exists since "
                        f"{format_version(refusal.version)}"
                    ),
                )

    def upgrade(
        self, data: Data, source: VersionTuple, target: VersionTuple
    ) -> None:
        """Turn ``data`` of the older ``source`` into data of ``target``."""
        context = StepContext(
            self.object, format_version(source), format_version(target)
        )
        unset = self._unset
        for change, version in zip(self.changes, self._versions, strict=True):
            if not source < version <= target:
                continue
            if change.upgrade is not None:
                change.upgrade(data, context)
            # A field the data's version did not have reads as its
            # default, or None (Nova's constructors do the same), so no
            # reader meets "Cannot load" for data that was complete.
            for name in change.added:
                if name not in data and name in unset:
                    value = unset[name]
                    if isinstance(value, (list, dict)):
                        value = value.copy()
                    data[name] = value


def _unset_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The primitive each field is upgraded to when older data lacks
    it: its default when that is a plain value (``None``, a scalar, an
    empty container), else ``None`` if it is nullable.  Other fields
    stay unset: an upgrade step must give them a value."""
    values: dict[str, Any] = {}
    for name, field in fields.items():
        default = getattr(field, "default", UnspecifiedDefault)
        if default is None or isinstance(default, (bool, int, float, str)):
            values[name] = default
        elif isinstance(default, (list, tuple, set, frozenset, dict)):
            if not default:
                values[name] = {} if isinstance(default, dict) else []
        elif default is UnspecifiedDefault and getattr(
            field, "nullable", False
        ):
            values[name] = None
    return values
