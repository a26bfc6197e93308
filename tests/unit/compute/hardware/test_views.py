"""The read-only views the fitting functions read host and guest cells
through: what each attribute says about the reported cell."""

from __future__ import annotations

import pytest
from hardware_cells import guest, guest_cell, host, host_cell

from zerodown.compute import objects as o
from zerodown.compute.hardware import numa_fit_instance_to_host
from zerodown.compute.hardware.views import (
    GuestView,
    HostCell,
    HostView,
    Pages,
)


def test_pages_count_free_and_total_kib():
    pages = Pages(size_kb=2048, total=10, used=3, reserved=2)
    assert (pages.size_kb, pages.total, pages.used, pages.reserved) == (
        2048,
        10,
        3,
        2,
    )
    assert pages.total_kb == 20480
    assert pages.free_kb == 5 * 2048


def test_pages_fit_whole_pages_up_to_the_free_ones():
    pages = Pages(size_kb=2048, total=10, used=3, reserved=2)
    assert pages.can_fit(5 * 2048)
    assert not pages.can_fit(6 * 2048)
    assert not pages.can_fit(1024)  # half a page
    assert pages.can_fit(10 * 2048, use_free=False)
    assert not pages.can_fit(11 * 2048, use_free=False)


def test_host_cell_reads_the_reported_cell():
    cell = HostCell(
        host_cell(
            3,
            pcpus={4, 5, 6, 7},
            cpus={0, 1},
            siblings=[{0, 1}, {4, 5}, {6, 7}],
            pinned={5},
            memory=4096,
            memory_usage=1024,
            cpu_usage=2,
            pages=[(4, 1000, 10), (1048576, 2, 1), (2048, 8, 0)],
            socket=1,
        )
    )
    assert cell.id == 3
    assert cell.cpuset == {0, 1} and cell.pcpuset == {4, 5, 6, 7}
    assert cell.free_pcpus == {4, 6, 7}
    assert (cell.memory, cell.memory_usage, cell.avail_memory) == (
        4096,
        1024,
        3072,
    )
    assert (cell.cpu_usage, cell.socket) == (2, 1)
    assert cell.page_sizes == (1048576, 2048, 4)
    assert [(p.size_kb, p.total, p.used) for p in cell.pages] == [
        (4, 1000, 10),
        (1048576, 2, 1),
        (2048, 8, 0),
    ]
    assert cell.page(2048) is cell.pages[2]
    assert cell.page(16) is None
    assert cell.threads_per_core == 2
    assert cell.sibling_free_count == 3


def test_an_idle_cell_uses_nothing():
    cell = HostCell(host_cell(0, pcpus={0, 1}))
    assert (cell.memory_usage, cell.cpu_usage) == (0, 0)
    assert cell.avail_memory == cell.memory == 2048
    assert cell.socket is None


def test_pages_reserved_for_the_host_are_not_free():
    cell = host_cell(0, pages=[(4, 10, 0)])
    cell.mempages = [
        o.NUMAPagesTopology(size_kb=2048, total=4, used=1),
        o.NUMAPagesTopology(size_kb=2048, total=4, used=1, reserved=2),
    ]
    unreserved, reserved = HostCell(cell).pages
    assert (unreserved.reserved, unreserved.free_kb) == (0, 3 * 2048)
    assert (reserved.reserved, reserved.free_kb) == (2, 1 * 2048)


def test_free_siblings_and_cores_by_free_threads():
    cell = HostCell(
        host_cell(
            0,
            pcpus=range(10),
            siblings=[{0, 1, 2}, {3, 4, 5}, {6, 7}, {8, 9}],
            pinned={0, 3, 4, 8, 9},
        )
    )
    # Cores in the order reported, sorted threads, full cores left out.
    assert cell.free_siblings == ((1, 2), (5,), (6, 7))
    assert cell.cores_with == (3, 3, 2)
    assert [cell.cores(t) for t in range(5)] == [3, 3, 2, 0, 0]
    assert cell.threads_per_core == 3
    # Answers are kept: asking again gives the same.
    assert cell.free_siblings == ((1, 2), (5,), (6, 7))
    assert cell.cores_with == (3, 3, 2)


def test_a_cell_with_all_threads_free_counts_every_level():
    cell = HostCell(
        host_cell(0, pcpus=range(6), siblings=[{0, 1, 2}, {3, 4, 5}])
    )
    assert cell.cores_with == (2, 2, 2, 2)
    assert cell.cores(3) == 2 and cell.cores(4) == 0


def test_sibling_free_count_counts_free_threads_of_reported_cores():
    cell = HostCell(host_cell(0, pcpus={0, 1, 2, 3}, siblings=[{0, 1}, {2}]))
    assert cell.sibling_free_count == 3  # CPU 3 is in no core


def test_a_cell_without_siblings_has_one_thread_per_core():
    cell = host_cell(0, pcpus={0, 1, 2}, pinned={1})
    cell.siblings = []
    view = HostCell(cell)
    assert view.threads_per_core == 1
    assert view.free_siblings == ((0,), (2,))
    assert view.cores_with == (2, 2)
    assert view.sibling_free_count == 2


def test_a_cell_without_cpus():
    cell = host_cell(0)
    cell.siblings = []
    view = HostCell(cell)
    assert view.threads_per_core == 1
    assert view.free_siblings == () and view.cores_with == (0,)
    assert view.cores(1) == 0
    cell.siblings = [set()]  # an empty core: still one thread per core
    assert HostCell(cell).threads_per_core == 1


def test_a_shared_only_host_without_smt_fits_a_guest():
    # The virt driver reports sibling sets only for cores with two or
    # more threads: none here, and no dedicated CPUs either.
    shared = host(host_cell(0, cpus={0, 1, 2, 3}, siblings=[]))
    fit = numa_fit_instance_to_host(shared, guest(guest_cell(0, cpus={0, 1})))
    assert fit is not None and fit.cells[0].id == 0


def test_network_affinity_of_a_cell():
    plain = HostCell(host_cell(0, pcpus={0}))
    assert plain.physnets is None and plain.tunneled is False
    affined = HostCell(host_cell(0, pcpus={0}, physnets={"a"}, tunneled=True))
    assert affined.physnets == {"a"} and affined.tunneled is True
    none = HostCell(host_cell(0, pcpus={0}, physnets=()))
    assert none.physnets == frozenset() and none.tunneled is False


def test_an_unset_required_field_raises_as_the_object_does():
    cell = o.NUMACell(id=0, cpuset=set(), pcpuset={0})
    with pytest.raises(NotImplementedError):
        cell.memory  # noqa: B018
    with pytest.raises(NotImplementedError):
        HostCell(cell)


def test_host_view_keeps_the_cells_in_order():
    topology = host(host_cell(1, pcpus={0}), host_cell(0, pcpus={1}))
    view = HostView(topology)
    assert view.topology is topology
    assert [cell.id for cell in view.cells] == [1, 0]
    assert len(view) == 2


def test_guest_cells_and_their_shape():
    topology = guest(
        guest_cell(0, {3, 1}, cpus={0}, memory=512, thread_policy="isolate"),
        guest_cell(1, cpus={2, 4}, memory=256, pagesize=2048),
        guest_cell(2, {5}, cpus={6}, policy="mixed"),
        emulator="isolate",
    )
    view = GuestView(topology)
    assert view.topology is topology and len(view) == 3
    assert view.emulator_threads_policy == "isolate"
    assert view.emulator_threads_isolated
    pinned, shared, mixed = view.cells
    assert pinned.cell is topology.cells[0]
    assert (pinned.id, pinned.shared, pinned.pcpus, pinned.memory) == (
        0,
        1,
        (1, 3),
        512,
    )
    assert pinned.pinned and mixed.pinned and not shared.pinned
    assert pinned.shape == (1, 2, 512, None, "dedicated", "isolate")
    assert shared.shape == (2, 0, 256, 2048, None, None)
    assert (shared.pagesize, shared.cpu_policy, shared.thread_policy) == (
        2048,
        None,
        None,
    )
    assert mixed.shape[4] == "mixed"


@pytest.mark.parametrize("policy", [None, "share"])
def test_emulator_threads_are_isolated_only_when_asked(policy):
    view = GuestView(guest(guest_cell(0, cpus={0}), emulator=policy))
    assert view.emulator_threads_policy == policy
    assert not view.emulator_threads_isolated


def test_a_guest_without_an_emulator_policy_field():
    topology = o.InstanceNUMATopology(cells=[guest_cell(0, cpus={0})])
    assert GuestView(topology).emulator_threads_policy is None
