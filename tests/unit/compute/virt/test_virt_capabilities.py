"""The host seam: capabilities XML in, cells out."""

from __future__ import annotations

import libvirt
import pytest

from zerodown.compute.virt.host_topology import generated_cells, numa_topology
from zerodown.compute.virt.libvirt import capabilities
from zerodown.exceptions import ConfigError


def test_a_rendered_host_reads_back():
    cells = generated_cells(2, 8, 2, 65536, {2048: 4096, 1048576: 8})
    assert capabilities.parse(capabilities.render(cells)) == cells


def test_libvirts_own_test_host_parses():
    conn = libvirt.open("test:///default")
    try:
        cells = capabilities.parse(conn.getCapabilities())
    finally:
        conn.close()
    assert [c.id for c in cells] == [0, 1]
    assert sum(len(c.cpus) for c in cells) == 16
    assert all(c.memory_mb > 0 for c in cells)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<capabilities><host/>", "not XML"),
        ("<capabilities><host/></capabilities>", "no NUMA cells"),
    ],
)
def test_bad_capabilities_are_a_config_error(text, message):
    with pytest.raises(ConfigError, match=message):
        capabilities.parse(text)


def test_dedicated_and_shared_sets_split_cells():
    cells = generated_cells()
    topology = numa_topology(cells, "2-3,10-11", "0-1,8-9")
    assert topology.cells[0].pcpuset == {2, 3, 10, 11}
    assert topology.cells[0].cpuset == {0, 1, 8, 9}
    assert topology.cells[1].cpuset == set()
    with pytest.raises(ConfigError, match="overlap"):
        numa_topology(cells, "0-3", "3-5")
    with pytest.raises(ConfigError, match="lacks"):
        numa_topology(cells, "40")
