"""Guest vCPU topology: constraints, candidates, order, the best one.

The tables are Nova's ``VCPUTopologyTest`` cases (same inputs, same
expected topologies), plus what zerodown adds: typed errors with the
numbers in them.
"""

from __future__ import annotations

import pytest
from hardware_cells import flavor, image

from zerodown.compute.errors import InvalidExtraSpec, VCPUTopologyInvalid
from zerodown.compute.hardware import (
    Topology,
    desirable_cpu_topologies,
    get_best_cpu_topology,
    get_cpu_topology_constraints,
    possible_cpu_topologies,
    sort_cpu_topologies,
)

N = 65536  # no limit

CONSTRAINTS = [
    # (case, flavor specs, image props, preferred, maximum)
    (
        "flavor sets a preference only",
        dict(cpu_sockets="8", cpu_cores="2", cpu_threads="1"),
        {},
        (8, 2, 1),
        (N, N, N),
    ),
    (
        "image preference replaces the flavor's",
        dict(
            cpu_sockets="8",
            cpu_cores="2",
            cpu_threads="1",
            cpu_max_threads="2",
        ),
        dict(cpu_sockets=4, cpu_cores=2, cpu_threads=2),
        (4, 2, 2),
        (N, N, 2),
    ),
    (
        "a partial image preference replaces all of the flavor's",
        dict(cpu_sockets="8", cpu_cores="2", cpu_threads="1"),
        dict(cpu_sockets=2),
        (2, 0, 0),
        (N, N, N),
    ),
    (
        "image restricts threads below the flavor's limit",
        dict(cpu_max_threads="2"),
        dict(cpu_max_threads=1),
        (0, 0, 0),
        (N, N, 1),
    ),
    (
        "flavor limits force two sockets",
        dict(cpu_max_cores="8", cpu_max_threads="1"),
        {},
        (0, 0, 0),
        (N, 8, 1),
    ),
    (
        "image limits equal to the flavor's",
        dict(cpu_max_sockets="2"),
        dict(cpu_max_sockets=2),
        (0, 0, 0),
        (2, N, N),
    ),
    (
        "image limits lower the flavor's",
        dict(cpu_max_cores="8", cpu_max_threads="1"),
        dict(cpu_max_cores=4),
        (0, 0, 0),
        (N, 4, 1),
    ),
    (
        "image limits drop a flavor preference beyond them",
        dict(cpu_sockets="2", cpu_cores="8", cpu_threads="1"),
        dict(cpu_max_cores=4),
        (0, 0, 0),
        (N, 4, N),
    ),
]


@pytest.mark.parametrize(
    "specs, props, preferred, maximum",
    [c[1:] for c in CONSTRAINTS],
    ids=[c[0] for c in CONSTRAINTS],
)
def test_constraints(specs, props, preferred, maximum):
    got = get_cpu_topology_constraints(
        flavor(16, **specs), image(**props) if props else None
    )
    assert got.preferred == preferred
    assert got.maximum == maximum


REFUSED = [
    (
        "image limits may not exceed the flavor's",
        dict(cpu_max_cores="8", cpu_max_threads="1"),
        dict(cpu_max_cores=16),
        VCPUTopologyInvalid,
        "image limits 0:16:0 exceed the flavor's 0:8:1 (cores)",
    ),
    (
        "image preference may not exceed the limits",
        dict(cpu_max_cores="8", cpu_max_threads="1"),
        dict(cpu_cores=16),
        VCPUTopologyInvalid,
        "image preference 0:16:0 exceeds the limits 65536:8:1",
    ),
    (
        "a flavor value must be an integer",
        dict(cpu_max_sockets="foo"),
        {},
        InvalidExtraSpec,
        "flavor extra spec hw:cpu_max_sockets='foo' is invalid: not an "
        "integer",
    ),
    (
        "a flavor value may not be negative",
        dict(cpu_threads="-1"),
        {},
        InvalidExtraSpec,
        "must be at least 0",
    ),
]


@pytest.mark.parametrize(
    "specs, props, error, message",
    [c[1:] for c in REFUSED],
    ids=[c[0] for c in REFUSED],
)
def test_constraints_refused(specs, props, error, message):
    with pytest.raises(error) as caught:
        get_cpu_topology_constraints(
            flavor(16, **specs), image(**props) if props else None
        )
    assert message in str(caught.value)


@pytest.mark.parametrize("key", ["sockets", "cores", "threads"])
def test_every_topology_spec_is_read_as_an_integer(key):
    for name in (f"cpu_{key}", f"cpu_max_{key}"):
        with pytest.raises(InvalidExtraSpec) as caught:
            get_cpu_topology_constraints(flavor(16, **{name: "two"}))
        assert caught.value.key == f"hw:{name}"


POSSIBLE = [
    # (vcpus, maximum, allow_threads, expected in order)
    (
        8,
        (8, 8, 2),
        True,
        [
            (8, 1, 1),
            (4, 2, 1),
            (2, 4, 1),
            (1, 8, 1),
            (4, 1, 2),
            (2, 2, 2),
            (1, 4, 2),
        ],
    ),
    (8, (8, 8, 2), False, [(8, 1, 1), (4, 2, 1), (2, 4, 1), (1, 8, 1)]),
    (
        8,
        (1024, 1024, 2),
        True,
        [
            (8, 1, 1),
            (4, 2, 1),
            (2, 4, 1),
            (1, 8, 1),
            (4, 1, 2),
            (2, 2, 2),
            (1, 4, 2),
        ],
    ),
    (8, (1024, 1, 2), True, [(8, 1, 1), (4, 1, 2)]),
    (7, (8, 8, 2), True, [(7, 1, 1), (1, 7, 1)]),
    (1, (N, N, N), True, [(1, 1, 1)]),
]


@pytest.mark.parametrize("vcpus, maximum, threads, expected", POSSIBLE)
def test_possible_topologies_fewest_threads_first(
    vcpus, maximum, threads, expected
):
    got = possible_cpu_topologies(vcpus, Topology(*maximum), threads)
    assert got == expected


@pytest.mark.parametrize(
    "vcpus, maximum, threads",
    [(8, (2, 1, 1), True), (8, (2, 1, 4), False)],
)
def test_impossible_topologies_are_refused(vcpus, maximum, threads):
    with pytest.raises(VCPUTopologyInvalid) as caught:
        possible_cpu_topologies(vcpus, Topology(*maximum), threads)
    assert caught.value.vcpus == vcpus
    assert "none fits within sockets:cores:threads 2:1:" in str(caught.value)


def test_possible_topologies_of_many_vcpus_do_not_loop_over_cubes():
    got = possible_cpu_topologies(1024, Topology(N, N, 1))
    assert len(got) == 11  # 1024 = 2**10: s x c with s in 2**0..2**10
    assert got[0] == (1024, 1, 1) and got[-1] == (1, 1024, 1)


def test_threads_are_allowed_unless_refused():
    got = possible_cpu_topologies(4, Topology(1, 1, 4))
    assert got == [(1, 1, 4)]
    assert all(type(count) is int for count in got[0])  # no 4.0 threads
    best = get_best_cpu_topology(
        flavor(4, cpu_max_sockets="1", cpu_max_cores="1")
    )
    assert (best.sockets, best.cores, best.threads) == (1, 1, 4)


SORTED = [
    # (maximum, threads allowed, preferred, expected)
    (
        (8, 8, 2),
        True,
        (4, 2, 1),
        [
            (4, 2, 1),
            (8, 1, 1),
            (2, 4, 1),
            (1, 8, 1),
            (4, 1, 2),
            (2, 2, 2),
            (1, 4, 2),
        ],
    ),
    (
        (1024, 1024, 2),
        True,
        (0, 4, 0),
        [
            (2, 4, 1),
            (1, 4, 2),
            (8, 1, 1),
            (4, 2, 1),
            (1, 8, 1),
            (4, 1, 2),
            (2, 2, 2),
        ],
    ),
    ((1024, 1, 2), True, (0, 0, 2), [(4, 1, 2), (8, 1, 1)]),
    ((1024, 1, 2), False, (0, 0, 2), [(8, 1, 1)]),
]


@pytest.mark.parametrize("maximum, threads, preferred, expected", SORTED)
def test_sorting_puts_best_matches_first_and_keeps_order(
    maximum, threads, preferred, expected
):
    possible = possible_cpu_topologies(8, Topology(*maximum), threads)
    assert sort_cpu_topologies(possible, Topology(*preferred)) == expected


BEST = [
    # (case, threads allowed, flavor specs, image props, best)
    (
        "flavor preference",
        True,
        dict(cpu_sockets="8", cpu_cores="2", cpu_threads="1"),
        {},
        (8, 2, 1),
    ),
    (
        "image overrides flavor",
        True,
        dict(cpu_sockets="8", cpu_cores="2", cpu_threads="1"),
        dict(cpu_sockets=4, cpu_cores=2, cpu_threads=2),
        (4, 2, 2),
    ),
    (
        "image asks for threads a hypervisor without threads cannot give",
        False,
        dict(cpu_sockets="8", cpu_cores="2", cpu_threads="1"),
        dict(cpu_sockets=4, cpu_cores=2, cpu_threads=2),
        (8, 2, 1),
    ),
    (
        "partial image preference",
        True,
        dict(cpu_sockets="8", cpu_cores="2", cpu_threads="1"),
        dict(cpu_sockets=2),
        (2, 8, 1),
    ),
    (
        "threads limited to one",
        True,
        dict(cpu_max_threads="1"),
        {},
        (16, 1, 1),
    ),
    (
        "at most 8 cores and one thread",
        True,
        dict(cpu_max_cores="8", cpu_max_threads="1"),
        {},
        (16, 1, 1),
    ),
    (
        "image limits reduce the flavor's",
        True,
        dict(cpu_max_sockets="8", cpu_max_cores="8", cpu_max_threads="1"),
        dict(cpu_max_sockets=4),
        (4, 4, 1),
    ),
    (
        "image limits drop the flavor preference",
        True,
        dict(cpu_sockets="2", cpu_cores="8", cpu_threads="1"),
        dict(cpu_max_cores=4),
        (16, 1, 1),
    ),
    ("nothing asked: all sockets", True, {}, {}, (16, 1, 1)),
]


@pytest.mark.parametrize(
    "threads, specs, props, best",
    [c[1:] for c in BEST],
    ids=[c[0] for c in BEST],
)
def test_best_topology(threads, specs, props, best):
    got = get_best_cpu_topology(
        flavor(16, **specs), image(**props) if props else None, threads
    )
    assert (got.sockets, got.cores, got.threads) == best


def test_desirable_topologies_list_every_candidate_best_first():
    got = desirable_cpu_topologies(flavor(4, cpu_cores="2"))
    assert got == [
        (2, 2, 1),
        (1, 2, 2),
        (4, 1, 1),
        (1, 4, 1),
        (2, 1, 2),
        (1, 1, 4),
    ]
