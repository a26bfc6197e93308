"""InstanceNUMACell/Topology: Nova's 1.5 conversion, 1.6 refusal, and the
read-side upgrade whose missing version stamp lost pinned CPUs in Nova."""

from __future__ import annotations

import json

import pytest
from compute_examples import example, instance_cell, shared_cell

from zerodown.compute.objects import (
    REGISTRY,
    InstanceNUMACell,
    InstanceNUMATopology,
)
from zerodown.objects.errors import (
    MalformedPayload,
    UnknownField,
    UnrepresentableValue,
)

NS = "zerodown_object."
CHILDREN = {"VirtCPUTopology": "1.0"}


def _data(cell, version):
    return cell.obj_to_primitive(
        version, {**CHILDREN, "InstanceNUMACell": version}
    )[NS + "data"]


def test_dedicated_cells_put_their_pinned_cpus_back_in_cpuset_below_1_5():
    cell = instance_cell(1)
    assert cell.cpuset == set() and cell.pcpuset == {2, 3}
    data = _data(cell, "1.4")
    assert data["cpuset"] == [2, 3] and "pcpuset" not in data
    assert data["cpu_pinning_raw"] == {"2": 12, "3": 13}
    assert data["cpuset_reserved"] == [9]


def test_shared_cells_keep_their_cpuset():
    data = _data(shared_cell(0), "1.4")
    assert data["cpuset"] == [0, 1] and "pcpuset" not in data


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"])
def test_mixed_is_refused_below_1_6(version):
    cell = instance_cell(0, policy="mixed")
    with pytest.raises(UnrepresentableValue) as err:
        cell.obj_to_primitive(version)
    assert (err.value.object, err.value.version, err.value.field) == (
        "InstanceNUMACell",
        version,
        "cpu_policy",
    )
    assert err.value.value == "mixed"
    assert cell.obj_to_primitive("1.6")[NS + "data"]["cpu_policy"] == "mixed"


@pytest.mark.parametrize(
    ("version", "gone"),
    [
        ("1.3", {"pcpuset", "cpuset_reserved", "cpuset_realtime"}),
        (
            "1.2",
            {
                "pcpuset",
                "cpuset_reserved",
                "cpuset_realtime",
                "cpu_policy",
                "cpu_thread_policy",
            },
        ),
        (
            "1.1",
            {
                "pcpuset",
                "cpuset_reserved",
                "cpuset_realtime",
                "cpu_policy",
                "cpu_thread_policy",
                "cpu_pinning_raw",
                "cpu_topology",
            },
        ),
    ],
)
def test_older_versions_drop_the_fields_added_later(version, gone):
    data = _data(instance_cell(0), version)
    assert set(data) == set(InstanceNUMACell.fields) - gone
    assert data["cpuset"] == [0, 1]


@pytest.mark.parametrize("version", ["1.0", "1.3", "1.5", "1.6"])
def test_realtime_vcpus_are_refused_below_1_7(version):
    # A release-1 compute would run them as ordinary vCPUs.
    cell = instance_cell(0)
    cell.cpuset_realtime = {1}
    with pytest.raises(UnrepresentableValue) as err:
        cell.obj_to_primitive(version, CHILDREN)
    assert (err.value.object, err.value.version, err.value.field) == (
        "InstanceNUMACell",
        version,
        "cpuset_realtime",
    )
    assert "realtime" in str(err.value)
    assert _data(cell, "1.7")["cpuset_realtime"] == [1]


@pytest.mark.parametrize("realtime", [None, set()])
def test_a_cell_without_realtime_vcpus_backports_to_1_6(realtime):
    cell = instance_cell(0)
    cell.cpuset_realtime = realtime
    data = _data(cell, "1.6")
    assert "cpuset_realtime" not in data
    assert data["pcpuset"] == [0, 1]
    assert cell.realtime_vcpus == set()


def test_a_stored_1_6_cell_reads_with_no_realtime_vcpus():
    stored = json.dumps(instance_cell(1).obj_to_primitive("1.6", CHILDREN))
    cell = InstanceNUMACell.obj_from_stored(stored)
    assert cell.VERSION == "1.7"
    # A field its version lacked reads as None (nullable, no default).
    assert cell.cpuset_realtime is None
    assert cell.realtime_vcpus == set()


def test_a_stored_1_4_dedicated_cell_is_upgraded_and_stamped_1_7():
    stored = json.dumps(instance_cell(1).obj_to_primitive("1.4", CHILDREN))
    cell = InstanceNUMACell.obj_from_stored(stored)
    assert cell.VERSION == "1.7"
    assert cell.cpuset == set() and cell.pcpuset == {2, 3}
    assert cell.cpu_pinning == {2: 12, 3: 13}
    restored = cell.obj_to_primitive()
    assert restored[NS + "version"] == "1.7"
    assert restored[NS + "data"]["pcpuset"] == [2, 3]


def test_a_stored_shared_cell_gets_an_empty_pcpuset():
    stored = shared_cell(0).obj_to_primitive("1.4")
    cell = InstanceNUMACell.obj_from_stored(stored)
    assert (cell.cpuset, cell.pcpuset, cell.VERSION) == ({0, 1}, set(), "1.7")


def test_a_1_2_cell_with_a_pinning_reads_as_dedicated():
    stored = instance_cell(0).obj_to_primitive("1.2", CHILDREN)
    cell = InstanceNUMACell.obj_from_primitive(stored)
    assert cell.cpu_policy == "dedicated"
    assert cell.pcpuset == {0, 1} and cell.cpuset == set()


def test_a_blob_whose_stamp_does_not_match_its_content_is_refused():
    # Nova's bug 2097359: data migrated to pcpuset but still stamped 1.4.
    stored = instance_cell(0).obj_to_primitive("1.4", CHILDREN)
    stored[NS + "data"]["pcpuset"] = [0, 1]
    with pytest.raises(UnknownField) as err:
        InstanceNUMACell.obj_from_stored(stored)
    assert (err.value.version, err.value.field) == ("1.4", "pcpuset")


def test_a_topology_upgrades_each_cell():
    topology = example("InstanceNUMATopology")
    stored = topology.obj_to_primitive(
        "1.2", {"InstanceNUMACell": "1.4", **CHILDREN}
    )
    assert "emulator_threads_policy" not in stored[NS + "data"]
    back = InstanceNUMATopology.obj_from_stored(json.dumps(stored))
    assert back.VERSION == "1.3"
    assert [c.pcpuset for c in back.cells] == [{0, 1}, {2, 3}]
    assert back.cpu_pinning == {0: 10, 1: 11, 2: 12, 3: 13}
    assert back.cpu_pinning_requested


def test_the_pre_liberty_dict_is_read_as_shared_cells():
    legacy = {
        "cells": [
            {"id": 0, "cpus": "0-1", "mem": {"total": 1024}, "pagesize": 2048},
            {"id": 1, "cpus": "2,3", "mem": {"total": 1024}},
        ]
    }
    topology = InstanceNUMATopology.obj_from_stored(json.dumps(legacy))
    assert [c.cpuset for c in topology.cells] == [{0, 1}, {2, 3}]
    assert [c.pcpuset for c in topology.cells] == [set(), set()]
    assert [c.pagesize for c in topology.cells] == [2048, None]
    assert topology.obj_to_primitive()[NS + "version"] == "1.3"
    with pytest.raises(MalformedPayload):
        InstanceNUMATopology.obj_from_stored('{"cells": [{"id": 0}]}')
    with pytest.raises(MalformedPayload):
        InstanceNUMATopology.obj_from_stored("{not json")


def test_pinning_helpers():
    cell = instance_cell(0)
    assert cell.pinning() == {0: 10, 1: 11} and len(cell) == 2
    assert cell.total_cpus == {0, 1}
    with pytest.raises(ValueError, match="not a dedicated vCPU"):
        cell.pin(7, 1)
    assert shared_cell(0).pinning() == {}
    assert not shared_cell(0).cpu_pinning_requested
    assert REGISTRY["InstanceNUMACell"] is InstanceNUMACell
