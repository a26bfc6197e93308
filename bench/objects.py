"""Benchmark: zerodown's object path against Nova's, side by side.

    .venv/bin/python bench/objects.py [--rounds N] [--quick]

Nova's path (the baseline) is oslo.versionedobjects' ``obj_to_primitive`` /
``VersionedObjectSerializer`` and oslo.serialization's ``jsonutils``, with
the double-encoded oslo.messaging envelope::

    jsonutils.dumps({"oslo.version": "2.0",
                     "oslo.message": jsonutils.dumps(message)})

The baseline objects are plain o.vo classes generated from the zerodown
classes with o.vo's own field types and filled with the same values, so
both sides carry the same data (see ``bench/objects_data.py``).

zerodown's path is ``ObjectSerializer`` + the msgpack wire codec; its
backport sends in the oldest versions of every object (sender side) and is
read by a registry frozen at those versions, as an old service would.

The floor beside them is msgpack alone on the same data as plain nested
dicts (no objects, no checks): what no codec on msgpack can beat.  Targets:
the round trip at least 10x faster than Nova's and at most 3x the floor;
a backport adds at most 25%.

Timing: ``time.process_time``, rounds interleaved across cases, median and
range of the per-call time over the rounds.

Then the wire codec's worst messages (``objects_limits.py``): the memory
peak of decoding each (x the size limit, target 8x) and its time per MiB,
under the default ``Limits`` (a 1 MiB size limit with ``--quick``).
"""

# ruff: noqa: E402 - o.vo must be imported after its eventlet warning is
# silenced (it imports oslo.messaging, which warns at import).

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
import warnings
from collections.abc import Callable
from typing import Any

warnings.filterwarnings("ignore", message=r"(?s).*eventlet")

import msgpack
import objects_limits
from objects_data import (
    NovaObjectSerializer,
    build_compute_node,
    build_instance,
    to_baseline,
)
from oslo_serialization import jsonutils

from zerodown.compute import objects as zo
from zerodown.objects import Limits, wire
from zerodown.objects.serializer import ObjectSerializer

MESSAGE_VERSION = "6.0"


# -- the paths --------------------------------------------------------------


def _message(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "build_and_run_instance",
        "args": args,
        "version": MESSAGE_VERSION,
    }


class NovaPath:
    """o.vo serializer + jsonutils, double-encoded like oslo.messaging."""

    serializer = NovaObjectSerializer()

    def __init__(self, key: str, obj: Any) -> None:
        self.key, self.obj = key, obj

    def send(self, primitive: Any = None) -> str:
        if primitive is None:
            primitive = self.serializer.serialize_entity(None, self.obj)
        inner = jsonutils.dumps(_message({self.key: primitive}))
        return jsonutils.dumps({"oslo.version": "2.0", "oslo.message": inner})

    def receive(self, body: str) -> Any:
        message = jsonutils.loads(jsonutils.loads(body)["oslo.message"])
        return self.serializer.deserialize_entity(
            None, message["args"][self.key]
        )

    def round_trip(self) -> Any:
        return self.receive(self.send())


class NovaMsgpackPath(NovaPath):
    """The same o.vo object layer with a single msgpack layer."""

    def send(self, primitive: Any = None) -> bytes:  # type: ignore[override]
        primitive = self.serializer.serialize_entity(None, self.obj)
        return msgpack.packb(_message({self.key: primitive}))  # type: ignore[no-any-return]

    def receive(self, body: bytes) -> Any:  # type: ignore[override]
        message = msgpack.unpackb(body)
        return self.serializer.deserialize_entity(
            None, message["args"][self.key]
        )


class ZerodownPath:
    """ObjectSerializer + the msgpack wire codec."""

    def __init__(
        self, key: str, obj: Any, peer: dict[str, str] | None = None
    ) -> None:
        self.key, self.obj = key, obj
        self.sender = ObjectSerializer(zo.REGISTRY, peer)
        reader = zo.REGISTRY.as_of(peer) if peer else zo.REGISTRY
        self.reader = reader

    def send(self) -> bytes:
        args = {self.key: self.sender.serialize_entity(None, self.obj)}
        return wire.encode(_message(args))

    def receive(self, body: bytes) -> Any:
        message = wire.decode(body)
        return self.reader.obj_from_wire(message["args"][self.key])

    def round_trip(self) -> Any:
        return self.receive(self.send())


class FloorPath:
    """The floor: the same data as plain nested dicts of msgpack scalars
    (datetimes, UUIDs, addresses and sets turned into strings and lists
    beforehand), packed and unpacked by msgpack alone - no objects, no
    checks."""

    def __init__(self, key: str, obj: Any) -> None:
        self.message = _message({key: _plain(obj.obj_to_primitive())})

    def send(self) -> bytes:
        return msgpack.packb(self.message)  # type: ignore[no-any-return]

    def round_trip(self) -> Any:
        return msgpack.unpackb(self.send())


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    return str(value)


class NovaBackportPath(NovaPath):
    """Nova's path sending ``obj_to_primitive(target, manifest)``."""

    def __init__(self, key: str, obj: Any, peer: dict[str, str]) -> None:
        super().__init__(key, obj)
        self.peer = peer

    def round_trip(self) -> Any:
        name = self.obj.obj_name()
        primitive = self.obj.obj_to_primitive(self.peer[name], self.peer)
        return self.receive(self.send(primitive))


# -- what each side must get right before it is timed -----------------------


def _strip_changes(primitive: Any) -> Any:
    if isinstance(primitive, dict):
        return {
            k: _strip_changes(v)
            for k, v in primitive.items()
            if not k.endswith(".changes")
        }
    if isinstance(primitive, list):
        return [_strip_changes(v) for v in primitive]
    return primitive


def check(key: str, obj: Any, baseline: Any, peers: dict[str, Any]) -> None:
    """Fail loudly unless every path carries the data it claims to."""
    same = ZerodownPath(key, obj).round_trip()
    assert same == obj, "zerodown round trip changed the object"
    nova = NovaPath(key, baseline).round_trip()
    assert _strip_changes(nova.obj_to_primitive()) == _strip_changes(
        baseline.obj_to_primitive()
    ), "o.vo round trip changed the object"
    for peer in peers.values():
        old = ZerodownPath(key, obj, peer).round_trip()
        name = obj.obj_name()
        assert peer[name] == old.VERSION, (old.VERSION, peer[name])
        expected = obj.obj_to_wire(peer[name], peer)
        assert old.obj_to_wire(peer[name], peer) == expected
        nova_old = NovaBackportPath(key, baseline, peer).round_trip()
        assert peer[name] == nova_old.VERSION


# -- timing -----------------------------------------------------------------


def measure(
    cases: dict[str, Callable[[], Any]], rounds: int
) -> dict[str, list[float]]:
    """Per-call µs of each case, ``rounds`` times, cases interleaved."""
    numbers = {}
    for name, fn in cases.items():
        timer = timeit.Timer(fn, timer=time.process_time)
        count, spent = timer.autorange()
        numbers[name] = max(1, int(count * 0.1 / max(spent, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(rounds):
        order = list(cases) if round_ % 2 == 0 else list(reversed(cases))
        for name in order:
            timer = timeit.Timer(cases[name], timer=time.process_time)
            spent = timer.timeit(numbers[name])
            samples[name].append(spent / numbers[name] * 1e6)
    return samples


def _bind(fn: Callable[[Any], Any], arg: Any) -> Callable[[], Any]:
    return lambda: fn(arg)


def _row(label: str, values: list[float], size: int | None) -> str:
    median = statistics.median(values)
    spread = f"{min(values):.0f}-{max(values):.0f}"
    shown = "" if size is None else f"{size:,}"
    return f"  {label:<44} {median:>9.1f}  {spread:>13}  {shown:>8}"


BASE = "nova: o.vo + jsonutils, 2 layers (baseline)"
FLOOR = "floor: msgpack of plain nested dicts"
OURS = "zerodown: serializer + wire codec"


def scenario(
    title: str,
    key: str,
    obj: Any,
    peers: dict[str, dict[str, str]],
    rounds: int,
) -> list[tuple[str, float, float, bool]]:
    """Time one object through every path; print its table; return the
    target checks."""
    baseline = to_baseline(obj)
    check(key, obj, baseline, peers)
    nova, zd = NovaPath(key, baseline), ZerodownPath(key, obj)
    packed = NovaMsgpackPath(key, baseline)
    cases: dict[str, Callable[[], Any]] = {
        "o.vo + msgpack, 1 layer": packed.round_trip
    }
    sizes = {"o.vo + msgpack, 1 layer": len(packed.send())}
    # Each comparison's two sides are timed next to each other in a round.
    for label, peer in peers.items():
        nova_old = NovaBackportPath(key, baseline, peer)
        cases[f"nova: backport to {label}"] = nova_old.round_trip
        primitive = baseline.obj_to_primitive(peer[obj.obj_name()], peer)
        sizes[f"nova: backport to {label}"] = len(nova_old.send(primitive))
    cases[BASE], sizes[BASE] = nova.round_trip, len(nova.send())
    cases[OURS], sizes[OURS] = zd.round_trip, len(zd.send())
    floor = FloorPath(key, obj)
    cases[FLOOR], sizes[FLOOR] = floor.round_trip, len(floor.send())
    for label, peer in peers.items():
        zd_old = ZerodownPath(key, obj, peer)
        cases[f"zerodown: backport to {label}"] = zd_old.round_trip
        sizes[f"zerodown: backport to {label}"] = len(zd_old.send())
    cases["  zerodown send (serialize + encode)"] = zd.send
    cases["  zerodown receive (decode + hydrate)"] = _bind(
        zd.receive, zd.send()
    )
    samples = measure(cases, rounds)
    print(f"\n{title}")
    print(
        f"  {'path (round trip unless noted)':<44} {'median us':>9}  "
        f"{'min-max':>13}  {'bytes':>8}"
    )
    for label in sorted(samples, key=_order):
        print(_row(label, samples[label], sizes.get(label)))
    speed = _paired(samples[BASE], samples[OURS])
    above_floor = _paired(samples[OURS], samples[FLOOR])
    fewer = 1 - sizes[OURS] / sizes[BASE]
    results = [
        (
            f"round trip {speed:.1f}x faster than the baseline",
            speed,
            10.0,
            speed >= 10.0,
        ),
        (
            f"round trip {above_floor:.1f}x the plain-msgpack floor",
            above_floor,
            3.0,
            above_floor <= 3.0,
        ),
        (
            f"{fewer:.0%} fewer bytes ({sizes[OURS]:,} vs {sizes[BASE]:,})",
            fewer,
            0.30,
            fewer >= 0.30,
        ),
    ]
    for label in peers:
        extra = (
            _paired(samples[f"zerodown: backport to {label}"], samples[OURS])
            - 1
        )
        nova_extra = (
            _paired(samples[f"nova: backport to {label}"], samples[BASE]) - 1
        )
        results.append(
            (
                f"backport to {label} adds {extra:+.0%} to the round trip "
                f"(nova's adds {nova_extra:+.0%})",
                extra,
                0.25,
                extra <= 0.25,
            )
        )
    return results


def _order(label: str) -> tuple[int, int, str]:
    side = 2 if label == FLOOR else 1 if "zerodown" in label else 0
    detail = 2 if "backport" in label else 1 if label.startswith(" ") else 0
    return side, detail, label


def _paired(top: list[float], bottom: list[float]) -> float:
    """Median of the per-round ratios: both sides of a round ran back to
    back, so load on the machine hits them alike."""
    return statistics.median(a / b for a, b in zip(top, bottom, strict=True))


INSTANCE_PEERS = {
    # What the previous release speaks (the anchor's OLD_MANIFEST shape):
    # cells before pcpuset, PCI devices before uuid, no compute_id.
    "the previous release": {
        **zo.REGISTRY.versions(),
        "Instance": "2.3",
        "InstanceNUMACell": "1.4",
        "PciDevice": "1.5",
        "Flavor": "1.1",
        "ImageMetaProps": "1.3",
    },
    # Every object at its first version: Instance 2.0 predates the NUMA
    # topology and PCI devices, so they are dropped and travel no more.
    "the oldest versions": zo.REGISTRY.oldest_versions(),
}
NODE_PEERS = {
    "the previous release": {
        **zo.REGISTRY.versions(),
        "ComputeNode": "1.6",
        "NUMACell": "1.3",
        "NUMAPagesTopology": "1.0",
    },
    "the oldest versions": zo.REGISTRY.oldest_versions(),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds, for a smoke run"
    )
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    print(
        f"python {sys.version.split()[0]}, {rounds} rounds, "
        "cpu time per call (time.process_time), GC off while timing"
    )
    results = scenario(
        "Instance: 4-cell pinned NUMA topology, 4 PCI VFs, flavor, image "
        "properties (16 objects)",
        "instance",
        build_instance(),
        INSTANCE_PEERS,
        rounds,
    )
    node_results = scenario(
        "ComputeNode: 4 cells x 16 pCPUs, 2 page sizes a cell, 4 PCI pools "
        "(19 objects)",
        "compute_node",
        build_compute_node(),
        NODE_PEERS,
        rounds,
    )
    limits = Limits(max_size=1024 * 1024) if args.quick else Limits()
    codec_results = objects_limits.report(limits)
    print(
        "\nTargets (Instance decides; ComputeNode for reference); ratios "
        "are medians of per-round ratios"
    )
    for title, rows in (("Instance", results), ("ComputeNode", node_results)):
        for text, _value, target, ok in rows:
            print(
                f"  {title:<12} {'PASS' if ok else 'MISS'}  {text} "
                f"[target {target:g}]"
            )
    for text, verdict in codec_results:
        print(f"  {'Wire codec':<12} {verdict}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
