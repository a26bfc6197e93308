"""Networks with NUMA affinity: every physnet or tunnel local to some host
cell must be local to one of the guest's cells (Nova's
``NetworkRequestSupportTestCase``)."""

from __future__ import annotations

import pytest
from hardware_cells import host_cell

from zerodown.compute.hardware import PciPool, PciRequest, PciStats
from zerodown.compute.hardware.affinity import (
    NetworkRequest,
    SetChecks,
    networks_supported,
)
from zerodown.compute.hardware.views import HostCell

CELLS = [
    HostCell(host_cell(0, {0}, physnets={"foo", "bar"}, tunneled=False)),
    HostCell(host_cell(1, {1}, physnets={"spam"}, tunneled=True)),
    HostCell(host_cell(2, {2})),  # declares nothing
]

CASES = [
    # (case, physnets, tunneled, chosen cells, supported)
    ("nothing asked", set(), False, [2], True),
    ("a physnet local to the chosen cell", {"foo"}, False, [0], True),
    ("a physnet local to another cell", {"foo"}, False, [1], False),
    ("a physnet local to no cell", {"eggs"}, False, [2], True),
    ("physnets over two chosen cells", {"bar", "spam"}, False, [0, 1], True),
    ("one of two physnets elsewhere", {"bar", "spam"}, False, [0], False),
    ("a tunnel local to the chosen cell", set(), True, [1], True),
    ("a tunnel local to another cell", set(), True, [0], False),
    ("both on the chosen cells", {"foo"}, True, [0, 1], True),
]


@pytest.mark.parametrize(
    "physnets, tunneled, chosen, supported",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_networks(physnets, tunneled, chosen, supported):
    got = networks_supported(
        NetworkRequest(physnets, tunneled), CELLS, [CELLS[i] for i in chosen]
    )
    assert got is supported


VF = dict(vendor_id="8086", product_id="1520", dev_type="type-VF")


def vfs(count, policy=None, alias=None):
    spec = {"vendor_id": "8086", "product_id": "1520"}
    return PciRequest(count, (spec,), policy, alias)


def set_checks(pools=(), requests=(), network=None, sockets=(0, 0, 1)):
    cells = [
        HostCell(host_cell(i, {i}, socket=socket))
        for i, socket in enumerate(sockets)
    ]
    stats = PciStats([PciPool(numa_node=n, count=c, **VF) for n, c in pools])
    return SetChecks(cells, list(requests), stats, network)


def test_set_checks_of_devices():
    checks = set_checks([(1, 2)], [vfs(2, "required")])
    assert checks.active
    assert [checks.accept(mask) for mask in (0b001, 0b010, 0b011)] == [
        False,
        True,
        True,
    ]
    assert [checks.possible(mask) for mask in (0b001, 0b010)] == [False, True]


def test_the_socket_policy_knows_the_cells_sockets():
    # The stats come without sockets: the cells' are used, so a device
    # on cell 1 serves a guest on cell 0 (same socket), not on cell 2.
    checks = set_checks([(1, 1)], [vfs(1, "socket")])
    assert [checks.accept(mask) for mask in (0b001, 0b100)] == [True, False]


def test_nothing_asked_is_inactive_and_accepted():
    checks = set_checks([(0, 1)])
    assert not checks.active
    assert checks.accept(0b001) and checks.possible(0b001)
    assert SetChecks(checks.cells, network=NetworkRequest({"x"}, False)).active


def test_cells_with_devices_are_each_their_own_class():
    # Devices on cells 0 and 1; cells 2 and 3 are twins.
    checks = set_checks([(0, 1), (1, 1)], [vfs(1)], sockets=(0, 0, 0, 0))
    classes = [checks.cell_class(position) for position in range(4)]
    assert classes[0] != classes[1]
    assert classes[2] == classes[3]
    assert classes[0] != classes[2] and classes[1] != classes[2]


@pytest.mark.parametrize(
    "requests, network, reason",
    [
        (
            [vfs(1)],
            NetworkRequest({"foo"}, False),
            "the networks' NUMA affinity cannot be met",
        ),
        (
            [vfs(3, "required")],
            None,
            "a PCI request (3 device(s), required NUMA affinity) cannot be met",
        ),
        (
            [vfs(3, alias="nic")],
            None,
            "nic (3 device(s), legacy NUMA affinity) cannot be met",
        ),
        (
            [vfs(2, "required"), vfs(1, "required")],
            None,
            "no choice of host cells meets the PCI requests together",
        ),
    ],
)
def test_explain(requests, network, reason):
    cells = [
        HostCell(host_cell(0, {0})),
        HostCell(host_cell(1, {1}, physnets={"foo"})),
    ]
    stats = PciStats([PciPool(numa_node=0, count=2, **VF)])
    checks = SetChecks(cells, requests, stats, network)
    assert not checks.accept(0b01)
    assert checks.explain(0b01) == reason
