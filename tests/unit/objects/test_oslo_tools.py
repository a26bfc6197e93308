"""oslo.versionedobjects' own tools on zerodown objects: its RPC
serializer through oslo.messaging (the fake driver, which carries every
message as JSON as a real one would), and its fixture's
``ObjectVersionChecker``, through :mod:`zerodown.objects.oslo`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import oslo_messaging as messaging
import pytest
from compute_examples import example
from oslo_config import cfg
from oslo_messaging import conffixture
from oslo_versionedobjects import fixture as ovo_fixture
from oslo_versionedobjects.base import (
    VersionedObject,
    VersionedObjectRegistry,
    VersionedObjectSerializer,
)

from zerodown.compute.objects import REGISTRY
from zerodown.objects import OsloSerializer, ZerodownObject
from zerodown.objects.errors import (
    IncompatibleVersion,
    ObjectDeclarationError,
    UnknownObject,
)
from zerodown.objects.oslo import oslo_classes, oslo_registered

OLDEST = REGISTRY.oldest_versions()


class Echo:
    """The server side: answers with what it was given and what it saw."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self.done = threading.Event()

    def echo(self, ctxt: Any, obj: Any) -> Any:
        return obj

    def describe(self, ctxt: Any, objs: Any) -> Any:
        self.seen.extend(objs)
        return [(o.obj_name(), o.VERSION) for o in objs]

    def note(self, ctxt: Any, obj: Any) -> None:
        self.seen.append(obj)
        self.done.set()


@pytest.fixture
def rpc(request) -> Iterator[Any]:
    """``rpc(server_serializer, client_serializer)``: an oslo.messaging
    server and client on the fake driver; the server's endpoint."""
    started: list[Any] = []

    def make(server_side: Any, client_side: Any) -> tuple[Any, Echo]:
        conf = cfg.ConfigOpts()
        # Registers oslo.messaging's options on this private conf.
        conffixture.ConfFixture(conf)
        transport = messaging.get_rpc_transport(conf, url="fake:/")
        target = messaging.Target(topic=f"zd-{request.node.name}", server="s")
        endpoint = Echo()
        server = messaging.get_rpc_server(
            transport,
            target,
            [endpoint],
            executor="threading",
            serializer=server_side,
        )
        server.start()
        started.append((server, transport))
        client = messaging.get_rpc_client(
            transport, target, serializer=client_side, timeout=30
        )
        return client, endpoint

    yield make
    for server, transport in started:
        server.stop()
        server.wait()
        transport.cleanup()


def test_it_is_an_oslo_serializer():
    assert isinstance(OsloSerializer(REGISTRY), VersionedObjectSerializer)


def test_objects_round_trip_through_oslo_messaging(rpc):
    client, _ = rpc(OsloSerializer(REGISTRY), OsloSerializer(REGISTRY))
    instance = example("Instance")
    back = client.call({}, "echo", obj=instance)
    assert isinstance(back, type(instance)) and back == instance
    assert back.numa_topology.cells[0].pcpuset == {0, 1}
    nested = client.call(
        {}, "echo", obj={"a": [instance, (example("Flavor"),)], "n": 1}
    )
    assert nested["a"][0] == instance and nested["n"] == 1
    assert nested["a"][1][0] == example("Flavor")


def test_an_old_peer_gets_its_versions(rpc):
    old_side = OsloSerializer(REGISTRY.as_of(OLDEST))
    client, endpoint = rpc(old_side, OsloSerializer(REGISTRY, OLDEST))
    answer = client.call(
        {}, "describe", objs=[example("Instance"), example("ComputeNode")]
    )
    assert answer == [("Instance", "2.0"), ("ComputeNode", "1.0")]
    instance = endpoint.seen[0]
    assert not instance.obj_attr_is_set("pci_devices")  # a 2.0 field set


def test_a_cast_arrives_hydrated(rpc):
    client, endpoint = rpc(OsloSerializer(REGISTRY), OsloSerializer(REGISTRY))
    client.cast({}, "note", obj=example("Service"))
    assert endpoint.done.wait(30)
    assert endpoint.seen == [example("Service")]


def test_what_a_side_cannot_read_is_a_typed_error():
    old = OsloSerializer(REGISTRY.as_of(OLDEST))
    primitive = OsloSerializer(REGISTRY).serialize_entity(
        {}, example("Instance")
    )
    with pytest.raises(IncompatibleVersion, match="Instance"):
        old.deserialize_entity({}, primitive)
    peer = OsloSerializer(REGISTRY, {"Flavor": "1.0"})
    with pytest.raises(UnknownObject, match="Instance"):
        peer.serialize_entity({}, example("Instance"))


def test_o_vo_alone_cannot_hydrate_zerodown_objects():
    # The failure the serializer exists for: o.vo's own, with zerodown's
    # base class, finds no class in its process-wide registry.
    class Plain(VersionedObjectSerializer):
        OBJ_BASE_CLASS = ZerodownObject

    primitive = example("Flavor").obj_to_primitive()
    with pytest.raises(Exception, match="not registered"):
        Plain().deserialize_entity({}, primitive)


# -- the fixture's ObjectVersionChecker -----------------------------------


def test_the_checker_needs_the_adapter_for_a_manifest():
    checker = ovo_fixture.ObjectVersionChecker(oslo_classes(REGISTRY))
    with pytest.raises(IndexError):
        checker.test_compatibility_routines(use_manifest=True)


def test_the_checker_runs_through_the_adapter():
    checker = ovo_fixture.ObjectVersionChecker(oslo_classes(REGISTRY))
    with oslo_registered(REGISTRY):
        checker.test_compatibility_routines(use_manifest=True)
        checker.test_compatibility_routines()
        checker.test_relationships_in_order()
        hashes = checker.get_hashes()
        assert checker.test_hashes(hashes) == ({}, {})
    assert set(hashes) == set(REGISTRY)
    # o.vo's registry is left as it was.
    assert not VersionedObjectRegistry.obj_classes().get("Instance")


def test_the_adapter_refuses_a_name_another_project_holds():
    # Another project's o.vo object called Flavor, in o.vo's registry.
    other = type("Flavor", (VersionedObject,), {"fields": {}})
    VersionedObjectRegistry.register(other)
    classes = VersionedObjectRegistry.obj_classes()
    try:
        with (
            pytest.raises(ObjectDeclarationError, match="already has"),
            oslo_registered(REGISTRY),
        ):
            pass
        assert classes["Flavor"] == [other]
    finally:
        classes.pop("Flavor", None)
