"""Widgets in two releases, for the RPC object tests.

``registry(old=False)``: ``Widget`` 1.1 (``color`` added in 1.1) with a
child ``Knob`` 1.0.  ``registry(old=True)``: ``Widget`` 1.0 - separate
classes in a separate registry, as an older process has them.
"""

from __future__ import annotations

from typing import Any

from zerodown.objects import Change, History, ObjectRegistry, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.indirection import remotable
from zerodown.rpc import RPCAPI, Target

NAMESPACE = "test.rpc.widgets"


def registry(old: bool = False) -> ObjectRegistry:
    reg = ObjectRegistry(NAMESPACE)

    @reg.register
    class Knob(ZerodownObject):
        VERSION = "1.0"
        history = History(Change("1.0", "initial", added=["turns"]))
        fields = {"turns": f.IntegerField()}

    changes = [Change("1.0", "initial", added=["id", "name", "knobs"])]
    fields: dict[str, Any] = {
        "id": f.IntegerField(),
        "name": f.StringField(),
        "knobs": f.ListOfObjectsField("Knob"),
    }
    if not old:
        changes.append(Change("1.1", "color", added=["color"]))
        fields["color"] = f.StringField(nullable=True)

    class Widget(ZerodownObject):
        VERSION = changes[-1].version
        history = History(*changes)

        @classmethod
        @remotable
        def build(cls, context: Any, name: str) -> ZerodownObject:
            """Made where the data is (the conductor)."""
            return cls(context, id=7, name=name, knobs=[reg["Knob"](turns=1)])

        @remotable
        def rename(self, name: str) -> str:
            old_name, self.name = self.name, name
            return old_name

    Widget.fields = fields
    reg.register(Widget)
    return reg


def widget(reg: ObjectRegistry, **values: Any) -> ZerodownObject:
    values.setdefault("id", 1)
    values.setdefault("name", "w")
    values.setdefault("knobs", [reg["Knob"](turns=3)])
    return reg["Widget"](**values)


class InspectorAPI(RPCAPI):
    """The API an :class:`Inspector` serves.

    API version history:

    * 1.0 - inspect(widget), give(name).
    """

    TOPIC = "widgets"
    VERSION = "1.0"


class Inspector:
    """An endpoint that reports how it read its argument."""

    RPC_API = InspectorAPI

    def __init__(self, version: str = "1.0") -> None:
        self.target = Target(version=version)
        self.seen: list[ZerodownObject] = []

    def inspect(self, context: Any, widget: ZerodownObject) -> dict[str, Any]:
        self.seen.append(widget)
        return {
            "version": widget.VERSION,
            "fields": sorted(
                n for n in widget.fields if widget.obj_attr_is_set(n)
            ),
        }

    def give(self, context: Any, name: str) -> ZerodownObject:
        return self.registry["Widget"](id=2, name=name, knobs=[])
