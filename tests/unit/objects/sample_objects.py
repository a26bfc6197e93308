"""Small objects for the framework's tests, in two releases.

``make_registry()`` builds the current release: ``Gadget`` 1.3 with a child
``Part`` 1.1.  ``make_old_registry()`` builds what an older service has:
``Gadget`` 1.1 and ``Part`` 1.0, as separate classes in a separate
registry, the way two processes of different releases would.
"""

from __future__ import annotations

from typing import Any

from zerodown.objects import (
    Change,
    History,
    ObjectRegistry,
    StepContext,
    ZerodownObject,
)
from zerodown.objects import fields as f
from zerodown.objects.indirection import remotable

NAMESPACE = "test.sample"


def _fold_spare(data: dict[str, Any], step: StepContext) -> None:
    # Before 1.2 "cpus" held the spare CPUs too.
    spare = data.get("spare") or []
    if spare:
        data["cpus"] = sorted(set(data.get("cpus") or []) | set(spare))


def _no_spare(data: dict[str, Any], step: StepContext) -> None:
    data.setdefault("spare", [])


def _part_class(registry: ObjectRegistry, old: bool) -> type[ZerodownObject]:
    changes = [Change("1.0", "initial", added=["name", "size"])]
    fields: dict[str, Any] = {
        "name": f.StringField(),
        "size": f.IntegerField(),
    }
    if not old:
        changes.append(Change("1.1", "weight", added=["weight"]))
        fields["weight"] = f.FloatField(nullable=True)

    class Part(ZerodownObject):
        VERSION = changes[-1].version
        history = History(*changes)

    Part.fields = fields
    return registry.register(Part)


def make_registry() -> ObjectRegistry:
    """The current release: Gadget 1.3, Part 1.1."""
    registry = ObjectRegistry(NAMESPACE)
    _part_class(registry, old=False)

    @registry.register
    class Gadget(ZerodownObject):
        VERSION = "1.3"
        history = History(
            Change(
                "1.0",
                "initial",
                added=["id", "cpus", "parts", "mode", "labels"],
            ),
            Change(
                "1.1", "timestamp and address", added=["created_at", "address"]
            ),
            Change(
                "1.2",
                "spare CPUs leave cpus",
                added=["spare"],
                backport=_fold_spare,
                upgrade=_no_spare,
            ),
            Change("1.3", "turbo mode; the main part", added=["main"]),
        )
        fields = {
            "id": f.IntegerField(read_only=True),
            "cpus": f.CPUSetField(),
            "spare": f.CPUSetField(),
            "parts": f.ListOfObjectsField("Part"),
            "main": f.ObjectField("Part", nullable=True),
            "mode": f.EnumField(
                ["eco", "fast", "turbo"], since={"turbo": "1.3"}
            ),
            "labels": f.DictOfStringsField(),
            "created_at": f.DateTimeField(nullable=True),
            "address": f.IPAddressField(nullable=True),
        }

        @remotable
        def grow(self, by: int) -> int:
            """Grow every part; return the new total size."""
            for part in self.parts:
                part.size += by
            self.parts = list(self.parts)
            self.labels = {**self.labels, "grown": str(by)}
            return sum(p.size for p in self.parts)

        @classmethod
        @remotable
        def build(cls, context: Any, count: int) -> ZerodownObject:
            """A gadget with ``count`` parts, made where the data is."""
            part = registry["Part"]
            return cls(
                context,
                id=count,
                cpus={0, 1},
                spare={2},
                parts=[part(name=f"p{i}", size=i) for i in range(count)],
                mode="turbo",
                labels={},
            )

    return registry


def make_old_registry() -> ObjectRegistry:
    """An older release: Gadget 1.1, Part 1.0."""
    registry = ObjectRegistry(NAMESPACE)
    _part_class(registry, old=True)

    @registry.register
    class Gadget(ZerodownObject):
        VERSION = "1.1"
        history = History(
            Change(
                "1.0",
                "initial",
                added=["id", "cpus", "parts", "mode", "labels"],
            ),
            Change(
                "1.1", "timestamp and address", added=["created_at", "address"]
            ),
        )
        fields = {
            "id": f.IntegerField(read_only=True),
            "cpus": f.CPUSetField(),
            "parts": f.ListOfObjectsField("Part"),
            "mode": f.EnumField(["eco", "fast"]),
            "labels": f.DictOfStringsField(),
            "created_at": f.DateTimeField(nullable=True),
            "address": f.IPAddressField(nullable=True),
        }

    return registry


def gadget(registry: ObjectRegistry, **overrides: Any) -> ZerodownObject:
    """A populated current-release Gadget."""
    import datetime
    import ipaddress

    part = registry["Part"]
    values: dict[str, Any] = {
        "id": 7,
        "cpus": {3, 1, 2},
        "spare": {8, 9},
        "parts": [part(name="a", size=1, weight=0.5), part(name="b", size=2)],
        "main": part(name="m", size=3, weight=None),
        "mode": "fast",
        "labels": {"z": "last", "a": "first"},
        "created_at": datetime.datetime(
            2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc
        ),
        "address": ipaddress.ip_address("2001:db8::1"),
    }
    values.update(overrides)
    obj = registry["Gadget"](**values)
    obj.obj_reset_changes(recursive=True)
    return obj
