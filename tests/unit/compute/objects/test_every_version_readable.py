"""Every compute object, read from any version in its history (and the
pre-Liberty NUMA blob), is complete: every field has a value, so every
consumer can read it.  Instances and hosts read that way are rendered
through the API's views and the libvirt driver's domain XML, which
libvirt's own schema must accept (``virt-xml-validate``)."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
from compute_examples import example

from zerodown.compute.api import views
from zerodown.compute.objects import REGISTRY, InstanceNUMATopology
from zerodown.compute.virt.libvirt.config import domain_xml
from zerodown.objects.versions import format_version

OLDEST = REGISTRY.oldest_versions()
CURRENT = REGISTRY.versions()
LEGACY_TOPOLOGY = {
    "cells": [
        {"id": 0, "cpus": "0-1", "mem": {"total": 2048}, "pagesize": 2048},
        {"id": 1, "cpus": "2-3", "mem": {"total": 2048}},
    ]
}


def _versions(name: str) -> list[str]:
    return [
        format_version(v) for v in REGISTRY[name]._zd_plan.history.versions
    ]


def _read(name: str, version: str, children: dict[str, str]) -> Any:
    """``example(name)`` as stored at ``version`` (children at theirs),
    read back by this release."""
    primitive = example(name).obj_to_primitive(version, children)
    assert primitive["zerodown_object.version"] == version
    return REGISTRY.obj_from_primitive(primitive)


def _unset(obj: Any, path: str = "") -> list[str]:
    """The fields of ``obj`` and its children that cannot be read (o.vo
    raises ``NotImplementedError: Cannot load``)."""
    missing = []
    for name in sorted(obj.fields):
        where = f"{path}{name}"
        try:
            value = getattr(obj, name)
        except NotImplementedError:
            missing.append(where)
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if hasattr(item, "obj_attr_is_set"):
                at = f"[{index}]" if isinstance(value, list) else ""
                missing += _unset(item, f"{where}{at}.")
    return missing


CASES = [
    (name, version, side)
    for name in sorted(REGISTRY)
    for version in _versions(name)
    for side in ("oldest", "current")
]


@pytest.mark.parametrize(("name", "version", "children"), CASES)
def test_every_version_of_every_object_reads_complete(name, version, children):
    manifest = OLDEST if children == "oldest" else CURRENT
    obj = _read(name, version, manifest)
    assert CURRENT[name] == obj.VERSION
    assert _unset(obj) == []


def test_a_pre_liberty_topology_reads_complete_but_for_its_instance():
    topology = InstanceNUMATopology.obj_from_stored(LEGACY_TOPOLOGY)
    # The blob never named its instance: the database reader sets it
    # from the row (zerodown.compute.db.blobs), as Nova's does.
    assert _unset(topology) == ["instance_uuid"]
    assert [c.cpu_policy for c in topology.cells] == [None, None]


def _validate(xml: str, tmp_path) -> None:
    tool = shutil.which("virt-xml-validate")
    assert tool, "virt-xml-validate (libvirt-clients, libxml2-utils)"
    path = tmp_path / "domain.xml"
    path.write_text(xml)
    done = subprocess.run(
        [tool, str(path), "domain"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + xml


def _render(instance: Any, tmp_path) -> None:
    for admin in (True, False):
        view = views.server(instance, None, hosts=admin)
        assert view["id"] == instance.uuid
    host = example("ComputeNode").numa_topology
    _validate(domain_xml(instance, host), tmp_path)


@pytest.mark.parametrize("children", ["oldest", "current"])
@pytest.mark.parametrize("version", _versions("Instance"))
def test_an_instance_of_any_version_renders_in_the_api_and_libvirt(
    version, children, tmp_path
):
    manifest = OLDEST if children == "oldest" else CURRENT
    instance = _read("Instance", version, manifest)
    _render(instance, tmp_path)
    view = views.server(instance, None)
    if instance.numa_topology is not None:
        assert len(view["zerodown:numa"]["cells"]) == 2


def test_an_instance_with_a_pre_liberty_topology_renders(tmp_path):
    instance = example("Instance")
    topology = InstanceNUMATopology.obj_from_stored(LEGACY_TOPOLOGY)
    topology.instance_uuid = instance.uuid
    instance.numa_topology = topology
    assert _unset(instance) == []
    _render(instance, tmp_path)
    numa = views.server(instance, None)["zerodown:numa"]
    assert [c["cpu_policy"] for c in numa["cells"]] == [None, None]
    assert numa["emulator_threads_policy"] is None


@pytest.mark.parametrize("children", ["oldest", "current"])
@pytest.mark.parametrize("version", _versions("ComputeNode"))
def test_a_host_of_any_version_renders_in_the_api_and_libvirt(
    version, children, tmp_path
):
    manifest = OLDEST if children == "oldest" else CURRENT
    node = _read("ComputeNode", version, manifest)
    view = views.hypervisor(node, True)
    assert view["hypervisor_hostname"] == "compute-1"
    instance = example("Instance")
    _validate(domain_xml(instance, node.numa_topology), tmp_path)


@pytest.mark.parametrize("version", _versions("Flavor"))
def test_a_flavor_of_any_version_renders_in_the_api(version):
    flavor = _read("Flavor", version, OLDEST)
    assert views.flavor(flavor)["id"] == "pinned"
