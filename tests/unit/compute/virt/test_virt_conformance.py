"""One suite, both drivers: the fake one and libvirt (real libvirt-python
against libvirt's test driver, never mocked).

Each libvirt test opens a private test driver (a node file URI), so
state never leaks between tests.  The host is a 2-socket box of 2 cells x
4 cores x 2 threads with 2 MiB pages, fed through the driver's
capabilities seam.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest
from compute_sample_objects import flavor as _flavor

from zerodown.compute.claims import claim
from zerodown.compute.errors import HostFitError, InstanceNotRunning
from zerodown.compute.hardware import numa_get_constraints
from zerodown.compute.objects import (
    ComputeNode,
    ImageMetaProps,
    Instance,
)
from zerodown.compute.virt import load_driver, power_state
from zerodown.compute.virt.driver import Transition
from zerodown.compute.virt.host_topology import generated_cells
from zerodown.compute.virt.libvirt import capabilities
from zerodown.testing.waiting import eventually

DEDICATED = "2-3,10-11,6-7,14-15"
NODE = """<node><cpu><nodes>2</nodes><sockets>1</sockets><cores>4</cores>
<threads>2</threads><active>16</active><mhz>2000</mhz><model>x86_64</model>
</cpu><memory>16777216</memory></node>"""


@pytest.fixture(params=["fake", "libvirt"])
def driver(request, tmp_path):
    if request.param == "fake":
        drv = load_driver("fake", {"cpu_dedicated_set": DEDICATED})
    else:
        caps = tmp_path / "caps.xml"
        caps.write_text(capabilities.render(generated_cells()))
        node = tmp_path / "node.xml"
        node.write_text(NODE)
        drv = load_driver(
            "libvirt",
            {
                "uri": f"test://{node}",
                "host_capabilities": str(caps),
                "cpu_dedicated_set": DEDICATED,
            },
        )
    drv.init_host("host-1")
    yield drv
    drv.cleanup_host()


def _instance(driver, flavor, image=None):
    """An instance fitted on the driver's host, as the compute claims."""
    image = image or ImageMetaProps()
    inst = Instance(
        uuid=str(uuid.uuid4()),
        display_name="vm",
        vcpus=flavor.vcpus,
        memory_mb=flavor.memory_mb,
        root_gb=1,
        ephemeral_gb=0,
        flavor=flavor,
        image_props=image,
        pci_devices=[],
        numa_topology=numa_get_constraints(flavor, image),
    )
    res = driver.get_available_resource()
    node = ComputeNode(
        uuid=str(uuid.uuid4()),
        host="host-1",
        hypervisor_hostname="host-1",
        hypervisor_type="t",
        vcpus=res.vcpus,
        memory_mb=res.memory_mb,
        local_gb=10,
        vcpus_used=0,
        memory_mb_used=0,
        local_gb_used=0,
        cpu_info="{}",
        numa_topology=driver.get_host_numa_topology(),
        pci_device_pools=[],
        cpu_allocation_ratio=16.0,
        ram_allocation_ratio=1.0,
        disk_allocation_ratio=1.0,
    )
    if inst.numa_topology is not None:
        inst.numa_topology = claim(
            node, inst, aliases={}, pci_devices=[]
        ).numa_topology
    return inst


def _stored(driver, inst):
    if hasattr(driver, "domain_xml"):
        return ET.fromstring(driver.domain_xml(inst))
    return None


def test_the_host_topology_splits_shared_and_dedicated(driver):
    topology = driver.get_host_numa_topology()
    assert [c.id for c in topology.cells] == [0, 1]
    assert topology.cells[0].pcpuset == {2, 3, 10, 11}
    assert topology.cells[0].cpuset == {0, 1, 8, 9}
    assert {2, 10} in topology.cells[0].siblings
    sizes = {p.size_kb: p.total for p in topology.cells[1].mempages}
    assert sizes[2048] == 1024
    res = driver.get_available_resource()
    assert (res.vcpus, res.memory_mb) == (16, 16384)


def test_a_shared_guest_runs_pauses_reboots_and_goes(driver):
    events = []
    driver.register_event_listener(events.append)
    inst = _instance(driver, _flavor())
    driver.spawn(inst)
    assert driver.get_power_state(inst) == power_state.RUNNING
    assert inst.uuid in driver.list_instance_uuids()
    driver.pause(inst)
    assert driver.get_power_state(inst) == power_state.PAUSED
    with pytest.raises(InstanceNotRunning):
        driver.pause(inst)
    driver.unpause(inst)
    driver.reboot(inst, hard=False)
    driver.reboot(inst, hard=True)
    assert driver.get_power_state(inst) == power_state.RUNNING
    driver.destroy(inst)
    driver.destroy(inst)  # gone already is fine
    assert inst.uuid not in driver.list_instance_uuids()
    assert driver.get_power_state(inst) == power_state.NOSTATE
    wanted = {
        Transition.STARTED,
        Transition.PAUSED,
        Transition.RESUMED,
        Transition.STOPPED,
    }
    eventually(
        lambda: (
            wanted <= {e.transition for e in events if e.uuid == inst.uuid}
        ),
        timeout=5,
        message=lambda: f"events: {events}",
    )


def test_a_pinned_two_node_guest_with_huge_pages(driver):
    flavor = _flavor(
        4,
        2048,
        **{
            "hw:cpu_policy": "dedicated",
            "hw:numa_nodes": "2",
            "hw:mem_page_size": "2048",
            "hw:emulator_threads_policy": "isolate",
        },
    )
    inst = _instance(driver, flavor)
    driver.spawn(inst)
    xml = _stored(driver, inst)
    if xml is None:  # the fake driver keeps no XML
        return
    pins = {
        int(p.get("vcpu")): int(p.get("cpuset"))
        for p in xml.findall("./cputune/vcpupin")
    }
    expected = {}
    for cell in inst.numa_topology.cells:
        expected.update(cell.cpu_pinning)
    assert pins == expected
    assert set(pins.values()) <= {2, 3, 10, 11, 6, 7, 14, 15}
    reserved = set().union(
        *(c.cpuset_reserved or set() for c in inst.numa_topology.cells)
    )
    emulator = xml.find("./cputune/emulatorpin").get("cpuset")
    assert {int(c) for c in emulator.split(",")} == reserved
    memnodes = {
        m.get("cellid"): m.get("nodeset")
        for m in xml.findall("./numatune/memnode")
    }
    assert memnodes == {"0": "0", "1": "1"}
    pages = xml.findall("./memoryBacking/hugepages/page")
    assert {(p.get("size"), p.get("nodeset")) for p in pages} == {
        ("2048", "0"),
        ("2048", "1"),
    }
    topo = xml.find("./cpu/topology")
    product = 1
    for key in ("sockets", "cores", "threads"):
        product *= int(topo.get(key))
    assert product == 4
    cells = xml.findall("./cpu/numa/cell")
    assert [c.get("cpus") for c in cells] == ["0-1", "2-3"]


def test_a_realtime_guest_keeps_emulator_threads_off_its_realtime_vcpus(
    driver,
):
    # Release 2: the realtime vCPUs run FIFO, the emulator threads on the
    # ordinary vCPU's pCPU (libvirt validates the definition).
    flavor = _flavor(
        4,
        1024,
        **{
            "hw:cpu_policy": "dedicated",
            "hw:cpu_realtime": "yes",
            "hw:cpu_realtime_mask": "^0",
        },
    )
    inst = _instance(driver, flavor)
    (cell,) = inst.numa_topology.cells
    assert cell.cpuset_realtime == {1, 2, 3}
    driver.spawn(inst)
    xml = _stored(driver, inst)
    if xml is None:  # the fake driver keeps no XML
        driver.destroy(inst)
        return
    # libvirt stores one vcpusched per vCPU.
    sched = {
        (s.get("vcpus"), s.get("scheduler"), s.get("priority"))
        for s in xml.findall("./cputune/vcpusched")
    }
    assert sched == {(str(v), "fifo", "1") for v in (1, 2, 3)}
    emulator = xml.find("./cputune/emulatorpin").get("cpuset")
    assert emulator == str(cell.cpu_pinning[0])


def test_a_clean_shutdown_asks_the_guest_first(driver):
    # Release 2 (ComputeAPI 1.1): a delete gives the guest time to stop.
    inst = _instance(driver, _flavor())
    driver.spawn(inst)
    driver.destroy(inst, shutdown_timeout=5.0)
    assert inst.uuid not in driver.list_instance_uuids()
    assert driver.get_power_state(inst) == power_state.NOSTATE
    if hasattr(driver, "clean_shutdowns"):
        assert driver.clean_shutdowns == [inst.uuid]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("cpu", "are not in host cell"),
        ("cell", "does not exist"),
        ("pages", "has no 1048576 KiB pages"),
    ],
)
def test_the_driver_refuses_what_the_host_lacks(driver, change, message):
    flavor = _flavor(
        2, 1024, **{"hw:cpu_policy": "dedicated", "hw:mem_page_size": "2048"}
    )
    inst = _instance(driver, flavor)
    cell = inst.numa_topology.cells[0]
    if change == "cpu":
        cell.cpu_pinning = {v: 40 + v for v in cell.cpu_pinning}
    elif change == "cell":
        cell.id = 7
    else:
        cell.pagesize = 1048576
    with pytest.raises(HostFitError, match=message):
        driver.spawn(inst)
    assert inst.uuid not in driver.list_instance_uuids()
