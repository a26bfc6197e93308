"""Networks with NUMA affinity: every physnet or tunnel local to some host
cell must be local to one of the guest's cells (Nova's
``NetworkRequestSupportTestCase``)."""

from __future__ import annotations

import pytest
from hardware_cells import host_cell

from zerodown.compute.hardware.affinity import (
    NetworkRequest,
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
