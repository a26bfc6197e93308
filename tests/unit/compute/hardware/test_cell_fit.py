"""One guest cell on one host cell: memory and pages, CPUs, limits.

Cases follow Nova's ``VirtNUMATopologyCellUsageTestCase`` and
``VirtMemoryPagesTestCase``; each expects ``None`` (fits) or the reason.
"""

from __future__ import annotations

import pytest
from hardware_cells import guest_cell, host_cell

from zerodown.compute.hardware import (
    MEMPAGES_ANY,
    MEMPAGES_LARGE,
    MEMPAGES_SMALL,
    CellLimits,
)
from zerodown.compute.hardware.cell_fit import (
    cell_misfit,
    fit_page_size,
    place_cell,
)
from zerodown.compute.hardware.views import GuestCell, HostCell

LIMITS = CellLimits(cpu_allocation_ratio=2.0, ram_allocation_ratio=2.0)
SMALL_2M_1G = [(4, 262144, 0), (2048, 512, 0), (1048576, 1, 0)]


def misfit(host, guest, limits=None, reserve=0):
    return cell_misfit(HostCell(host), GuestCell(guest), limits, reserve)


MEMORY = [
    # (case, host kwargs, guest kwargs, limits, reason or None)
    (
        "no pages reported: shared guest within total memory",
        dict(cpus={0, 1}, memory=1024, memory_usage=1024, pages=[]),
        dict(cpus={0}, memory=1024),
        None,
        None,
    ),
    (
        "no pages reported: shared guest above total memory",
        dict(cpus={0, 1}, memory=1024, pages=[]),
        dict(cpus={0}, memory=2048),
        None,
        "2048 MiB exceeds the cell's 1024 MiB",
    ),
    (
        "no pages reported: a pinned guest needs free memory",
        dict(pcpus={0, 1}, memory=2048, memory_usage=1536, pages=[]),
        dict(pcpus={0}, memory=1024),
        None,
        "1024 MiB exceeds the cell's 512 MiB",
    ),
    (
        "small pages: a shared guest may overcommit the used ones",
        dict(cpus={0, 1}, memory=2048, memory_usage=2048),
        dict(cpus={0}, memory=2048),
        None,
        None,
    ),
    (
        "small pages: a pinned guest may not",
        dict(pcpus={0, 1}, memory=2048, memory_usage=1024),
        dict(pcpus={0}, memory=2048),
        None,
        "2048 MiB exceeds the cell's memory",
    ),
    (
        "2 MiB pages asked for and free",
        dict(cpus={0}, pages=SMALL_2M_1G),
        dict(cpus={0}, memory=1024, pagesize=2048),
        None,
        None,
    ),
    (
        "2 MiB pages asked for, too few",
        dict(cpus={0}, pages=[(4, 262144, 0), (2048, 256, 0)]),
        dict(cpus={0}, memory=1024, pagesize=2048),
        None,
        "no 2048 KiB pages for 1024 MiB",
    ),
    (
        "a size the host lacks",
        dict(cpus={0}, pages=[(4, 262144, 0)]),
        dict(cpus={0}, memory=512, pagesize=2048),
        None,
        "no 2048 KiB pages for 512 MiB",
    ),
    (
        "large pages on a host with small pages only",
        dict(cpus={0}, pages=[(4, 262144, 0)]),
        dict(cpus={0}, memory=512, pagesize=MEMPAGES_LARGE),
        None,
        "no large pages for 512 MiB",
    ),
    (
        "small pages asked for, too few",
        dict(cpus={0}, pages=[(4, 256, 0), (2048, 512, 0)]),
        dict(cpus={0}, memory=512, pagesize=MEMPAGES_SMALL),
        None,
        "no small pages for 512 MiB",
    ),
    (
        "any page size, none with enough",
        dict(cpus={0}, pages=[(4, 256, 0), (2048, 8, 0)]),
        dict(cpus={0}, memory=512, pagesize=MEMPAGES_ANY),
        None,
        "no any pages for 512 MiB",
    ),
    (
        "memory not a whole number of 1 GiB pages",
        dict(cpus={0}, pages=[(4, 262144, 0), (1048576, 2, 0)]),
        dict(cpus={0}, memory=1536, pagesize=1048576),
        None,
        "no 1048576 KiB pages for 1536 MiB",
    ),
    (
        "limits: CPU overcommit within the ratio",
        dict(cpus={0, 1}, cpu_usage=2, memory=2048),
        dict(cpus={0, 1}, memory=1024),
        LIMITS,
        None,
    ),
    (
        "limits: CPU overcommit beyond the ratio",
        dict(cpus={0, 1}, cpu_usage=3, memory=2048),
        dict(cpus={0, 1}, memory=1024),
        LIMITS,
        "shared CPU usage would exceed 4",
    ),
    (
        "limits: RAM beyond the ratio",
        dict(cpus={0, 1}, memory=1024, memory_usage=1536),
        dict(cpus={0}, memory=1024),
        LIMITS,
        "memory usage would exceed 2048 MiB",
    ),
    (
        "limits do not apply to a dedicated guest",
        dict(pcpus={0, 1}, cpu_usage=100, memory=2048, memory_usage=1024),
        dict(pcpus={0}, memory=1024),
        LIMITS,
        None,
    ),
]


@pytest.mark.parametrize(
    "host_kw, guest_kw, limits, reason",
    [case[1:] for case in MEMORY],
    ids=[case[0] for case in MEMORY],
)
def test_memory_and_limits(host_kw, guest_kw, limits, reason):
    assert misfit(host_cell(**host_kw), guest_cell(**guest_kw), limits) == (
        reason
    )


CPUS = [
    # (case, host kwargs, guest kwargs, reserve, reason or None)
    (
        "more dedicated vCPUs than the cell has",
        dict(pcpus={0, 1, 2}),
        dict(pcpus={0, 1, 2, 3}),
        0,
        "needs 4 dedicated CPUs, the cell has 3",
    ),
    (
        "the emulator thread's CPU counts too",
        dict(pcpus={0, 1, 2}),
        dict(pcpus={0, 1, 2}),
        1,
        "needs 4 dedicated CPUs, the cell has 3",
    ),
    (
        "enough dedicated CPUs, too few free",
        dict(pcpus={0, 1, 2, 3}, pinned={0}),
        dict(pcpus={0, 1, 2, 3}),
        0,
        "needs 4 dedicated CPUs, 3 are free",
    ),
    (
        "shared vCPUs need shared CPUs",
        dict(pcpus={0, 1}, cpus={2}),
        dict(cpus={0, 1}),
        0,
        "needs 2 shared CPUs, the cell has 1",
    ),
    (
        "mixed needs both kinds (Nova bug 1898272)",
        dict(pcpus={0, 1, 2, 3}, siblings=[{0, 2}, {1, 3}]),
        dict(cpus={0}, pcpus={1, 2, 3}, policy="mixed"),
        0,
        "needs 1 shared CPUs, the cell has 0",
    ),
    (
        "mixed with both kinds",
        dict(pcpus={0, 1, 2}, cpus={3}),
        dict(cpus={0}, pcpus={1, 2, 3}, policy="mixed"),
        0,
        None,
    ),
    (
        "an emulator thread with no dedicated vCPU to go with",
        dict(pcpus={0}, cpus={1}),
        dict(cpus={0}, policy="mixed"),
        1,
        "no prefer pinning of 0 vCPUs",
    ),
    (
        "require on a cell without SMT",
        dict(pcpus={0, 1, 2, 3}),
        dict(pcpus={0, 1}, thread_policy="require"),
        0,
        "no require pinning of 2 vCPUs",
    ),
]


@pytest.mark.parametrize(
    "host_kw, guest_kw, reserve, reason",
    [case[1:] for case in CPUS],
    ids=[case[0] for case in CPUS],
)
def test_cpus(host_kw, guest_kw, reserve, reason):
    assert misfit(
        host_cell(**host_kw), guest_cell(**guest_kw), None, reserve
    ) == (reason)


PAGE_CHOICE = [
    # (request, memory MiB, chosen size)
    (MEMPAGES_SMALL, 512, 4),
    (MEMPAGES_LARGE, 512, 2048),
    (MEMPAGES_LARGE, 1024, 1048576),
    (MEMPAGES_ANY, 1024, 1048576),
    (MEMPAGES_ANY, 768, 2048),
    (MEMPAGES_ANY, 2048, None),
    (2048, 1024, 2048),
    (1048576, 1024, 1048576),
    (16, 1024, None),
]


@pytest.mark.parametrize("request_, memory, size", PAGE_CHOICE)
def test_page_size_chosen(request_, memory, size):
    cell = HostCell(host_cell(0, {0}, pages=SMALL_2M_1G))
    assert fit_page_size(cell, request_, memory) == size


def test_placement_of_a_fitting_pair():
    host = HostCell(
        host_cell(
            3, {0, 1, 2, 3}, siblings=[{0, 1}, {2, 3}], pages=SMALL_2M_1G
        )
    )
    guest = GuestCell(guest_cell(0, {0, 1}, pagesize=MEMPAGES_LARGE))
    placement = place_cell(host, guest, reserve=1)
    assert placement == (3, 1048576, {0: 0, 1: 1}, {2})


def test_no_emulator_thread_cpu_unless_asked():
    host = HostCell(host_cell(0, {0, 1}))
    guest = GuestCell(guest_cell(0, {0, 1}))
    assert cell_misfit(host, guest) is None
    assert place_cell(host, guest) == (0, None, {0: 0, 1: 1}, None)


def test_placement_of_a_shared_cell_has_no_pinning():
    host = HostCell(host_cell(1, cpus={0, 1}))
    placement = place_cell(host, GuestCell(guest_cell(0, cpus={0})))
    assert placement == (1, None, None, None)
