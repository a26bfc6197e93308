"""PCI devices, image properties, flavors, services and compute nodes."""

from __future__ import annotations

import datetime

import pytest
from compute_examples import NOW, example, pci_device

from zerodown.compute.objects import (
    MANIFEST,
    REGISTRY,
    ComputeNode,
    ImageMetaProps,
    PciDevice,
)
from zerodown.objects import manifest, wire
from zerodown.objects.errors import MalformedPayload, UnrepresentableValue
from zerodown.objects.serializer import ObjectSerializer

NS = "zerodown_object."


def _data(obj, version, **children):
    return obj.obj_to_primitive(
        version, {obj.obj_name(): version, **children}
    )[NS + "data"]


def test_the_checked_in_manifest_matches_the_compute_objects():
    assert manifest.compare(REGISTRY, MANIFEST) == []


def test_below_1_4_a_vf_names_its_pf_in_extra_info():
    data = _data(pci_device(0), "1.3")
    assert "parent_addr" not in data
    assert data["extra_info"] == {
        "capabilities": "{}",
        "phys_function": "0000:81:00.0",
    }
    back = PciDevice.obj_from_primitive(pci_device(0).obj_to_primitive("1.3"))
    assert back.parent_addr == "0000:81:00.0"
    assert back.extra_info == {"capabilities": "{}"}
    pf = pci_device(1, dev_type="type-PF", parent_addr=None)
    assert "phys_function" not in _data(pf, "1.3")["extra_info"]


@pytest.mark.parametrize("version", ["1.0", "1.2", "1.3", "1.4"])
@pytest.mark.parametrize("status", ["unavailable", "unclaimable"])
def test_new_statuses_are_refused_for_every_older_target(version, status):
    # Nova checked them only while parent_addr was in the primitive, so a
    # target below 1.4 let them through.
    with pytest.raises(UnrepresentableValue) as err:
        pci_device(0, status=status).obj_to_primitive(version)
    assert (err.value.field, err.value.value) == ("status", status)


def test_vdpa_is_refused_below_1_7_and_uuid_dropped_below_1_6():
    with pytest.raises(UnrepresentableValue, match="dev_type='vdpa'"):
        pci_device(0, dev_type="vdpa").obj_to_primitive("1.6")
    assert "uuid" not in _data(pci_device(0), "1.5")
    assert "uuid" in _data(pci_device(0), "1.6")
    assert pci_device(0, status="available").is_available


def test_image_properties_from_glance_strings():
    props = ImageMetaProps.obj_from_stored(
        {
            "hw_cpu_policy": "dedicated",
            "hw_numa_nodes": "2",
            "hw_numa_cpus.0": "0-1",
            "hw_numa_cpus.1": "2,3",
            "hw_numa_mem.0": "1024",
            "hw_numa_mem.1": "1024",
            "hw_locked_memory": "True",
            "hw_disk_bus": "virtio",
        }
    )
    assert props.hw_numa_nodes == 2
    assert props.hw_numa_cpus == [{0, 1}, {2, 3}]
    assert props.hw_numa_mem == [1024, 1024]
    assert props.hw_locked_memory is True
    assert not props.obj_attr_is_set("hw_cpu_thread_policy")
    for bad in ({"hw_numa_nodes": "two"}, {"hw_cpu_policy": "sometimes"}, []):
        with pytest.raises(MalformedPayload):
            ImageMetaProps.obj_from_stored(bad)


def test_image_policies_newer_than_the_target_are_refused():
    with pytest.raises(UnrepresentableValue):
        ImageMetaProps(hw_cpu_policy="mixed").obj_to_primitive("1.3")
    with pytest.raises(UnrepresentableValue):
        ImageMetaProps(hw_pci_numa_affinity_policy="socket").obj_to_primitive(
            "1.4"
        )
    data = _data(example("ImageMetaProps"), "1.0")
    assert "hw_cpu_thread_policy" not in data and data["hw_numa_cpus"] == [
        [0, 1],
        [2, 3],
    ]


def test_flavor_extra_specs():
    flavor = example("Flavor")
    assert flavor.extra_spec("hw:numa_nodes") == "2"
    assert flavor.extra_spec("hw:mem_page_size", "small") == "small"
    assert "description" not in _data(flavor, "1.1")


def test_service_liveness_from_its_heartbeat():
    service = example("Service")
    assert service.is_up(NOW + datetime.timedelta(seconds=30), 60)
    assert not service.is_up(NOW + datetime.timedelta(seconds=90), 60)
    service.forced_down = True
    assert not service.is_up(NOW, 60)
    assert set(_data(example("Service"), "1.0")) == {
        "id",
        "host",
        "binary",
        "topic",
        "report_count",
        "disabled",
        "disabled_reason",
        "last_seen_up",
        "created_at",
        "updated_at",
    }


def test_a_compute_node_carries_its_numa_topology_as_an_object():
    node = example("ComputeNode")
    assert node.free_vcpus == 32 * 4.0 - 4
    body = wire.encode(ObjectSerializer(REGISTRY).serialize_entity(None, node))
    back = ObjectSerializer(REGISTRY).deserialize_entity(
        None, wire.decode(body)
    )
    assert back == node
    assert back.numa_topology.cells[1].pcpuset == set(range(18, 24))
    assert str(back.host_ip) == "192.0.2.10"
    old = _data(node, "1.2", NUMATopology="1.2", NUMACell="1.3")
    cells = old["numa_topology"][NS + "data"]["cells"]
    assert cells[0][NS + "data"]["cpuset"] == list(range(8))
    assert "numa_topology" not in _data(node, "1.1")
    assert (
        ComputeNode.obj_from_primitive(node.obj_to_primitive("1.0")).VERSION
        == "1.7"
    )


def test_an_instance_to_its_oldest_version_drops_the_later_children():
    instance = example("Instance")
    sent = instance.obj_to_wire("2.0", REGISTRY.oldest_versions())
    assert "numa_topology" not in sent.data and "pci_devices" not in sent.data
    assert sent.data["flavor"][:2] == ["Flavor", "1.0"]
    assert "description" not in sent.data["flavor"][2]
    previous = instance.obj_to_wire(
        "2.3",
        {**REGISTRY.versions(), "InstanceNUMACell": "1.4", "PciDevice": "1.5"},
    )
    cells = previous.data["numa_topology"][2]["cells"]
    assert [c[2]["cpuset"] for c in cells] == [[0, 1], [2, 3]]
    assert all("uuid" not in d[2] for d in previous.data["pci_devices"])
    assert "compute_id" not in previous.data


def test_a_child_the_target_drops_cannot_make_the_backport_refuse():
    instance = example("Instance")
    instance.numa_topology.cells[0].cpu_policy = "mixed"
    oldest = REGISTRY.oldest_versions()
    sent = instance.obj_to_wire("2.0", oldest)
    assert "numa_topology" not in sent.data
    data = instance.obj_to_primitive("2.0", oldest)[NS + "data"]
    assert "numa_topology" not in data
    with pytest.raises(UnrepresentableValue) as err:
        instance.obj_to_wire("2.1", oldest)
    assert (err.value.object, err.value.field) == (
        "InstanceNUMACell",
        "cpu_policy",
    )
