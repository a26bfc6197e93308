"""Fingerprints see what o.vo's miss; the manifest names what changed."""

from __future__ import annotations

from typing import Any

import pytest
from sample_objects import make_registry

from zerodown.objects import (
    Change,
    History,
    ObjectRegistry,
    ZerodownObject,
    manifest,
)
from zerodown.objects import fields as f
from zerodown.objects.errors import ManifestMismatch, ObjectError
from zerodown.objects.indirection import remotable


def _fingerprint(
    fields: dict[str, Any], methods: dict[str, Any] | None = None
):
    registry = ObjectRegistry("test.fp")
    body = {
        "VERSION": "1.0",
        "history": History(Change("1.0", "initial", added=list(fields))),
        "fields": fields,
        **(methods or {}),
    }
    cls = registry.register(type("Thing", (ZerodownObject,), body))
    return manifest.fingerprint(cls)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # o.vo's fingerprint is blind to these four
        (f.ListOfIntegersField(), f.ListOfStringsField()),
        (f.ObjectField("A"), f.ObjectField("B")),
        (f.IntegerField(), f.IntegerField(read_only=True)),
        (f.DictOfStringsField(), f.DictOfIntegersField()),
        # and sees these
        (f.IntegerField(), f.IntegerField(nullable=True)),
        (f.IntegerField(), f.IntegerField(default=0)),
        (f.IntegerField(default=0), f.IntegerField(default=1)),
        (f.EnumField(["a", "b"]), f.EnumField(["a", "b", "c"])),
        (f.EnumField(["a", "b"]), f.EnumField(["a", "c"])),
        (
            f.ListOfObjectsField("A"),
            f.ListOfObjectsField("A", subclasses=True),
        ),
        (f.CPUSetField(), f.IntSetField()),
        (f.ListOfCPUSetsField(), f.ListOfSetsOfIntegersField()),
    ],
)
def test_a_field_difference_changes_the_fingerprint(one, other):
    assert _fingerprint({"x": one}).digest != _fingerprint({"x": other}).digest


def test_the_description_is_readable_and_stable():
    fp = _fingerprint(
        {
            "cells": f.ListOfObjectsField("Cell"),
            "policy": f.EnumField(["b", "a"], nullable=True, default=None),
            "tags": f.SetOfStringsField(default={"y", "x"}),
        }
    )
    assert fp.lines == (
        "cells: List(Object(Cell)) @1.0",
        "policy: Enum(a,b) nullable default=None @1.0",
        "tags: Set(String) default={'x','y'} @1.0",
    )
    again = _fingerprint(
        {
            "tags": f.SetOfStringsField(default={"x", "y"}),
            "policy": f.EnumField(["a", "b"], nullable=True, default=None),
            "cells": f.ListOfObjectsField("Cell"),
        }
    )
    assert again.digest == fp.digest


def _method(annotated: bool, extra: bool = False):
    if annotated:

        def save(self, context: Any, force: bool = False) -> None: ...

    elif extra:

        def save(self, context, force=False, *, dry_run=True): ...

    else:

        def save(self, context, force=False): ...

    return {"save": remotable(save)}


def test_remotable_signatures_count_but_annotations_do_not():
    fields = {"x": f.IntegerField()}
    plain = _fingerprint(fields, _method(annotated=False))
    typed = _fingerprint(fields, _method(annotated=True))
    wider = _fingerprint(fields, _method(annotated=False, extra=True))
    assert "remotable method save(self, context, force=False)" in plain.lines
    assert plain.digest == typed.digest
    assert plain.digest != wider.digest
    assert plain.digest != _fingerprint(fields).digest


def test_write_then_check_round_trips(tmp_path):
    registry = make_registry()
    path = tmp_path / "manifest.txt"
    assert manifest.write(registry, path) is True
    assert manifest.write(registry, path) is False
    assert manifest.compare(registry, path) == []
    manifest.check(registry, path)
    text = path.read_text()
    assert text.startswith("# zerodown object manifest")
    assert "Gadget: 1.3-" in text and "    spare: CPUSet @1.2" in text
    read = manifest.read(path)
    assert set(read) == {"Gadget", "Part"}
    assert read["Part"].lines == manifest.fingerprint(registry["Part"]).lines


def test_a_change_without_a_bump_names_the_object_and_the_field(tmp_path):
    path = tmp_path / "manifest.txt"
    manifest.write(make_registry(), path)
    # The next commit edits Part without bumping it from 1.1.
    changed = ObjectRegistry("test.sample")

    @changed.register
    class Part(ZerodownObject):
        VERSION = "1.1"
        history = History(
            Change("1.0", "initial", added=["size"]),
            Change("1.1", "weight", added=["weight"]),
        )
        fields = {
            "size": f.IntegerField(nullable=True),
            "weight": f.FloatField(nullable=True),
        }

    changes = manifest.compare(changed, path)
    assert [c.object for c in changes] == ["Part", "Gadget"]
    problem = changes[0].problem
    assert problem.startswith("changed without a version bump from 1.1")
    assert "name removed (was name: String @1.0)" in problem
    assert "size was 'Integer @1.0', is 'Integer nullable @1.0'" in problem
    assert changes[1].problem == "in the manifest, not registered"
    with pytest.raises(ManifestMismatch) as err:
        manifest.check(changed, path)
    assert err.value.count == 2 and err.value.exit_code == 1
    assert err.value.changes == changes


def test_a_bump_not_written_new_and_removed_objects(tmp_path):
    path = tmp_path / "manifest.txt"
    manifest.write(make_registry(), path)
    text = path.read_text().replace("Gadget: 1.3-", "Gadget: 1.2-")
    text += "Gone: 1.0-0123456789abcdef\n    a: Integer @1.0\n"
    path.write_text(text)
    lines = [str(c) for c in manifest.compare(make_registry(), path)]
    assert lines[0].startswith("Gadget: version 1.2 -> 1.3 but the manifest")
    assert lines[1] == "Gone: in the manifest, not registered"
    path.write_text("")
    assert {str(c) for c in manifest.compare(make_registry(), path)} == {
        "Gadget: not in the manifest",
        "Part: not in the manifest",
    }


def test_a_garbled_manifest_is_an_error(tmp_path):
    path = tmp_path / "manifest.txt"
    path.write_text("Gadget 1.3\n")
    with pytest.raises(ObjectError, match="not a manifest line"):
        manifest.read(path)
