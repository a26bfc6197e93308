"""Serializer, sender-side backport, conductor backport, remotable calls.

Two registries built from two releases' classes stand for two services;
everything between them crosses the wire codec.
"""

from __future__ import annotations

import pytest
from sample_objects import gadget, make_old_registry, make_registry

from zerodown.objects import WireObject, wire
from zerodown.objects.errors import (
    IncompatibleVersion,
    ObjectError,
    UnknownObject,
    UnknownObjectMethod,
    UnrepresentableValue,
)
from zerodown.objects.indirection import ObjectActions
from zerodown.objects.serializer import ObjectSerializer
from zerodown.testing.indirection import LocalIndirection


class Counting(LocalIndirection):
    """LocalIndirection that counts the calls reaching the conductor."""

    def __init__(self, *args):
        super().__init__(*args)
        self.calls: list[str] = []

    def object_backport_versions(self, context, objinst, object_versions):
        self.calls.append("backport")
        return super().object_backport_versions(
            context, objinst, object_versions
        )


def _send(sender, receiver, value, context="ctx"):
    body = wire.encode(sender.serialize_entity(context, value))
    return receiver.deserialize_entity(context, wire.decode(body))


def test_a_message_with_objects_in_lists_and_dicts_round_trips():
    registry = make_registry()
    serializer = ObjectSerializer(registry)
    message = {
        "one": gadget(registry),
        "many": [gadget(registry), 3],
        "t": (1,),
    }
    back = _send(serializer, serializer, message)
    assert back["one"] == message["one"] and back["many"][0] == message["one"]
    assert back["many"][1] == 3 and back["t"] == [1]
    assert back["one"].obj_context == "ctx"


def test_the_sender_backports_when_it_knows_the_receivers_versions():
    current, old = make_registry(), make_old_registry()
    conductor = Counting(ObjectActions(current), old)
    old.indirection_api = conductor
    sender = ObjectSerializer(current).for_peer(old.versions())
    received = _send(sender, ObjectSerializer(old), gadget(current))
    assert conductor.calls == []
    assert type(received) is old["Gadget"]
    assert received.VERSION == "1.1"
    assert received.cpus == {1, 2, 3, 8, 9}
    assert [p.obj_to_wire().data for p in received.parts] == [
        {"name": "a", "size": 1},
        {"name": "b", "size": 2},
    ]


def test_without_them_the_receiver_asks_the_conductor():
    current, old = make_registry(), make_old_registry()
    conductor = Counting(ObjectActions(current), old)
    old.indirection_api = conductor
    received = _send(
        ObjectSerializer(current), ObjectSerializer(old), gadget(current)
    )
    assert conductor.calls == ["backport"]
    assert received.VERSION == "1.1" and received.cpus == {1, 2, 3, 8, 9}


def test_without_a_conductor_the_newer_object_is_a_typed_error():
    current, old = make_registry(), make_old_registry()
    with pytest.raises(IncompatibleVersion) as err:
        _send(
            ObjectSerializer(current), ObjectSerializer(old), gadget(current)
        )
    assert (err.value.object, err.value.version) == ("Gadget", "1.3")


def test_a_value_the_receiver_cannot_mean_is_refused_at_the_sender():
    current, old = make_registry(), make_old_registry()
    sender = ObjectSerializer(current).for_peer(old.versions())
    with pytest.raises(UnrepresentableValue) as err:
        sender.serialize_entity(None, gadget(current, mode="turbo"))
    assert (err.value.object, err.value.version, err.value.field) == (
        "Gadget",
        "1.1",
        "mode",
    )


def test_an_object_the_peer_does_not_know_is_refused_at_the_sender():
    sender = ObjectSerializer(make_registry()).for_peer({"Part": "1.0"})
    with pytest.raises(UnknownObject, match="as the peer knows it"):
        sender.serialize_entity(None, gadget(make_registry()))


def test_an_old_sender_is_upgraded_on_read():
    current, old = make_registry(), make_old_registry()
    sent = old["Gadget"](
        id=1,
        cpus={1},
        parts=[],
        mode="eco",
        labels={},
        created_at=None,
        address=None,
    )
    received = _send(ObjectSerializer(old), ObjectSerializer(current), sent)
    assert type(received) is current["Gadget"]
    assert received.VERSION == "1.3" and received.spare == set()


def _remote_pair():
    server, client = make_registry(), make_registry()
    client.indirection_api = LocalIndirection(ObjectActions(server), client)
    return server, client


def test_remotable_methods_run_locally_without_indirection():
    registry = make_registry()
    obj = gadget(registry)
    assert obj.grow(10) == 23
    assert [p.size for p in obj.parts] == [11, 12]
    built = registry["Gadget"].build("ctx", 2)
    assert built.obj_context == "ctx" and len(built.parts) == 2


def test_an_instance_method_runs_remotely_and_its_changes_come_back():
    _, client = _remote_pair()
    obj = gadget(client)
    obj._context = "ctx"
    assert obj.grow(5) == 13
    assert [p.size for p in obj.parts] == [6, 7]
    assert obj.labels == {"a": "first", "z": "last", "grown": "5"}
    assert obj.obj_what_changed() == {"parts", "labels"}
    assert type(obj.parts[0]) is client["Part"]


def test_a_classmethod_runs_remotely_and_returns_a_client_object():
    _, client = _remote_pair()
    built = client["Gadget"].build("ctx", 3)
    assert type(built) is client["Gadget"]
    assert [p.name for p in built.parts] == ["p0", "p1", "p2"]


def test_the_conductor_answers_in_the_callers_versions():
    current, old = make_registry(), make_old_registry()
    actions = ObjectActions(current)
    with pytest.raises(UnrepresentableValue):  # build() makes a turbo gadget
        actions.object_class_action_versions(
            None, "Gadget", "build", old.versions(), (1,), {}
        )
    answer = actions.object_backport_versions(
        None, gadget(current).obj_to_wire(), old.versions()
    )
    assert isinstance(answer, WireObject) and answer.version == "1.1"
    assert old.obj_from_wire(answer).cpus == {1, 2, 3, 8, 9}


def test_only_remotable_methods_are_served():
    actions = ObjectActions(make_registry())
    with pytest.raises(UnknownObjectMethod):
        actions.object_class_action_versions(
            None, "Gadget", "obj_from_primitive", {"Gadget": "1.3"}, (), {}
        )
    with pytest.raises(UnknownObjectMethod):
        actions.object_action(
            None,
            gadget(make_registry()),
            "__init__",
            (),
            {},
            {"Gadget": "1.3", "Part": "1.1"},
        )


def test_a_remote_call_needs_a_context():
    _, client = _remote_pair()
    with pytest.raises(ObjectError, match="request context"):
        gadget(client).grow(1)
