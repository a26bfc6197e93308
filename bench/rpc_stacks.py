"""The two RPC stacks ``bench/rpc.py`` compares, behind one small face.

* ``oslo``: oslo.messaging's rabbit driver (threading executor, defaults
  otherwise) with a Nova-like ``VersionedObjectSerializer`` carrying plain
  oslo.versionedobjects copies of the payload - what Nova sends.
* ``zerodown``: ``zerodown.rpc`` over RabbitMQ (or the embedded broker)
  with ``ObjectSerializer`` carrying the zerodown objects.

The payload is an ``Instance`` with a 2-cell pinned NUMA topology (built
from ``bench/objects_data.py``), echoed back by calls and sent by casts.
Both sides hydrate it into objects on both ends, as the services would.
"""

# ruff: noqa: E402 - o.vo and oslo.messaging warn about eventlet at import.

from __future__ import annotations

import os
import threading
import time
import warnings
from typing import Any

warnings.filterwarnings("ignore", message=r"(?s).*eventlet")

from objects_data import NovaObjectSerializer, build_instance, to_baseline

from zerodown.compute import objects as zo

RABBIT = os.environ.get(
    "ZERODOWN_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"
)
CONTEXT = {
    "request_id": "req-6b1f4c0e-9f4e-4f6a-9d7e-3c2b1a0f9e8d",
    "user_id": "b" * 32,
    "project_id": "a" * 32,
    "roles": ["member", "reader"],
}
#: Largest message body each process published since the last reset.
SIZES: dict[str, int] = {"largest": 0}


def build_payload() -> zo.Instance:
    """The 4-cell bench Instance cut down to 2 NUMA cells and 2 VFs."""
    instance = build_instance()
    topology = instance.numa_topology
    topology.cells = list(topology.cells)[:2]
    instance.pci_devices = list(instance.pci_devices)[:2]
    instance.vcpus = instance.flavor.vcpus = 4
    instance.flavor.extra_specs = {
        **instance.flavor.extra_specs,
        "hw:numa_nodes": "2",
    }
    instance.image_props.hw_numa_nodes = 2
    instance.obj_reset_changes(recursive=True)
    return instance


class Endpoint:
    """The same endpoint for both stacks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count, self.expected = 0, 0
        self.nth_at: float | None = None
        self.done = threading.Event()

    def echo(self, ctxt: Any, instance: Any) -> Any:
        return instance

    def note(self, ctxt: Any, instance: Any) -> None:
        with self.lock:
            self.count += 1
            if self.count == self.expected:
                self.nth_at = time.monotonic()
                self.done.set()

    def reset(self, ctxt: Any, expected: int) -> bool:
        with self.lock:
            self.count, self.expected, self.nth_at = 0, expected, None
            self.done.clear()
            SIZES["largest"] = 0
        return True

    def stats(self, ctxt: Any, wait: float) -> dict[str, Any]:
        self.done.wait(wait)
        return {
            "count": self.count,
            "nth_at": self.nth_at,
            "reply_bytes": SIZES["largest"],
        }


def _record(size: int) -> None:
    if size > SIZES["largest"]:
        SIZES["largest"] = size


# -- oslo.messaging -----------------------------------------------------------


def _oslo_transport() -> Any:
    import kombu.messaging
    import oslo_messaging as om
    from oslo_config import cfg

    prepare = kombu.messaging.Producer._prepare

    def counting(self: Any, body: Any, *args: Any, **kwargs: Any) -> Any:
        result = prepare(self, body, *args, **kwargs)
        _record(len(result[0]))
        return result

    kombu.messaging.Producer._prepare = counting
    url = RABBIT.replace("amqp://", "rabbit://").rstrip("/") + "/"
    return om.get_rpc_transport(cfg.CONF, url=url)


def oslo_server(topic: str) -> Any:
    import oslo_messaging as om

    endpoint = Endpoint()
    endpoint.target = om.Target(version="1.0")  # type: ignore[attr-defined]
    server = om.get_rpc_server(
        _oslo_transport(),
        om.Target(topic=topic, server="bench-1", version="1.0"),
        [endpoint],
        executor="threading",
        serializer=NovaObjectSerializer(),
    )
    server.start()
    return server


class OsloClient:
    def __init__(self, topic: str) -> None:
        import oslo_messaging as om

        self.client = om.get_rpc_client(
            _oslo_transport(),
            om.Target(topic=topic, version="1.0"),
            serializer=NovaObjectSerializer(),
            timeout=60,
        )
        self.payload = to_baseline(build_payload())

    def call(self) -> Any:
        return self.client.call(CONTEXT, "echo", instance=self.payload)

    def cast(self) -> None:
        self.client.cast(CONTEXT, "note", instance=self.payload)

    def control(self, method: str, **kwargs: Any) -> Any:
        return self.client.call(CONTEXT, method, **kwargs)


# -- zerodown -----------------------------------------------------------------


def _zerodown_transport(url: str) -> Any:
    from zerodown.rpc import get_transport
    from zerodown.rpc.transport.broker import KombuTransport

    publish = KombuTransport.publish

    def counting(self: Any, address: Any, message: Any, **kwargs: Any) -> Any:
        _record(len(message.body))
        return publish(self, address, message, **kwargs)

    KombuTransport.publish = counting  # type: ignore[method-assign]
    return get_transport(url)


def _protocol(signed: bool) -> Any:
    from zerodown.rpc import Protocol, Signing

    return Protocol(
        Signing(["bench-signing-key-0123456789"]) if signed else Signing.off()
    )


def _bench_api() -> Any:
    from zerodown.rpc import RPCAPI

    class BenchAPI(RPCAPI):
        """The benchmark endpoint's API.

        API version history:

        * 1.0 - echo(instance), note(instance), reset(expected),
          stats(wait).
        """

        TOPIC = "bench"
        VERSION = "1.0"

    return BenchAPI


def zerodown_server(
    topic: str, url: str, signed: bool, durable: bool = False
) -> Any:
    from zerodown.objects.serializer import ObjectSerializer
    from zerodown.rpc import RPCServer, Target

    endpoint = Endpoint()
    endpoint.target = Target(version="1.0")  # type: ignore[attr-defined]
    endpoint.RPC_API = _bench_api()  # type: ignore[attr-defined]
    return RPCServer(
        _zerodown_transport(url),
        Target(topic=topic, server="bench-1", durable=durable),
        [endpoint],
        serializer=ObjectSerializer(zo.REGISTRY),
        protocol=_protocol(signed),
        workers=8,
    ).start()


class ZerodownClient:
    def __init__(
        self, topic: str, url: str, signed: bool, durable: bool = False
    ) -> None:
        from zerodown.objects.serializer import ObjectSerializer
        from zerodown.rpc import RequestContext, RPCClient, Target

        self.client = RPCClient(
            _zerodown_transport(url),
            Target(topic=topic, version="1.0", durable=durable),
            serializer=ObjectSerializer(zo.REGISTRY),
            protocol=_protocol(signed),
            timeout=60,
        )
        self.context = RequestContext(
            request_id=CONTEXT["request_id"],
            user_id=CONTEXT["user_id"],
            project_id=CONTEXT["project_id"],
            roles=tuple(CONTEXT["roles"]),
        )
        self.payload = build_payload()

    def call(self) -> Any:
        return self.client.call(self.context, "echo", instance=self.payload)

    def cast(self) -> None:
        self.client.cast(self.context, "note", instance=self.payload)

    def control(self, method: str, **kwargs: Any) -> Any:
        return self.client.call(self.context, method, **kwargs)
