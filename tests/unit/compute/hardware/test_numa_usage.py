"""A host's usage after an instance claims its cells, and after it frees
them (Nova's ``test_host_usage_*`` and ``test_cpu_pinning_usage_*``)."""

from __future__ import annotations

import pytest
from hardware_cells import guest, guest_cell, host, host_cell

from zerodown.compute.errors import CPUPinningInvalid, CPUUnpinningInvalid
from zerodown.compute.hardware import (
    numa_fit_instance_to_host,
    numa_usage_from_instance_numa,
)
from zerodown.compute.objects import NUMAPagesTopology


def usage(topology):
    return [
        (
            cell.id,
            cell.cpu_usage,
            cell.memory_usage,
            sorted(cell.pinned_cpus),
            [(p.size_kb, p.used) for p in cell.mempages],
        )
        for cell in topology.cells
    ]


def pinned(cell_id, pinning, reserved=None, thread_policy=None, **kw):
    cell = guest_cell(cell_id, set(pinning), thread_policy=thread_policy, **kw)
    cell.cpu_pinning = pinning
    cell.cpuset_reserved = reserved
    return cell


PAGES = [(4, 262144, 0), (2048, 512, 0)]

CASES = [
    # (case, host, instance, usage after the claim per host cell:
    #  (id, shared CPU usage, memory usage, pinned CPUs, pages used))
    (
        "shared guest: CPU and memory usage, smallest pages",
        host(
            host_cell(0, cpus=range(4), memory=1024),
            host_cell(
                1, cpus=range(4, 8), memory=1024, cpu_usage=1, memory_usage=256
            ),
        ),
        guest(
            guest_cell(0, cpus={0, 1}, memory=256),
            guest_cell(1, cpus={2}, memory=512),
        ),
        [
            (0, 2, 256, [], [(4, 65536)]),
            (1, 2, 768, [], [(4, 65536 + 131072)]),
        ],
    ),
    (
        "a guest cell's page size is the one used",
        host(host_cell(0, cpus=range(4), pages=PAGES)),
        guest(guest_cell(0, cpus={0}, memory=512, pagesize=2048)),
        [(0, 1, 512, [], [(4, 0), (2048, 256)])],
    ),
    (
        "no page size asked: the smallest of several is used",
        host(host_cell(0, cpus=range(4), pages=PAGES[::-1])),
        guest(guest_cell(0, cpus={0}, memory=512)),
        [(0, 1, 512, [], [(2048, 0), (4, 131072)])],
    ),
    (
        "pinned CPUs and the emulator's",
        host(host_cell(0, range(4)), host_cell(1, range(4, 8))),
        guest(pinned(1, {0: 4, 1: 5}, reserved={6})),
        [
            (0, 0, 0, [], [(4, 0)]),
            (1, 0, 1024, [4, 5, 6], [(4, 262144)]),
        ],
    ),
    (
        "without isolate the siblings stay free",
        host(host_cell(0, range(4), siblings=[{0, 2}, {1, 3}])),
        guest(pinned(0, {0: 0})),
        [(0, 0, 1024, [0], [(4, 262144)])],
    ),
    (
        "isolate pins the siblings too",
        host(host_cell(0, range(4), siblings=[{0, 2}, {1, 3}])),
        guest(pinned(0, {0: 0}, thread_policy="isolate")),
        [(0, 0, 1024, [0, 2], [(4, 262144)])],
    ),
    (
        "mixed: shared usage and pinning",
        host(host_cell(0, {2, 3}, cpus={0, 1})),
        guest(pinned(0, {1: 2}, cpus={0}, policy="mixed")),
        [(0, 1, 1024, [2], [(4, 262144)])],
    ),
    (
        "1 GiB pages",
        host(
            host_cell(
                0,
                cpus=range(2),
                memory=4096,
                pages=[(4, 1048576, 0), (1048576, 4, 1)],
            )
        ),
        guest(guest_cell(0, cpus={0}, memory=2048, pagesize=1048576)),
        [(0, 1, 2048, [], [(4, 0), (1048576, 3)])],
    ),
]


@pytest.mark.parametrize(
    "topology, instance, expected",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_claim_and_free(topology, instance, expected):
    before = usage(topology)
    claimed = numa_usage_from_instance_numa(topology, instance)
    assert usage(claimed) == expected
    assert usage(topology) == before  # the input is left alone
    freed = numa_usage_from_instance_numa(claimed, instance, free=True)
    assert usage(freed) == before


def test_usage_never_goes_below_zero():
    topology = host(host_cell(0, cpus=range(2), memory=1024))
    instance = guest(guest_cell(0, cpus={0, 1}, memory=512))
    freed = numa_usage_from_instance_numa(topology, instance, free=True)
    assert usage(freed) == [(0, 0, 0, [], [(4, 0)])]


def test_pages_never_counted_are_all_free():
    """A page pool stored without ``used`` counts as none used."""
    topology = host(host_cell(0, cpus=range(2)))
    topology.cells[0].mempages = [NUMAPagesTopology(size_kb=4, total=524288)]
    instance = guest(guest_cell(0, cpus={0}, memory=512))
    claimed = numa_usage_from_instance_numa(topology, instance)
    assert usage(claimed) == [(0, 1, 512, [], [(4, 131072)])]
    assert claimed.cells[0].mempages[0].reserved == 0


def test_claiming_pinned_cpus_twice_is_refused():
    topology = host(host_cell(0, range(4), pinned={1}))
    with pytest.raises(CPUPinningInvalid) as caught:
        numa_usage_from_instance_numa(topology, guest(pinned(0, {0: 1})))
    assert caught.value.cell == 0


def test_freeing_cpus_not_pinned_is_refused():
    topology = host(host_cell(0, range(4)))
    with pytest.raises(CPUUnpinningInvalid):
        numa_usage_from_instance_numa(
            topology, guest(pinned(0, {0: 1})), free=True
        )


def test_nothing_to_account():
    topology = host(host_cell(0, range(2)))
    assert numa_usage_from_instance_numa(topology, None) is topology
    assert numa_usage_from_instance_numa(None, guest()) is None


def test_fill_a_host_until_nothing_fits():
    """Fit, claim, repeat: the 2x4-CPU host takes four 2-vCPU guests,
    and the fifth is refused once every pCPU is pinned."""
    topology = host(
        host_cell(0, range(4), siblings=[{0, 1}, {2, 3}]),
        host_cell(1, range(4, 8), siblings=[{4, 5}, {6, 7}]),
    )
    landed = []
    for _ in range(5):
        fitted = numa_fit_instance_to_host(
            topology, guest(guest_cell(0, {0, 1}, memory=256))
        )
        if fitted is None:
            break
        landed.append((fitted.cells[0].id, fitted.cells[0].pinning()))
        topology = numa_usage_from_instance_numa(topology, fitted)
    assert landed == [
        (0, {0: 0, 1: 1}),
        (1, {0: 4, 1: 5}),
        (0, {0: 2, 1: 3}),
        (1, {0: 6, 1: 7}),
    ]
    assert [sorted(c.pinned_cpus) for c in topology.cells] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
    ]
