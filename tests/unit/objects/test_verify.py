"""Backport verification catches what o.vo's empty-object smoke test cannot."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from sample_objects import make_registry

from zerodown.objects import Change, History, ObjectRegistry, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.errors import BackportVerificationFailed
from zerodown.objects.verify import instances, verify_object, verify_registry


def test_sound_objects_pass_with_data_in_every_version():
    reports = {
        r.object: r
        for r in verify_registry(make_registry(), max_examples=15, seed=3)
    }
    gadget = reports["Gadget"]
    assert gadget.examples == 15
    # two children modes per example and target
    assert set(gadget.passed) | set(gadget.refused) == {"1.0", "1.1", "1.2"}
    assert sum(gadget.passed.values()) > 0
    # "turbo" cannot be represented below 1.3: some examples are refused
    assert sum(gadget.refused.values()) > 0
    assert "Gadget (15 examples)" in str(gadget)


@settings(max_examples=20, deadline=None, database=None)
@given(instances(make_registry(), "Gadget"))
def test_generated_instances_are_populated(obj):
    assert all(obj.obj_attr_is_set(name) for name in obj.fields)
    assert obj.obj_what_changed() == set()


def _broken(step: Any, changes: int = 1) -> ObjectRegistry:
    registry = ObjectRegistry("test.broken")

    @registry.register
    class Box(ZerodownObject):
        VERSION = "1.1"
        history = History(
            Change("1.0", "initial", added=["a", "b"]),
            Change("1.1", "c", added=["c"], backport=step),
        )
        fields = {
            "a": f.IntegerField(),
            "b": f.StringField(),
            "c": f.IntegerField(),
        }

    return registry


def test_a_step_that_loses_a_kept_field_is_caught():
    def lossy(data, ctx):
        data.pop("b", None)

    with pytest.raises(BackportVerificationFailed, match=r"lost \['b'\]"):
        verify_object(_broken(lossy), "Box", max_examples=10)


def test_a_step_that_invents_a_field_is_caught():
    def invents(data, ctx):
        data["z"] = 1

    with pytest.raises(BackportVerificationFailed, match=r"carries \['z'\]"):
        verify_object(_broken(invents), "Box", max_examples=10)


def test_a_step_that_breaks_the_types_is_caught():
    def breaks(data, ctx):
        data["a"] = str(data["a"])

    with pytest.raises(
        BackportVerificationFailed, match="cannot be read back"
    ):
        verify_object(_broken(breaks), "Box", max_examples=10)


def test_a_backport_its_upgrade_disagrees_with_is_caught():
    registry = ObjectRegistry("test.drift")

    def fold(data, ctx):
        data["a"] = data["a"] + data.get("c", 0)

    @registry.register
    class Box(ZerodownObject):
        VERSION = "1.1"
        history = History(
            Change("1.0", "initial", added=["a"]),
            # the upgrade forgets that "a" included "c" before 1.1
            Change(
                "1.1",
                "c split from a",
                added=["c"],
                backport=fold,
                upgrade=lambda d, c: d.setdefault("c", 1),
            ),
        )
        fields = {"a": f.IntegerField(), "c": f.IntegerField()}

    with pytest.raises(
        BackportVerificationFailed, match="upgrade then backport"
    ):
        verify_object(registry, "Box", max_examples=25)
