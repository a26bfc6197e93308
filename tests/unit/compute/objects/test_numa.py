"""Host NUMA cells: pinning with typed errors, pages, backports, legacy."""

from __future__ import annotations

import json

import pytest
from compute_examples import host_cell, limits, pages

from zerodown.compute.errors import (
    CPUPinningInvalid,
    CPUPinningUnknown,
    CPUUnpinningInvalid,
    CPUUnpinningUnknown,
)
from zerodown.compute.objects import (
    REGISTRY,
    NUMACell,
    NUMAPagesTopology,
    NUMATopology,
    format_cpu_spec,
    parse_cpu_spec,
)
from zerodown.objects.errors import MalformedPayload

NS = "zerodown_object."


def test_pin_and_unpin_dedicated_cpus():
    cell = host_cell(0)
    cell.obj_reset_changes(recursive=True)
    assert cell.free_pcpus == {3, 4, 5, 6, 7}
    cell.pin_cpus({4, 5})
    assert cell.pinned_cpus == {2, 4, 5}
    assert cell.obj_what_changed() == {"pinned_cpus"}
    cell.unpin_cpus({2, 5})
    assert cell.pinned_cpus == {4}


def test_pinning_errors_are_typed_and_name_the_cell():
    cell = host_cell(1)
    with pytest.raises(CPUPinningUnknown) as err:
        cell.pin_cpus({16, 18})  # 16 is a shared CPU
    assert err.value.cell == 1 and err.value.available == "18-23"
    with pytest.raises(CPUPinningInvalid) as err:
        cell.pin_cpus({18, 19})  # 18 is pinned already
    assert err.value.pinned == "18"
    with pytest.raises(CPUUnpinningUnknown):
        cell.unpin_cpus({0})
    with pytest.raises(CPUUnpinningInvalid) as err:
        cell.unpin_cpus({19})
    assert "only 18 are pinned" in str(err.value)
    assert cell.pinned_cpus == {18}


def test_pinning_with_siblings_takes_the_whole_core():
    cell = host_cell(0)
    with pytest.raises(CPUPinningInvalid):
        cell.pin_cpus_with_siblings({3})  # its sibling 2 is pinned
    cell.unpin_cpus({2})
    cell.pin_cpus_with_siblings({3})
    assert cell.pinned_cpus == {2, 3}
    cell.unpin_cpus_with_siblings({2})
    assert cell.pinned_cpus == set()
    assert cell.has_threads and cell.avail_memory == 65536 - 4096


def test_pages_free_counts_reservations():
    pool = pages(2048)
    assert (pool.free, pool.free_kb) == (1010, 1010 * 2048)
    old = NUMAPagesTopology(size_kb=4, total=10, used=3)
    assert old.free == 7
    assert (
        host_cell(0).pages(2048).total == 1024
        and host_cell(0).pages(1) is None
    )


def test_below_1_4_the_dedicated_cpus_fold_into_cpuset():
    cell = host_cell(0)
    data = cell.obj_to_primitive("1.3")[NS + "data"]
    assert data["cpuset"] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert "pcpuset" not in data and "socket" not in data
    assert data["pinned_cpus"] == [2]
    assert "network_metadata" not in cell.obj_to_primitive("1.2")[NS + "data"]


def test_a_pre_1_4_cell_reads_with_every_cpu_dedicated_too():
    stored = host_cell(0).obj_to_primitive("1.3", {"NUMAPagesTopology": "1.0"})
    cell = NUMACell.obj_from_primitive(stored)
    assert cell.VERSION == "1.5"
    assert cell.cpuset == cell.pcpuset == set(range(8))
    assert [p.reserved for p in cell.mempages] == [0, 0]


def test_the_juno_host_topology_is_read():
    legacy = {
        "cells": [
            {
                "id": 0,
                "cpus": "0-3",
                "mem": {"total": 2048, "used": 512},
                "cpu_usage": 2,
            },
            {"id": 1, "cpus": "4-7,^6", "mem": {"total": 2048}},
        ]
    }
    topology = NUMATopology.obj_from_stored(json.dumps(legacy))
    assert [c.cpuset for c in topology.cells] == [{0, 1, 2, 3}, {4, 5, 7}]
    assert [c.pcpuset for c in topology.cells] == [set(), set()]
    assert topology.cells[0].memory_usage == 512
    assert topology.cells[0].cpu_usage == 2
    assert topology.obj_to_primitive()[NS + "version"] == "1.2"
    with pytest.raises(MalformedPayload):
        NUMATopology.obj_from_stored({"cells": [{"id": 0, "cpus": "x"}]})


def test_limits_in_the_juno_rpc_shape():
    host = NUMATopology(cells=[host_cell(0)])
    legacy = limits().to_dict_legacy(host)
    assert legacy == {
        "cells": [
            {
                "cpus": "0-7",
                "mem": {"total": 65536, "limit": 98304.0},
                "cpu_limit": 32.0,
                "id": 0,
            }
        ]
    }
    assert (
        "network_metadata" not in limits().obj_to_primitive("1.0")[NS + "data"]
    )


@pytest.mark.parametrize(
    ("spec", "cpus", "canonical"),
    [
        ("0-3", {0, 1, 2, 3}, "0-3"),
        ("0-3,^2", {0, 1, 3}, "0-1,3"),
        (" 5 , 1-2 ", {1, 2, 5}, "1-2,5"),
        ("", set(), ""),
    ],
)
def test_cpu_specs(spec, cpus, canonical):
    assert parse_cpu_spec(spec) == cpus
    assert format_cpu_spec(cpus) == canonical


@pytest.mark.parametrize("spec", ["a", "3-1", "-1", "70000", "1-"])
def test_bad_cpu_specs(spec):
    with pytest.raises(ValueError):
        parse_cpu_spec(spec)


def test_registry_holds_the_numa_objects():
    assert REGISTRY.tree_versions("NUMATopology") == {
        "NUMACell": "1.5",
        "NUMAPagesTopology": "1.1",
        "NUMATopology": "1.2",
        "NetworkMetadata": "1.0",
    }
