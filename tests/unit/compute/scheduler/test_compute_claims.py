"""Claims on a compute: fit, count, release by recomputation."""

from __future__ import annotations

import pytest
from placement_samples import PINNED, devices, flavor, instance, node

from zerodown.compute.claims import claim, usage_from_instances
from zerodown.compute.errors import ClaimFailed
from zerodown.compute.pci_alias import parse_aliases

ALIASES = parse_aliases(
    [{"name": "nic", "vendor_id": "8086", "product_id": "154d"}]
)


def _pinned(cell):
    return set(cell.pinned_cpus)


def test_a_pinned_claim_pins_pages_and_counts():
    host = node()
    inst = instance(flavor(4, 2048, **PINNED))
    got = claim(host, inst, aliases=ALIASES, pci_devices=devices())
    assert [c.id for c in got.numa_topology.cells] == [0, 1]
    cells = got.node.numa_topology.cells
    assert all(len(_pinned(c)) == 2 for c in cells)
    pages = {p.size_kb: p.used for p in cells[0].mempages}
    assert pages[2048] == 512
    assert (got.node.vcpus_used, got.node.memory_mb_used) == (4, 2048)
    assert host.vcpus_used == 0  # inputs never change


def test_isolated_emulator_threads_take_one_more_cpu():
    inst = instance(
        flavor(
            2,
            1024,
            **{
                "hw:cpu_policy": "dedicated",
                "hw:emulator_threads_policy": "isolate",
            },
        )
    )
    got = claim(node(), inst, aliases={}, pci_devices=[])
    pinned = set().union(*(_pinned(c) for c in got.node.numa_topology.cells))
    assert len(pinned) == 3


def test_the_host_fills_then_the_claim_fails_with_the_reason():
    host = node()
    held = []
    for _ in range(2):
        inst = instance(flavor(4, 1024, **PINNED))
        got = claim(host, inst, aliases={}, pci_devices=[])
        inst.numa_topology = got.numa_topology
        host = got.node
        held.append(inst)
    with pytest.raises(ClaimFailed, match="h1"):
        claim(
            host,
            instance(flavor(4, 1024, **PINNED)),
            aliases={},
            pci_devices=[],
        )
    # Recomputed from the instances: the same usage as the claims.
    again = usage_from_instances(node(), held, [])
    assert [_pinned(c) for c in again.numa_topology.cells] == [
        _pinned(c) for c in host.numa_topology.cells
    ]
    assert again.vcpus_used == host.vcpus_used == 8
    # Without them, nothing is held: a failed build leaks nothing.
    empty = usage_from_instances(host, [], [])
    assert all(not c.pinned_cpus for c in empty.numa_topology.cells)
    assert empty.vcpus_used == 0


def test_pci_devices_come_from_the_guests_cell():
    inst = instance(
        flavor(
            2,
            1024,
            **{
                "hw:cpu_policy": "dedicated",
                "pci_passthrough:alias": "nic:1",
                "hw:pci_numa_affinity_policy": "required",
            },
        )
    )
    got = claim(node(), inst, aliases=ALIASES, pci_devices=devices())
    (device,) = got.pci_devices
    assert device.numa_node == got.numa_topology.cells[0].id
    assert device.status == "allocated"
    assert device.instance_uuid == inst.uuid
    assert sum(p.count for p in got.node.pci_device_pools) == 1


def test_memory_beyond_the_ratio_is_refused():
    with pytest.raises(ClaimFailed, match="MiB of RAM"):
        claim(
            node(memory_mb_used=16000),
            instance(flavor(1, 1024)),
            aliases={},
            pci_devices=[],
        )


def test_no_free_device_is_refused():
    inst = instance(flavor(1, 512, **{"pci_passthrough:alias": "nic:3"}))
    with pytest.raises(ClaimFailed, match="PCI device"):
        claim(node(), inst, aliases=ALIASES, pci_devices=devices())
