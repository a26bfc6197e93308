"""A tiny project in two releases, run as real processes by the tests.

Release v1: ``Widget`` 1.0 (id, name, knobs), ``WidgetAPI`` 1.0, service
version 1.  Release v2: ``Widget`` 1.1 (+ color), ``WidgetAPI`` 1.1
(+ ``paint``), service version 2, which still supports version 1.

Run a server of one release::

    python widget_service.py --release v1 --url URL --topic T --host H \\
        --db sqlite:////tmp/services.db [--conductor CONDUCTOR_TOPIC]
    python widget_service.py --release v2 --role conductor ...

It prints READY once it serves, and stops on SIGTERM (recording the stop
and announcing it) or after ``--lifetime`` seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from typing import Any

import sqlalchemy as sa

import zerodown.objects  # noqa: F401
from zerodown.objects import Change, History, ObjectRegistry, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.serializer import ObjectSerializer
from zerodown.rpc import (
    RPCAPI,
    RequestContext,
    RPCServer,
    ServiceLifecycle,
    Target,
    get_transport,
)
from zerodown.rpc.indirection import (
    ObjectIndirectionAPI,
    ObjectIndirectionEndpoint,
)
from zerodown.services import (
    ServiceDirectory,
    ServiceHistory,
    ServiceVersion,
    create_schema,
)

NAMESPACE = "test.widgets"
BINARY = "widgets"


def make_registry(release: str) -> ObjectRegistry:
    registry = ObjectRegistry(NAMESPACE)

    @registry.register
    class Knob(ZerodownObject):
        VERSION = "1.0"
        history = History(Change("1.0", "initial", added=["turns"]))
        fields = {"turns": f.IntegerField()}

    changes = [Change("1.0", "initial", added=["id", "name", "knobs"])]
    widget_fields: dict[str, Any] = {
        "id": f.IntegerField(),
        "name": f.StringField(),
        "knobs": f.ListOfObjectsField("Knob"),
    }
    if release == "v2":
        changes.append(Change("1.1", "color", added=["color"]))
        widget_fields["color"] = f.StringField(nullable=True)

    class Widget(ZerodownObject):
        VERSION = changes[-1].version
        history = History(*changes)
        fields = widget_fields

    registry.register(Widget)
    return registry


class WidgetAPIv1(RPCAPI):
    """Client side of the widget API (release v1).

    API version history:

    * 1.0 - describe(widget)
    """

    TOPIC = BINARY
    VERSION = "1.0"
    VERSION_ALIASES = {"v1": "1.0"}

    def describe(self, ctx: RequestContext | None, widget: Any) -> Any:
        return self.client.call(ctx, "describe", widget=widget)


class WidgetAPIv2(RPCAPI):
    """Client side of the widget API (release v2).

    API version history:

    * 1.0 - describe(widget)
    * 1.1 - paint(widget, color)
    """

    TOPIC = BINARY
    VERSION = "1.1"
    VERSION_ALIASES = {"v1": "1.0", "v2": "1.1"}

    def describe(self, ctx: RequestContext | None, widget: Any) -> Any:
        return self.client.call(ctx, "describe", widget=widget)

    def paint(
        self, ctx: RequestContext | None, widget: Any, color: str
    ) -> Any:
        cctxt = self.client.prepare(version="1.1")
        return cctxt.call(ctx, "paint", widget=widget, color=color)


HISTORY_V1 = ServiceHistory(
    "widgets",
    ServiceVersion(
        1,
        "first release",
        rpc={BINARY: "1.0"},
        objects={"Widget": "1.0", "Knob": "1.0"},
    ),
)
HISTORY_V2 = ServiceHistory(
    "widgets",
    *HISTORY_V1.entries,
    ServiceVersion(
        2,
        "paint; Widget 1.1",
        rpc={BINARY: "1.1"},
        objects={"Widget": "1.1"},
    ),
    oldest_supported=1,
)


@dataclasses.dataclass
class Release:
    name: str
    registry: ObjectRegistry
    api: type[RPCAPI]
    history: ServiceHistory


def release(name: str) -> Release:
    api: type[RPCAPI] = WidgetAPIv2 if name == "v2" else WidgetAPIv1
    history = HISTORY_V2 if name == "v2" else HISTORY_V1
    return Release(name, make_registry(name), api, history)


class WidgetEndpoint:
    def __init__(self, rel: Release, counter: list[int]) -> None:
        self.release = rel
        self.counter = counter
        self.target = Target(version=rel.api.VERSION)
        self.RPC_API = rel.api

    def describe(self, ctx: RequestContext, widget: Any) -> dict[str, Any]:
        return {
            "release": self.release.name,
            "version": widget.VERSION,
            "fields": sorted(
                n for n in widget.fields if widget.obj_attr_is_set(n)
            ),
            "indirection_calls": self.counter[0],
            "request_id": ctx.request_id,
        }

    def paint(self, ctx: RequestContext, widget: Any, color: str) -> Any:
        widget.color = color
        return widget


def _counting_indirection(counter: list[int]) -> type[ObjectIndirectionAPI]:
    class Counting(ObjectIndirectionAPI):
        def object_backport_versions(
            self, context: Any, objinst: Any, object_versions: Any
        ) -> Any:
            counter[0] += 1
            return super().object_backport_versions(
                context, objinst, object_versions
            )

    return Counting


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--release", choices=["v1", "v2"], required=True)
    parser.add_argument("--role", choices=["server", "conductor"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--conductor", default=None)
    parser.add_argument("--lifetime", type=float, default=120.0)
    args = parser.parse_args()

    rel = release(args.release)
    transport = get_transport(args.url)
    engine = sa.create_engine(args.db)
    create_schema(engine)
    directory = ServiceDirectory(engine, rel.history, down_after=30)
    counter = [0]
    serializer = ObjectSerializer(rel.registry)
    if args.role == "conductor":
        server = RPCServer(
            transport,
            Target(topic=args.topic, server=args.host),
            [ObjectIndirectionEndpoint(rel.registry)],
            serializer=serializer,
        )
        binary = "conductor"
    else:
        if args.conductor:
            rel.registry.indirection_api = _counting_indirection(counter)(
                transport,
                topic=args.conductor,
                serializer=serializer,
                timeout=10,
            )
        server = RPCServer(
            transport,
            Target(topic=args.topic, server=args.host),
            [WidgetEndpoint(rel, counter)],
            serializer=serializer,
        )
        binary = BINARY
    lifecycle = ServiceLifecycle(
        directory,
        transport,
        args.host,
        binary,
        servers=[server],
        heartbeat_interval=1.0,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    lifecycle.start()
    print("READY", flush=True)
    done.wait(args.lifetime)
    lifecycle.stop()
    transport.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
