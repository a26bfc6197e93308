"""Every compute object backports to every older version; look at the data.

Each older version is tried twice: children at their current versions and
children at their oldest.  The result must carry exactly the fields of the
version that were set, be read by a registry frozen at those versions, and
keep every value no conversion step is declared for.
"""

from __future__ import annotations

import pytest
from compute_examples import example

from zerodown.compute.objects import REGISTRY
from zerodown.objects.verify import verify_object
from zerodown.objects.versions import format_version

PAIRS = [
    (name, format_version(version))
    for name in REGISTRY
    for version in REGISTRY[name]._zd_plan.history.versions[:-1]
]
# Fields a declared backport step converts below the given version.
CONVERTED = {
    ("NUMACell", "cpuset"): "1.4",
    ("InstanceNUMACell", "cpuset"): "1.5",
    ("PciDevice", "extra_info"): "1.4",
}


def test_every_object_has_an_example_and_older_versions_to_test():
    assert len(PAIRS) == 50
    assert {name for name, _ in PAIRS} == set(REGISTRY) - {
        "NetworkMetadata",
        "VirtCPUTopology",
    }


@pytest.mark.parametrize(("name", "version"), PAIRS)
@pytest.mark.parametrize("children", ["current", "oldest"])
def test_backport_keeps_exactly_the_fields_of_the_version(
    name, version, children
):
    obj = example(name)
    base = (
        REGISTRY.versions()
        if children == "current"
        else REGISTRY.oldest_versions()
    )
    manifest = {**base, name: version}
    plan = REGISTRY[name]._zd_plan
    kept = plan.history.fields_at(plan.target(version))
    sent = obj.obj_to_wire(version, manifest)
    assert sent.version == version
    is_set = {f for f in obj.fields if obj.obj_attr_is_set(f)}
    assert set(sent.data) == is_set & kept
    for field, value in sent.data.items():
        entry = plan.at(plan.target(version)).wire[field]
        if entry[3].child and value is not None:
            for child in value if entry[3].many else [value]:
                assert child[1] == manifest[child[0]]
    old = REGISTRY.as_of(manifest).obj_from_wire(sent)
    assert version == old.VERSION
    assert {f for f in old.fields if old.obj_attr_is_set(f)} == set(sent.data)
    for field in sent.data:
        converted = CONVERTED.get((name, field))
        if plan.at(plan.target(version)).wire[field][3].child:
            continue
        if converted and plan.target(version) < plan.target(converted):
            continue
        assert getattr(old, field) == getattr(obj, field), field


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_generated_instances_backport_soundly(name):
    report = verify_object(REGISTRY, name, max_examples=20)
    versions = REGISTRY[name]._zd_plan.history.versions
    if len(versions) > 1:
        assert report.examples == 20
        assert set(report.passed) | set(report.refused) == {
            format_version(v) for v in versions[:-1]
        }
        assert sum(report.passed.values()) > 0
