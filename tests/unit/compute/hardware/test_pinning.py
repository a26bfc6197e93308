"""Pinning dedicated vCPUs onto free cores, thread policy by policy.

Each row is a host cell (dedicated CPUs, siblings, pinned CPUs, shared
CPUs), the guest's vCPUs, a thread policy and how many CPUs the emulator
threads need; the expected pinning and emulator CPUs are Nova's
``_pack_instance_onto_cores`` answers for the same cell (the host layouts
are those of Nova's ``CPUPinningCellTestCase``).
"""

from __future__ import annotations

import pytest
from hardware_cells import host_cell

from zerodown.compute.hardware.pinning import can_pack, pack
from zerodown.compute.hardware.views import HostCell

R8 = set(range(8))
PAIRS = [{0, 1}, {2, 3}, {4, 5}, {6, 7}]
FAR_PAIRS = [{0, 4}, {1, 5}, {2, 6}, {3, 7}]
QUADS = [{0, 1, 2, 3}, {4, 5, 6, 7}]

CASES = [
    # (case, pcpus, siblings, pinned, shared, vcpus, policy, reserve,
    #  pinning or None, emulator CPUs)
    (
        "no SMT, empty",
        {0, 1, 2},
        None,
        (),
        (),
        [0, 1, 2],
        None,
        0,
        {0: 0, 1: 1, 2: 2},
        None,
    ),
    (
        "no SMT, one CPU taken",
        {0, 1, 2, 3},
        None,
        {1},
        (),
        [0, 1, 2],
        None,
        0,
        {0: 0, 1: 2, 2: 3},
        None,
    ),
    (
        "too few free CPUs",
        {0, 1, 2, 3},
        None,
        {0},
        (),
        [0, 1, 2, 3],
        None,
        0,
        None,
        None,
    ),
    (
        "pairs filled whole",
        R8,
        PAIRS,
        (),
        (),
        list(range(8)),
        "prefer",
        0,
        {i: i for i in range(8)},
        None,
    ),
    (
        "whole quad cores first, then the emptiest",
        R8,
        QUADS,
        {1, 2, 5, 6},
        (),
        [0, 1, 2, 3],
        None,
        0,
        {0: 0, 1: 3, 2: 4, 3: 7},
        None,
    ),
    (
        "one quad core holds all",
        R8,
        QUADS,
        (),
        (),
        [0, 1, 2, 3],
        None,
        0,
        {0: 0, 1: 1, 2: 2, 3: 3},
        None,
    ),
    (
        "odd count over pairs",
        R8,
        PAIRS,
        (),
        (),
        [0, 1, 2, 3, 4],
        None,
        0,
        {0: 0, 1: 1, 2: 2, 3: 3, 4: 4},
        None,
    ),
    (
        "six vCPUs over two quads: the first core filled first",
        R8,
        QUADS,
        (),
        (),
        list(range(6)),
        None,
        0,
        {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5},
        None,
    ),
    (
        "no whole pair is enough: first threads of the cores",
        R8,
        PAIRS,
        {0, 2, 5},
        (),
        [0, 1, 2],
        None,
        0,
        {0: 1, 1: 3, 2: 4},
        None,
    ),
    (
        "whole pairs exhausted: one thread per core",
        R8,
        PAIRS,
        {0, 1, 2, 5},
        (),
        [0, 1, 2, 3],
        None,
        0,
        {0: 3, 1: 4, 2: 6, 3: 7},
        None,
    ),
    (
        "only orphans and a pair: spread thread by thread",
        R8,
        PAIRS,
        {0, 2, 5, 6},
        (),
        [0, 1, 2, 3],
        None,
        0,
        {0: 1, 1: 3, 2: 4, 3: 7},
        None,
    ),
    (
        "far siblings, Linux numbering",
        set(range(16)),
        [{i, i + 8} for i in range(8)],
        (),
        (),
        [0, 1, 2, 3, 4],
        None,
        0,
        {0: 0, 1: 8, 2: 1, 3: 9, 4: 2},
        None,
    ),
    (
        "no core count fits whole: one vCPU per core before thread by thread",
        set(range(10)),
        [{i, i + 1} for i in range(0, 10, 2)],
        {5, 7, 9},
        (),
        [0, 1, 2, 3, 4],
        None,
        0,
        {0: 0, 1: 2, 2: 4, 3: 6, 4: 8},
        None,
    ),
    (
        "no vCPUs: nothing to pin",
        {0, 1, 2, 3},
        None,
        (),
        (),
        [],
        None,
        0,
        {},
        None,
    ),
    (
        "no vCPUs but a reserve: no emulator threads without a guest",
        {0, 1, 2, 3},
        None,
        (),
        (),
        [],
        None,
        1,
        None,
        None,
    ),
    (
        "require: no vCPUs but a reserve",
        R8,
        PAIRS,
        (),
        (),
        [],
        "require",
        1,
        None,
        None,
    ),
    (
        "require: three free pairs hold six (2 x 3, not 2 + 3)",
        R8,
        PAIRS,
        {0},
        (),
        list(range(6)),
        "require",
        0,
        {0: 2, 1: 3, 2: 4, 3: 5, 4: 6, 5: 7},
        None,
    ),
    (
        "require: six on three free pairs, the reserve on the orphan",
        R8,
        PAIRS,
        {0},
        (),
        list(range(6)),
        "require",
        1,
        {0: 2, 1: 3, 2: 4, 3: 5, 4: 6, 5: 7},
        {1},
    ),
    (
        "require: no SMT at all",
        R8,
        None,
        (),
        (),
        [0, 1],
        "require",
        0,
        None,
        None,
    ),
    (
        "require: too few whole cores",
        R8,
        FAR_PAIRS,
        {0, 1, 2},
        (),
        [0, 1, 2, 3],
        "require",
        0,
        None,
        None,
    ),
    (
        "require: fits on pairs",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        (),
        (),
        [0, 1, 2, 3],
        "require",
        0,
        {0: 0, 1: 1, 2: 2, 3: 3},
        None,
    ),
    (
        "require: fits on the free pairs",
        R8,
        FAR_PAIRS,
        {0, 1},
        (),
        [0, 1, 2, 3],
        "require",
        0,
        {0: 2, 1: 6, 2: 3, 3: 7},
        None,
    ),
    (
        "require: no CPU left for the emulator threads",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        (),
        (),
        [0, 1, 2, 3],
        "require",
        1,
        None,
        None,
    ),
    (
        "require: a whole quad core, though no two pairs are free",
        R8,
        QUADS,
        {1, 2, 3},
        (),
        [0, 1, 2],
        "require",
        0,
        {0: 4, 1: 5, 2: 6},
        None,
    ),
    (
        "isolate: one vCPU per core, siblings idle (legacy host)",
        R8,
        FAR_PAIRS,
        {0, 1},
        R8,
        [0, 1],
        "isolate",
        0,
        {0: 2, 1: 3},
        None,
    ),
    (
        "isolate: no SMT",
        {0, 1, 2, 3},
        None,
        (),
        {0, 1, 2, 3},
        [0, 1],
        "isolate",
        0,
        {0: 0, 1: 1},
        None,
    ),
    (
        "isolate: no SMT and no shared CPUs",
        {0, 1, 2, 3},
        None,
        (),
        (),
        [0, 1],
        "isolate",
        0,
        {0: 0, 1: 1},
        None,
    ),
    (
        "isolate: no vCPUs",
        {0, 1, 2, 3},
        None,
        (),
        (),
        [],
        "isolate",
        0,
        None,
        None,
    ),
    (
        "isolate: no SMT, the reserve on the next CPU",
        {0, 1, 2, 3},
        None,
        (),
        (),
        [0, 1],
        "isolate",
        1,
        {0: 0, 1: 1},
        {2},
    ),
    (
        "isolate: SMT host, legacy configuration",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        (),
        {0, 1, 2, 3},
        [0, 1],
        "isolate",
        0,
        {0: 0, 1: 2},
        None,
    ),
    (
        "isolate: too few fully free cores",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        {1},
        {0, 1, 2, 3},
        [0, 1],
        "isolate",
        0,
        None,
        None,
    ),
    (
        "isolate: no fully free core",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        {1, 2},
        {0, 1, 2, 3},
        [0, 1],
        "isolate",
        0,
        None,
        None,
    ),
    (
        "isolate: SMT host with separate shared CPUs (Nova bug 1889633)",
        {2, 3, 6, 7},
        FAR_PAIRS,
        (),
        {0, 1, 4, 5},
        [0, 1],
        "isolate",
        0,
        None,
        None,
    ),
    (
        "emulator threads take the next free CPU",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        (),
        (),
        [0, 1],
        None,
        1,
        {0: 0, 1: 1},
        {2},
    ),
    (
        "emulator threads beside the guest on a half-used core",
        R8,
        PAIRS,
        (),
        (),
        [0, 1, 2],
        None,
        3,
        {0: 0, 1: 1, 2: 2},
        {3, 4, 5},
    ),
    (
        "emulator threads take two",
        {0, 1, 2, 3},
        None,
        (),
        (),
        [0, 1],
        None,
        2,
        {0: 0, 1: 1},
        {2, 3},
    ),
    (
        "emulator threads need a CPU left over",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        (),
        (),
        [0, 1, 2, 3],
        None,
        1,
        None,
        None,
    ),
    (
        "emulator threads under require",
        R8,
        PAIRS,
        {0},
        (),
        [0, 1, 2, 3],
        "require",
        1,
        {0: 2, 1: 3, 2: 4, 3: 5},
        {1},
    ),
    (
        "emulator threads under isolate skip the guest's cores",
        R8,
        FAR_PAIRS,
        (),
        R8,
        [0, 1],
        "isolate",
        1,
        {0: 0, 1: 1},
        {2},
    ),
    (
        "isolate: no whole core left for the emulator threads",
        {0, 1, 2, 3},
        [{0, 1}, {2, 3}],
        (),
        {0, 1, 2, 3},
        [0, 1],
        "isolate",
        1,
        None,
        None,
    ),
]

IDS = [case[0] for case in CASES]


def _cell(pcpus, siblings, pinned, shared):
    return HostCell(
        host_cell(0, pcpus, cpus=shared, siblings=siblings, pinned=pinned)
    )


@pytest.mark.parametrize(
    "pcpus, siblings, pinned, shared, vcpus, policy, reserve, "
    "pinning, reserved",
    [case[1:] for case in CASES],
    ids=IDS,
)
def test_pack(
    pcpus, siblings, pinned, shared, vcpus, policy, reserve, pinning, reserved
):
    cell = _cell(pcpus, siblings, pinned, shared)
    got = pack(cell, vcpus, policy, reserve)
    if pinning is None:
        assert got is None
    else:
        assert got is not None
        assert got.pinning == pinning
        assert got.reserved == reserved
    assert can_pack(cell, len(vcpus), policy, reserve) is (got is not None)


def test_cells_without_sibling_data_count_each_cpu_as_a_core():
    cell = _cell({4, 5, 6}, [], (), ())
    assert cell.free_siblings == ((4,), (5,), (6,))
    assert cell.threads_per_core == 1
    assert pack(cell, [0, 1], "prefer").pinning == {0: 4, 1: 5}


def test_siblings_are_read_in_host_order_and_sorted_within_a_core():
    cell = _cell({3, 35, 0, 32}, [{35, 3}, {32, 0}], (), ())
    assert cell.free_siblings == ((3, 35), (0, 32))
    assert cell.cores_with == (2, 2, 2)
    assert pack(cell, [0, 1, 2], None).pinning == {0: 3, 1: 35, 2: 0}


@pytest.mark.parametrize("policy", [None, "prefer", "isolate"])
def test_no_emulator_cpu_is_reserved_unless_asked(policy):
    cell = _cell({0, 1}, None, (), ())
    assert can_pack(cell, 2, policy)
    assert pack(cell, [0, 1], policy) == ({0: 0, 1: 1}, None)
