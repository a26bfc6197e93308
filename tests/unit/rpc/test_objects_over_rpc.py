"""Objects across versions: sender-side backport and the conductor's."""

from __future__ import annotations

import pytest
from rpc_widgets import Inspector, registry, widget

from zerodown.objects.errors import IncompatibleVersion
from zerodown.objects.serializer import ObjectSerializer
from zerodown.rpc import (
    RequestContext,
    RPCClient,
    RPCServer,
    StaticCap,
    Target,
    list_dead_letters,
)
from zerodown.rpc.indirection import (
    ObjectIndirectionAPI,
    ObjectIndirectionEndpoint,
)
from zerodown.testing.waiting import eventually


@pytest.fixture
def new():
    return registry(old=False)


@pytest.fixture
def old():
    return registry(old=True)


def _old_server(transport, old, topic="shop"):
    inspector = Inspector()
    inspector.registry = old
    server = RPCServer(
        transport,
        Target(topic=topic, server="old-1"),
        [inspector],
        serializer=ObjectSerializer(old),
    )
    return server, inspector


def _client(transport, new, cap=None, topic="shop"):
    return RPCClient(
        transport,
        Target(topic=topic, version="1.0"),
        serializer=ObjectSerializer(new),
        version_cap=cap,
        timeout=3,
    )


def test_the_sender_backports_when_it_knows_the_receiver(transport, new, old):
    server, inspector = _old_server(transport, old)
    cap = StaticCap("1.0", objects=old.versions(), reason="test")
    with server:
        seen = _client(transport, new, cap).call(
            None, "inspect", widget=widget(new, color="red")
        )
        given = _client(transport, new, cap).call(None, "give", name="g")
    assert seen == {"version": "1.0", "fields": ["id", "knobs", "name"]}
    assert type(inspector.seen[0]) is old["Widget"]
    # The old server's answer is read by the new registry, upgraded.
    assert type(given) is new["Widget"] and given.name == "g"


def test_without_a_manifest_and_a_conductor_the_old_side_refuses(
    transport, new, old
):
    server, _ = _old_server(transport, old)
    with server:
        client = _client(transport, new)
        with pytest.raises(IncompatibleVersion, match=r"Widget 1\.1"):
            client.call(None, "inspect", widget=widget(new))
        client.cast(None, "inspect", widget=widget(new))
        eventually(
            lambda: list_dead_letters(transport),
            message="the cast was not dead-lettered",
        )
    assert list_dead_letters(transport)[0].reason == "IncompatibleVersion"


@pytest.fixture
def conductor(transport, new):
    server = RPCServer(
        transport,
        Target(topic="conductor", server="c1"),
        [ObjectIndirectionEndpoint(new)],
        serializer=ObjectSerializer(new),
    )
    with server:
        yield server


@pytest.fixture
def old_via_conductor(transport, old, conductor):
    calls = []

    class Counting(ObjectIndirectionAPI):
        def object_backport_versions(self, context, objinst, versions):
            calls.append(objinst.name)
            return super().object_backport_versions(context, objinst, versions)

    api = Counting(
        transport,
        topic="conductor",
        serializer=ObjectSerializer(old),
        timeout=3,
    )
    old.indirection_api = api
    yield calls
    api.close()


def test_the_receiver_asks_the_conductor_otherwise(
    transport, new, old, old_via_conductor
):
    server, _ = _old_server(transport, old)
    with server:
        seen = _client(transport, new).call(
            None, "inspect", widget=widget(new, color="blue")
        )
    assert seen == {"version": "1.0", "fields": ["id", "knobs", "name"]}
    assert old_via_conductor == ["Widget"]


def test_the_sender_backport_saves_the_round_trip(
    transport, new, old, old_via_conductor
):
    server, _ = _old_server(transport, old)
    cap = StaticCap("1.0", objects=old.versions())
    with server:
        _client(transport, new, cap).call(None, "inspect", widget=widget(new))
    assert old_via_conductor == []


def test_remotable_methods_run_on_the_conductor(
    transport, old, old_via_conductor
):
    built = old["Widget"].build(None, "remote")
    assert type(built) is old["Widget"]
    assert (built.id, built.name) == (7, "remote")
    built._context = RequestContext()
    built.obj_reset_changes()
    assert built.rename("again") == "remote"
    assert built.name == "again"
    assert built.obj_what_changed() == {"name"}


def test_only_registered_objects_are_built(transport, new, old):
    from zerodown.objects.errors import UnknownObject
    from zerodown.objects.wire import WireObject

    server, inspector = _old_server(transport, old)
    forged = WireObject("test.rpc.widgets", "Os.System", "1.0", {"cmd": "x"})
    other = WireObject("another.project", "Widget", "1.0", {})
    with server:
        client = RPCClient(transport, Target(topic="shop", version="1.0"))
        for wire_object in (forged, other):
            with pytest.raises(UnknownObject):
                client.call(None, "inspect", widget=wire_object)
    assert inspector.seen == []
