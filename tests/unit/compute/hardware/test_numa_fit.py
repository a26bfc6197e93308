"""Fitting an instance onto a host: Nova's answers, found without trying
every permutation, inputs left alone, and reasons when nothing fits.

Rows follow Nova's ``CPUPinningTestCase``, ``EmulatorThreadsTestCase``,
``HostCellsSortingTestCase`` and ``VirtNUMAHostTopologyTestCase``; every
expected placement is the one Nova's ``numa_fit_instance_to_host`` returns
for the same input, except in ``NOVA_BUGS``.
"""

from __future__ import annotations

import dataclasses
import time

import pytest
from hardware_cells import guest, guest_cell, host, host_cell, placed

from zerodown.compute import objects as o
from zerodown.compute.hardware import (
    MEMPAGES_LARGE,
    GuestView,
    HostView,
    PciPool,
    PciRequest,
    PciStats,
    check_fit,
    fit_instance_to_host,
    numa_fit_instance_to_host,
)


def cells4(cell_id, first, **kw):
    return host_cell(cell_id, range(first, first + 4), memory=2048, **kw)


CASES = [
    # (case, host, guest, expected per guest cell:
    #  (host cell, page size, pinning, emulator CPUs), or None)
    (
        "one cell, pinned",
        host(host_cell(0, {0, 1})),
        guest(guest_cell(0, {0, 1})),
        [(0, None, {0: 0, 1: 1}, None)],
    ),
    (
        "one guest cell goes to the host cell with room",
        host(host_cell(0, {0, 1}, pinned={0}), host_cell(1, {2, 3})),
        guest(guest_cell(0, {0, 1})),
        [(1, None, {0: 2, 1: 3}, None)],
    ),
    (
        "no host cell has room",
        host(
            host_cell(0, {0, 1}, pinned={0}), host_cell(1, {2, 3}, pinned={3})
        ),
        guest(guest_cell(0, {0, 1})),
        None,
    ),
    (
        "two guest cells on two host cells",
        host(cells4(0, 0), cells4(1, 4)),
        guest(guest_cell(0, {0, 1}), guest_cell(1, {2, 3})),
        [(0, None, {0: 0, 1: 1}, None), (1, None, {2: 4, 3: 5}, None)],
    ),
    (
        "barely fits: the emptiest cells first",
        host(
            cells4(0, 0, pinned={0}),
            cells4(1, 4, pinned={4, 5, 6}),
            cells4(2, 8),
        ),
        guest(guest_cell(0, {0, 1}), guest_cell(1, {2, 3})),
        [(2, None, {0: 8, 1: 9}, None), (0, None, {2: 1, 3: 2}, None)],
    ),
    (
        "not enough free CPUs anywhere",
        host(cells4(0, 0, pinned={0, 1, 2}), cells4(1, 4, pinned={4, 5, 6})),
        guest(guest_cell(0, {0, 1}), guest_cell(1, {2, 3})),
        None,
    ),
    (
        "more guest cells than host cells",
        host(cells4(0, 0), cells4(1, 4)),
        guest(*(guest_cell(i, {i}) for i in range(3))),
        None,
    ),
    (
        "emulator threads: one CPU next to guest cell 0",
        host(host_cell(0, range(4))),
        guest(guest_cell(0, {0, 1}), emulator="isolate"),
        [(0, None, {0: 0, 1: 1}, {2})],
    ),
    (
        "emulator threads: no CPU left for them",
        host(host_cell(0, range(2))),
        guest(guest_cell(0, {0, 1}), emulator="isolate"),
        None,
    ),
    (
        "emulator threads share: no extra CPU",
        host(host_cell(0, range(2))),
        guest(guest_cell(0, {0, 1}), emulator="share"),
        [(0, None, {0: 0, 1: 1}, None)],
    ),
    (
        "emulator threads on two nodes: only on guest cell 0's",
        host(host_cell(0, range(4)), host_cell(1, range(4, 8))),
        guest(guest_cell(0, {0}), guest_cell(1, {1}), emulator="isolate"),
        [(0, None, {0: 0}, {1}), (1, None, {1: 4}, None)],
    ),
    (
        "emulator threads: asymmetric host, cell 0 goes where it fits",
        host(host_cell(0, range(2)), host_cell(1, range(2, 5))),
        guest(
            guest_cell(0, {0, 1}), guest_cell(1, {2, 3}), emulator="isolate"
        ),
        [(1, None, {0: 2, 1: 3}, {4}), (0, None, {2: 0, 3: 1}, None)],
    ),
    (
        "shared guest: least used cell first",
        host(
            host_cell(0, cpus=range(4), cpu_usage=3),
            host_cell(1, cpus=range(4, 8), cpu_usage=1),
        ),
        guest(guest_cell(0, cpus={0, 1})),
        [(1, None, None, None)],
    ),
    (
        "dedicated guest: cell with most free CPUs first",
        host(cells4(0, 0, pinned={0}), cells4(1, 4)),
        guest(guest_cell(0, {0})),
        [(1, None, {0: 4}, None)],
    ),
    (
        "equal CPUs: cell with most free memory first",
        host(cells4(0, 0, memory_usage=1024), cells4(1, 4)),
        guest(guest_cell(0, {0}, memory=512)),
        [(1, None, {0: 4}, None)],
    ),
    (
        "large pages: the largest size that fits",
        host(
            host_cell(
                0,
                range(2),
                memory=4096,
                pages=[(4, 524288, 0), (2048, 1024, 0), (1048576, 2, 1)],
            )
        ),
        guest(guest_cell(0, {0}, memory=1024, pagesize=MEMPAGES_LARGE)),
        [(0, 1048576, {0: 0}, None)],
    ),
    (
        "large pages: falls back to the next size",
        host(
            host_cell(
                0,
                range(2),
                memory=4096,
                pages=[(4, 524288, 0), (2048, 1024, 0), (1048576, 2, 2)],
            )
        ),
        guest(guest_cell(0, {0}, memory=1024, pagesize=MEMPAGES_LARGE)),
        [(0, 2048, {0: 0}, None)],
    ),
    (
        "isolate on a host without SMT",
        host(host_cell(0, range(4), cpus=range(4))),
        guest(guest_cell(0, {0, 1}, thread_policy="isolate")),
        [(0, None, {0: 0, 1: 1}, None)],
    ),
    (
        "require: only the SMT cell will do",
        host(
            host_cell(0, range(4)),
            host_cell(1, range(4, 8), siblings=[{4, 5}, {6, 7}]),
        ),
        guest(guest_cell(0, {0, 1}, thread_policy="require")),
        [(1, None, {0: 4, 1: 5}, None)],
    ),
    (
        "mixed: shared and dedicated CPUs in one cell",
        host(host_cell(0, {2, 3}, cpus={0, 1})),
        guest(guest_cell(0, {1, 2}, cpus={0}, policy="mixed")),
        [(0, None, {1: 2, 2: 3}, None)],
    ),
]


@pytest.mark.parametrize(
    "host_topology, instance, expected",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_fit(host_topology, instance, expected):
    got = numa_fit_instance_to_host(host_topology, instance)
    assert placed(got) == expected
    assert (check_fit(host_topology, instance) is None) is (got is not None)


def test_pack_strategy_fills_used_cells_first():
    topology = host(cells4(0, 0), cells4(1, 4, pinned={4}))
    instance = guest(guest_cell(0, {0}))
    assert placed(numa_fit_instance_to_host(topology, instance)) == [
        (0, None, {0: 0}, None)
    ]
    assert placed(
        numa_fit_instance_to_host(topology, instance, pack=True)
    ) == [(1, None, {0: 5}, None)]


LIMITS = o.NUMATopologyLimits(
    cpu_allocation_ratio=2.0, ram_allocation_ratio=1.5
)


@pytest.mark.parametrize(
    "usage, memory_usage, fits",
    [
        (0, 0, True),
        (6, 0, True),
        (7, 0, False),
        (0, 2560, True),
        (0, 2561, False),
    ],
)
def test_limits_of_shared_guests(usage, memory_usage, fits):
    topology = host(
        host_cell(0, cpus=range(4), cpu_usage=usage, memory_usage=memory_usage)
    )
    instance = guest(guest_cell(0, cpus={0, 1}, memory=512))
    got = numa_fit_instance_to_host(topology, instance, LIMITS)
    assert (got is not None) is fits


VF = {"vendor_id": "8086", "product_id": "1520"}


def _pci(node, policy="required"):
    stats = PciStats([PciPool("8086", "1520", node, 1, "type-VF")])
    return [PciRequest(1, (VF,), policy)], stats


@pytest.mark.parametrize(
    "node, policy, expected",
    [
        (1, "required", 1),
        (0, "required", 0),
        (2, "required", None),
        (2, "preferred", 0),
        (None, "legacy", 0),
    ],
)
def test_pci_affinity_picks_the_device_cell(node, policy, expected):
    topology = host(cells4(0, 0), cells4(1, 4), cells4(2, 8, pinned={8}))
    requests, stats = _pci(node, policy)
    got = numa_fit_instance_to_host(
        topology, guest(guest_cell(0, {0, 1, 2, 3})), None, requests, stats
    )
    assert (None if got is None else got.cells[0].id) == expected


def test_cells_with_devices_go_last_when_none_is_asked_for():
    topology = host(cells4(0, 0), cells4(1, 4))
    _, stats = _pci(0)
    got = numa_fit_instance_to_host(
        topology, guest(guest_cell(0, {0})), None, None, stats
    )
    assert got is not None and got.cells[0].id == 1


def test_network_affinity():
    topology = host(
        cells4(0, 0, physnets={"foo"}), cells4(1, 4, physnets={"bar"})
    )
    limits = o.NUMATopologyLimits(
        cpu_allocation_ratio=1.0,
        ram_allocation_ratio=1.0,
        network_metadata=o.NetworkMetadata(physnets={"bar"}, tunneled=False),
    )
    got = numa_fit_instance_to_host(
        topology, guest(guest_cell(0, {0})), limits
    )
    assert got is not None and got.cells[0].id == 1


REASONS = [
    (
        host(host_cell(0, {0, 1}, pinned={0})),
        guest(guest_cell(0, {0, 1})),
        "guest cell 0 fits no host cell (host cell 0: needs 2 dedicated "
        "CPUs, 1 are free)",
    ),
    (
        host(
            cells4(0, 0),
            cells4(1, 4, pinned={4, 5, 6}),
            cells4(2, 8, pinned={8, 9, 10}),
        ),
        guest(guest_cell(0, {0, 1}), guest_cell(1, {2, 3})),
        "the 2 guest cells need as many distinct host cells; at most 1 can "
        "take them at once",
    ),
    (
        host(cells4(0, 0)),
        guest(guest_cell(0, {0}), guest_cell(1, {1})),
        "the instance needs 2 NUMA cells, the host has 1",
    ),
    (None, guest(guest_cell(0, {0})), "the host or the instance has no NUMA"),
]


@pytest.mark.parametrize("topology, instance, reason", REASONS)
def test_reasons(topology, instance, reason):
    result = fit_instance_to_host(topology, instance)
    assert not result and result.topology is None
    assert result.reason is not None and result.reason.startswith(reason)
    assert check_fit(topology, instance) == result.reason


def test_pci_reason_names_the_request():
    requests, stats = _pci(1)
    topology = host(cells4(0, 0), cells4(1, 4, pinned={4}))
    result = fit_instance_to_host(
        topology, guest(guest_cell(0, {0, 1, 2, 3})), None, requests, stats
    )
    assert result.reason == (
        "a PCI request (1 device(s), required NUMA affinity) cannot be met"
    )


def test_the_result_is_a_copy_and_inputs_are_left_alone():
    topology = host(
        host_cell(
            0, range(2), memory=4096, pages=[(4, 524288, 0), (2048, 1024, 0)]
        )
    )
    requested = guest_cell(0, {0}, memory=1024, pagesize=MEMPAGES_LARGE)
    instance = guest(requested)
    before = (instance.obj_to_primitive(), topology.obj_to_primitive())
    result = fit_instance_to_host(topology, instance)
    assert result.topology is not None
    fitted = result.topology.cells[0]
    assert fitted is not requested
    assert (fitted.id, fitted.pagesize, fitted.pinning()) == (0, 2048, {0: 0})
    assert fitted.obj_what_changed() >= {"id", "pagesize", "cpu_pinning_raw"}
    assert result.placements == ((0, 2048, {0: 0}, None),)
    assert (instance.obj_to_primitive(), topology.obj_to_primitive()) == before
    # The fitted topology travels like any other object.
    primitive = result.topology.obj_to_primitive()
    assert o.InstanceNUMATopology.obj_from_primitive(primitive) == (
        result.topology
    )


NOVA_BUGS = [
    # Nova keys its per-pair cache by the guest cell's id, which it
    # rewrites to the host cell's id as it goes: guest cell 3 (12 vCPUs,
    # on no 4-CPU host cell) then passes as "fitted" without pinning.
    (
        "a guest cell too big for every host cell",
        host(*(cells4(i, 4 * i) for i in range(8))),
        guest(
            guest_cell(0, range(0, 2)),
            guest_cell(1, range(2, 4)),
            guest_cell(2, range(4, 6)),
            guest_cell(3, range(6, 18)),
        ),
        None,
    ),
    # Nova writes the page size a "large" request got on one host cell
    # back into the request: cell 0 (tried first, most free CPUs) gives
    # 1 GiB pages but cannot pin under "require", and cell 1 is then
    # asked for exactly 1 GiB pages, which it lacks.
    (
        "large pages resolved differently per host cell",
        host(
            host_cell(
                0,
                range(4),
                memory=4096,
                pages=[(4, 524288, 0), (1048576, 2, 0)],
            ),
            host_cell(
                1,
                range(4, 6),
                siblings=[{4, 5}],
                memory=4096,
                pages=[(4, 524288, 0), (2048, 1024, 0)],
            ),
            host_cell(2, range(6, 8), pinned={6, 7}),
        ),
        guest(
            guest_cell(
                0,
                {0, 1},
                memory=1024,
                pagesize=MEMPAGES_LARGE,
                thread_policy="require",
            )
        ),
        [(1, 2048, {0: 4, 1: 5}, None)],
    ),
]


@pytest.mark.parametrize(
    "host_topology, instance, expected",
    [c[1:] for c in NOVA_BUGS],
    ids=[c[0] for c in NOVA_BUGS],
)
def test_where_nova_errs(host_topology, instance, expected):
    assert placed(numa_fit_instance_to_host(host_topology, instance)) == (
        expected
    )


@pytest.mark.parametrize("cells, nodes", [(12, 6), (16, 8)])
def test_no_permutation_blow_up(cells, nodes):
    # Only nodes - 1 host cells have room: Nova tries every permutation
    # (P(16, 8) is 518,918,400); the search refuses at the root.
    topology = host(
        *(
            cells4(
                i,
                4 * i,
                pinned=range(4 * i, 4 * i + 3) if i >= nodes - 1 else (),
            )
            for i in range(cells)
        )
    )
    instance = guest(
        *(guest_cell(i, {2 * i, 2 * i + 1}) for i in range(nodes))
    )
    begin = time.perf_counter()
    result = fit_instance_to_host(topology, instance)
    assert time.perf_counter() - begin < 0.5
    assert result.reason == (
        f"the {nodes} guest cells need as many distinct host cells; at most "
        f"{nodes - 1} can take them at once"
    )


def test_views_kept_between_requests_give_the_same_answers():
    """A scheduler may keep a host's view between requests (and a
    request's view between hosts): same answers as the objects."""
    for _, topology, instance, expected in CASES:
        host_view, guest_view = HostView(topology), GuestView(instance)
        for _ in range(2):
            got = numa_fit_instance_to_host(host_view, guest_view)
            assert placed(got) == expected
            assert (check_fit(host_view, guest_view) is None) is (
                expected is not None
            )


def test_a_refusal_lists_the_host_cells_in_trial_order():
    # Spread (the default) tries the cell with more free CPUs first.
    topology = host(cells4(0, 0, pinned={0, 1, 2}), cells4(1, 4, pinned={4}))
    instance = guest(guest_cell(0, {0, 1, 2, 3}))
    spread = (
        "guest cell 0 fits no host cell (host cell 1: needs 4 dedicated "
        "CPUs, 3 are free; host cell 0: needs 4 dedicated CPUs, 1 are free)"
    )
    result = fit_instance_to_host(topology, instance)
    assert result.reason == spread
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.reason = None  # type: ignore[misc]
    assert check_fit(topology, instance) == spread
    assert check_fit(topology, instance, pack=True) == (
        "guest cell 0 fits no host cell (host cell 0: needs 4 dedicated "
        "CPUs, 1 are free; host cell 1: needs 4 dedicated CPUs, 3 are free)"
    )


def test_shared_guests_go_to_the_least_used_cell_first():
    # Equal memory; cell 0 has more free dedicated CPUs, cell 1 less
    # shared CPU usage: a shared guest is spread by the latter.
    topology = host(
        host_cell(0, {0, 1}, cpus={2, 3}, cpu_usage=2),
        host_cell(1, cpus={4, 5}),
    )
    instance = guest(guest_cell(0, cpus={0}, policy="shared"))
    got = numa_fit_instance_to_host(topology, instance)
    assert got is not None and got.cells[0].id == 1


@pytest.mark.parametrize("tunneled, expected", [(True, 1), (False, 0)])
def test_tunnel_affinity(tunneled, expected):
    topology = host(
        cells4(0, 0, physnets=set()),
        cells4(1, 4, physnets=set(), tunneled=True),
    )
    limits = o.NUMATopologyLimits(
        cpu_allocation_ratio=1.0,
        ram_allocation_ratio=1.0,
        network_metadata=o.NetworkMetadata(physnets=set(), tunneled=tunneled),
    )
    got = numa_fit_instance_to_host(
        topology, guest(guest_cell(0, {0})), limits
    )
    assert got is not None and got.cells[0].id == expected


def test_pci_reason_for_requests_that_fit_only_one_at_a_time():
    stats = PciStats([PciPool("8086", "1520", 0, 2, "type-VF")])
    requests = [
        PciRequest(2, (VF,), "required"),
        PciRequest(1, (VF,), "required"),
    ]
    topology = host(cells4(0, 0), cells4(1, 4))
    result = fit_instance_to_host(
        topology, guest(guest_cell(0, {0})), None, requests, stats
    )
    assert result.reason == (
        "no choice of host cells meets the PCI requests together"
    )


def test_the_first_guest_cell_steps_aside_for_a_bigger_second():
    # Host cell 0 is the only one the second guest cell fits: the first
    # goes to host cell 1 although it would fit host cell 0 too.
    topology = host(host_cell(0, range(4)), host_cell(1, range(4, 6)))
    instance = guest(guest_cell(0, {0, 1}), guest_cell(1, {2, 3, 4, 5}))
    got = numa_fit_instance_to_host(topology, instance)
    assert [cell.id for cell in got.cells] == [1, 0]


def test_host_cells_that_fit_different_guest_cells_are_no_twins():
    # Trial order: 0 (most free CPUs, too little memory), 1, 2.  Guest
    # cell 0 fails on host cell 1 (guest cell 1 needs it) and must still
    # try host cell 2, which fits guest cell 0 only.
    topology = host(
        host_cell(0, range(6), memory=512),
        host_cell(1, range(6, 10)),
        host_cell(2, range(10, 12)),
    )
    instance = guest(guest_cell(0, {0, 1}), guest_cell(1, {2, 3, 4, 5}))
    got = numa_fit_instance_to_host(topology, instance)
    assert [cell.id for cell in got.cells] == [2, 1]
