"""Field types and the compiled plan: same objects as o.vo, built faster."""

from __future__ import annotations

import datetime
import ipaddress
import uuid

import pytest
from oslo_versionedobjects import base as ovo_base
from sample_objects import gadget, make_registry

from zerodown.objects import fields as f
from zerodown.objects.errors import InvalidTargetVersion, UnrepresentableValue


@pytest.fixture
def registry():
    return make_registry()


def test_int_sets_coerce_strictly():
    field = f.CPUSetField()
    assert field.coerce(None, "cpus", frozenset({2, 1})) == {1, 2}
    for bad in ([1, 2], {1.5}, {-1}, {"1"}, {False}):
        with pytest.raises(ValueError):
            field.coerce(None, "cpus", bad)
    assert field.to_primitive(None, "cpus", {9, 3, 5}) == [3, 5, 9]
    assert f.IntSetField().coerce(None, "x", {-4}) == {-4}


def test_enum_since_must_name_a_valid_value():
    with pytest.raises(ValueError, match="not a valid value"):
        f.EnumField(["a"], since={"b": "1.1"})
    with pytest.raises(ValueError):
        f.EnumField(["a", "b"], since={"b": "one"})


def test_datetimes_keep_microseconds_and_offsets():
    field = f.DateTimeField()
    tz = datetime.timezone(datetime.timedelta(hours=-3, minutes=-30))
    moment = datetime.datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=tz)
    text = field.to_primitive(None, "t", moment)
    assert text == "2026-02-03T04:05:06.789012-03:30"
    assert field.from_primitive(None, "t", text) == moment
    naive = field.coerce(None, "t", datetime.datetime(2026, 1, 1))
    assert naive.tzinfo == datetime.timezone.utc
    assert field.coerce(None, "t", "2026-01-01T00:00:00Z").tzinfo is not None


def test_uuid_ip_and_pci_fields_validate_and_normalise():
    value = uuid.uuid4()
    assert f.UUIDField().coerce(None, "u", str(value).upper()) == str(value)
    assert f.UUIDField().coerce(None, "u", value) == str(value)
    for bad in ("nope", 42, "x" * 100):
        with pytest.raises(ValueError):
            f.UUIDField().coerce(None, "u", bad)
    assert f.IPAddressField().coerce(
        None, "ip", "::1"
    ) == ipaddress.ip_address("::1")
    with pytest.raises(ValueError):
        f.IPAddressField().coerce(None, "ip", "300.1.1.1")
    assert (
        f.PCIAddressField().coerce(None, "a", "0000:81:00.1") == "0000:81:00.1"
    )
    with pytest.raises(ValueError):
        f.PCIAddressField().coerce(None, "a", "0000:81:00.9")


def test_primitive_is_what_ovo_itself_would_produce(registry):
    obj = gadget(registry)
    ours = obj.obj_to_primitive()
    theirs = ovo_base.VersionedObject.obj_to_primitive(obj)
    # o.vo walks children through our obj_to_primitive too; the top level
    # and every value type must agree.
    assert ours == theirs
    data = ours["zerodown_object.data"]
    assert data["cpus"] == [1, 2, 3]
    assert list(data["labels"]) == ["a", "z"]
    assert data["created_at"] == "2026-01-02T03:04:05.678901+00:00"
    assert data["address"] == "2001:db8::1"
    assert ours["zerodown_object.namespace"] == "test.sample"


def test_wire_form_is_sorted_native_and_compact(registry):
    obj = gadget(registry)
    sent = obj.obj_to_wire()
    assert (sent.namespace, sent.name, sent.version) == (
        "test.sample",
        "Gadget",
        "1.3",
    )
    assert list(sent.data) == sorted(sent.data)
    assert sent.data["cpus"] == [1, 2, 3]
    assert sent.data["parts"][0] == [
        "Part",
        "1.1",
        {"name": "a", "size": 1, "weight": 0.5},
    ]
    assert isinstance(sent.data["created_at"], datetime.datetime)
    assert sent.changes is None


def test_a_hydrated_object_equals_the_original_and_is_clean(registry):
    obj = gadget(registry)
    back = registry.obj_from_wire(obj.obj_to_wire())
    assert back == obj and back is not obj
    assert back.obj_what_changed() == set()
    assert back.spare == {8, 9} and back.parts[1].name == "b"
    assert registry.obj_from_primitive(obj.obj_to_primitive()) == obj


def test_changes_travel_and_are_filtered_to_what_is_sent(registry):
    obj = gadget(registry)
    obj.mode = "eco"
    obj.main.size = 4
    sent = obj.obj_to_wire()
    assert sent.changes == ["mode"]
    assert sent.data["main"][3] == ["size"]
    back = registry.obj_from_wire(sent)
    assert back.obj_what_changed() == {"mode", "main"}
    obj.obj_reset_changes(recursive=True)
    obj.spare = {1}
    assert obj.obj_to_wire("1.1", {"Part": "1.1"}).changes is None


def test_equality_ignores_changes_but_not_data(registry):
    a, b = gadget(registry), gadget(registry)
    b.mode = "fast"
    assert a == b
    b.mode = "eco"
    assert a != b
    assert a != gadget(registry, parts=[])


def test_backport_to_a_newer_version_is_refused(registry):
    with pytest.raises(InvalidTargetVersion):
        gadget(registry).obj_to_wire("1.4")


def test_backport_follows_the_history_and_manifest(registry):
    obj = gadget(registry)
    sent = obj.obj_to_wire("1.1", {"Gadget": "1.1", "Part": "1.0"})
    assert sent.version == "1.1"
    assert sorted(sent.data) == [
        "address",
        "cpus",
        "created_at",
        "id",
        "labels",
        "mode",
        "parts",
    ]
    # 1.2's step folded the spare CPUs back into cpus
    assert sent.data["cpus"] == [1, 2, 3, 8, 9]
    assert sent.data["parts"] == [
        ["Part", "1.0", {"name": "a", "size": 1}],
        ["Part", "1.0", {"name": "b", "size": 2}],
    ]
    turbo = gadget(registry, mode="turbo")
    with pytest.raises(UnrepresentableValue) as err:
        turbo.obj_to_wire("1.2")
    assert err.value.field == "mode" and err.value.version == "1.2"


def test_children_absent_from_the_manifest_keep_their_version(registry):
    sent = gadget(registry).obj_to_wire("1.2", {"Gadget": "1.2"})
    assert sent.data["parts"][0][1] == "1.1"
    no_manifest = gadget(registry).obj_to_primitive("1.2")
    part = no_manifest["zerodown_object.data"]["parts"][0]
    assert part["zerodown_object.version"] == "1.1"


def test_ovo_obj_make_compatible_uses_the_same_history(registry):
    obj = gadget(registry)
    primitive = obj.obj_to_primitive()
    data = primitive["zerodown_object.data"]
    obj.obj_make_compatible_from_manifest(data, "1.1", {"Part": "1.0"})
    assert "spare" not in data and "main" not in data
    assert data["cpus"] == [1, 2, 3, 8, 9]
    assert data["parts"][0]["zerodown_object.version"] == "1.0"
    assert "weight" not in data["parts"][0]["zerodown_object.data"]


def test_an_older_primitive_is_upgraded_and_stamped(registry):
    old = gadget(registry).obj_to_wire("1.1", {"Part": "1.0"})
    back = registry.obj_from_wire(old)
    assert back.VERSION == "1.3" and "VERSION" not in vars(back)
    assert back.spare == set()  # the upgrade step's reading of 1.1 data
    assert back.cpus == {1, 2, 3, 8, 9}
    assert back.obj_to_wire().version == "1.3"
    # A nullable field 1.1 did not have is read as None, not left unset.
    assert back.main is None


def test_obj_attr_is_set_keeps_ovo_semantics(registry):
    obj = registry["Part"](name="x")
    assert obj.obj_attr_is_set("name") and not obj.obj_attr_is_set("size")
    with pytest.raises(AttributeError):
        obj.obj_attr_is_set("nope")


def test_an_unregistered_subclass_is_not_sent_as_its_parent(registry):
    from zerodown.objects.errors import UnencodableValue

    class Unregistered(registry["Part"]):
        pass

    with pytest.raises(UnencodableValue) as err:
        Unregistered(name="x", size=1).obj_to_wire()
    assert str(err.value) == (
        "cannot encode Unregistered at an object: "
        "its class is not registered in an ObjectRegistry"
    )


def test_old_data_asked_for_a_newer_version_is_sent_as_it_is(registry):
    old = gadget(registry).obj_to_wire("1.1", {"Part": "1.0"})
    read = registry.as_of({"Gadget": "1.1", "Part": "1.0"}).obj_from_wire(old)
    assert read.VERSION == "1.1"
    again = read.obj_to_wire("1.3", registry.versions())
    assert again.version == "1.1" and again.data == old.data
    assert registry.obj_from_wire(again).VERSION == "1.3"
    with pytest.raises(InvalidTargetVersion):
        read.obj_to_wire("1.4")


# -- the same object gives the same bytes -------------------------------------


def test_field_order_and_dict_order_do_not_change_the_bytes(registry):
    from zerodown.objects import wire

    labels = [(f"k{i}", str(i)) for i in range(12)]
    first = gadget(registry, labels=dict(labels))
    second = gadget(registry, labels=dict(reversed(labels)))
    cls = registry["Gadget"]
    third = cls()
    values = first.obj_to_wire().data
    # The same fields set in the opposite order, from the same values.
    for name in sorted(cls.fields, reverse=True):
        if first.obj_attr_is_set(name):
            setattr(third, name, getattr(first, name))
    third.labels = dict(reversed(labels))
    third.obj_reset_changes(recursive=True)
    sent = {wire.encode(o.obj_to_wire()) for o in (first, second, third)}
    assert len(sent) == 1
    assert list(values) == sorted(values)


def _unordered_registry():
    from zerodown.objects import (
        Change,
        History,
        ObjectRegistry,
        ZerodownObject,
    )

    def _old_labels(data, step):
        # A step that writes a new key and a dict in no particular order.
        data["zlegacy"] = {"b": "2", "a": "1"}
        data["alpha"] = data.pop("beta", None)

    registry = ObjectRegistry("test.unordered")

    @registry.register
    class Thing(ZerodownObject):
        VERSION = "1.1"
        history = History(
            Change("1.0", "initial", added=["alpha", "zlegacy"]),
            Change("1.1", "beta", added=["beta"], backport=_old_labels),
        )
        fields = {
            "alpha": f.StringField(nullable=True),
            "beta": f.StringField(nullable=True),
            "zlegacy": f.DictOfStringsField(nullable=True),
        }

    return registry


def test_data_a_backport_step_rewrote_is_sent_in_order():
    from zerodown.objects import WireObject, wire

    registry = _unordered_registry()
    thing = registry["Thing"](beta="b")
    sent = thing.obj_to_wire("1.0")
    expected = WireObject(
        "test.unordered",
        "Thing",
        "1.0",
        {"alpha": "b", "zlegacy": {"a": "1", "b": "2"}},
        sent.changes,
    )
    assert list(sent.data) == ["alpha", "zlegacy"]
    assert wire.encode(sent) == wire.encode(expected)
    back = wire.decode(wire.encode(sent))
    assert list(back.data["zlegacy"]) == ["a", "b"]


def _height(value):
    """Levels of containers in plain wire data (0 for a scalar)."""
    if isinstance(value, dict):
        return 1 + max(map(_height, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_height, value), default=0)
    return 0


def test_the_height_a_plan_gives_its_data_is_an_upper_bound(registry):
    from zerodown.compute import objects as compute

    objects = [gadget(registry), registry["Part"](name="p", size=1)]
    objects += [compute.VirtCPUTopology(sockets=1, cores=2, threads=1)]
    for obj in objects:
        data = obj.obj_to_wire().data
        assert _height(data) <= data.height <= _height(data) + 2


# -- the height of a plan's data ----------------------------------------------


class _Blob(f.FieldType):
    """A type without a codec: its o.vo primitive travels, shape unknown."""

    @staticmethod
    def coerce(obj, attr, value):
        return value

    @staticmethod
    def to_primitive(obj, attr, value):
        return {"blob": value}

    @staticmethod
    def from_primitive(obj, attr, value):
        return value["blob"]


class _BlobField(f.AutoTypedField):
    AUTO_TYPE = _Blob()


class _Raw(f.FieldType):
    """A type with a codec of its own that passes values as they are."""

    def zerodown_codec(self):
        from zerodown.objects.codecs import Codec

        return Codec("anything", None, _itself, None, _itself)


def _itself(value):
    return value


class _RawField(f.AutoTypedField):
    AUTO_TYPE = _Raw()


def _shapes_registry():
    from zerodown.objects import Change, History, ObjectRegistry
    from zerodown.objects import ZerodownObject as Base

    registry = ObjectRegistry("test.shapes")

    def declare(name, **fields):
        initial = Change("1.0", "initial", added=sorted(fields))
        attrs = {"VERSION": "1.0", "history": History(initial)}
        registry.register(type(name, (Base,), {**attrs, "fields": fields}))

    declare("Empty")
    declare("Flat", n=f.IntegerField(), s=f.StringField(nullable=True))
    declare(
        "Mixed",
        n=f.IntegerField(),
        at=f.DateTimeField(nullable=True),
        tags=f.DictOfStringsField(),
        groups=f.ListOfSetsOfIntegersField(),
    )
    declare(
        "Holder",
        one=f.ObjectField("Mixed", nullable=True),
        many=f.ListOfObjectsField("Mixed", nullable=True),
    )
    declare("Opaque", b=_BlobField(nullable=True))
    declare("Raw", r=_RawField(nullable=True))
    return registry


def _mixed(registry):
    return registry["Mixed"](n=1, tags={"a": "b"}, groups=[{1}])


def test_the_height_of_data_that_fills_its_shape_is_exact():
    # The encoder packs data its height vouches for without walking it:
    # a bound too low would let data past max_depth, one too high would
    # walk what need not be walked.
    shapes = _shapes_registry()
    holder = shapes["Holder"]
    for obj, height in [
        (shapes["Empty"](), 1),
        (shapes["Flat"](n=1, s="x"), 1),
        (_mixed(shapes), 3),  # data > list > set
        (holder(one=_mixed(shapes)), 3 + 2),  # > [name, version, data]
        (holder(many=[_mixed(shapes), _mixed(shapes)]), 3 + 3),
        (shapes["Opaque"](b={"x": [[1]]}), 5),  # measured: > {blob: ...}
        (shapes["Opaque"](b=None), 1),
    ]:
        data = obj.obj_to_wire().data
        assert (data.height, _height(data)) == (height, height), obj


def test_children_travel_in_wire_form():
    shapes = _shapes_registry()
    moment = datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)
    child = shapes["Mixed"](n=1, at=moment)
    data = shapes["Holder"](one=child, many=[child]).obj_to_wire().data
    assert data["one"] == ["Mixed", "1.0", {"at": moment, "n": 1}, ["at", "n"]]
    assert data["many"] == [data["one"]]


def test_a_version_plan_is_shared_and_immutable(registry):
    import dataclasses

    plan = registry["Gadget"]._zd_plan
    at = plan.at((1, 2))
    assert plan.at((1, 2)) is at and "main" in at.absent_children
    with pytest.raises(dataclasses.FrozenInstanceError):
        at.text = "1.0"


def test_a_target_spelled_otherwise_is_the_same_version(registry):
    sent = gadget(registry).obj_to_wire("1.3.0")
    assert (
        sent.version == "1.3"
        and sent.data == gadget(registry).obj_to_wire().data
    )


def test_old_data_may_carry_null_in_a_nullable_field(registry):
    old = gadget(registry, created_at=None).obj_to_wire("1.1", {"Part": "1.0"})
    assert old.data["created_at"] is None
    assert registry.obj_from_wire(old).created_at is None


def test_the_height_is_a_bound_for_data_that_does_not_fill_its_shape():
    shapes = _shapes_registry()
    holder = shapes["Holder"]
    for obj, bound in [
        (shapes["Mixed"](n=1), 3),  # what its fields may take
        (holder(many=[]), 3),  # an empty list still has room for objects
        (holder(many=[_mixed(shapes), shapes["Mixed"](n=1)]), 6),
    ]:
        data = obj.obj_to_wire().data
        assert _height(data) <= data.height == bound, obj


def test_a_value_of_unknown_shape_is_walked_by_the_encoder():
    from zerodown.objects import WireObject, wire

    shapes = _shapes_registry()
    sent = shapes["Opaque"](b={"y": 1, "x": [2]}).obj_to_wire()
    assert sent.data == {"b": {"blob": {"y": 1, "x": [2]}}}
    # keys out of order: the encoder sorts them, as for any plain dict
    plain = {"b": {"blob": {"x": [2], "y": 1}}}
    expected = WireObject("test.shapes", "Opaque", "1.0", plain, ["b"])
    assert wire.encode(sent) == wire.encode(expected)
    raw = shapes["Raw"](r={"y": 1, "x": [2]}).obj_to_wire()
    assert raw.data == {"r": {"y": 1, "x": [2]}}
    expected = WireObject(
        "test.shapes", "Raw", "1.0", {"r": plain["b"]["blob"]}, ["r"]
    )
    assert wire.encode(raw) == wire.encode(expected)


def test_data_a_backport_step_made_deeper_is_measured():
    from zerodown.objects import Change, History, ObjectRegistry
    from zerodown.objects import ZerodownObject as Base

    def _split_tags(data, step):
        # 1.0 kept each tag's values as a list
        data["tags"] = {k: v.split(",") for k, v in data["tags"].items()}

    registry = ObjectRegistry("test.steps")

    @registry.register
    class Tagged(Base):
        VERSION = "1.1"
        history = History(
            Change("1.0", "initial", added=["tags"]),
            Change("1.1", "tags are strings", backport=_split_tags),
        )
        fields = {"tags": f.DictOfStringsField()}

    obj = Tagged(tags={"a": "x,y"})
    assert obj.obj_to_wire().data.height == 2
    old = obj.obj_to_wire("1.0").data
    assert old == {"tags": {"a": ["x", "y"]}}
    assert old.height == _height(old) == 3


def _objects_registry():
    from zerodown.objects import Change, History, ObjectRegistry
    from zerodown.objects import ZerodownObject as Base

    registry = ObjectRegistry("test.init")

    @registry.register
    class Plain(Base):
        VERSION = "1.0"
        history = History(Change("1.0", "initial", added=["n"]))
        fields = {"n": f.IntegerField()}

    @registry.register
    class Counted(Base):
        VERSION = "1.0"
        history = History(Change("1.0", "initial", added=["n"]))
        fields = {"n": f.IntegerField()}

        def __init__(self, context=None, **kwargs):
            super().__init__(context, **kwargs)
            self.built = True

    return registry


def test_hydration_runs_the_init_of_a_class_that_has_one():
    registry = _objects_registry()
    for name in ("Plain", "Counted"):
        obj = registry[name](n=1)
        obj.obj_reset_changes()
        back = registry.obj_from_wire(obj.obj_to_wire(), context="ctx")
        assert (back.n, back.obj_context) == (1, "ctx")
        assert back.obj_what_changed() == set()
        assert getattr(back, "built", False) == (name == "Counted")
