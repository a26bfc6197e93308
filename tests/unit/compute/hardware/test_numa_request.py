"""The guest NUMA topology a flavor and image ask for.

Cases follow Nova's ``test_topology_constraints``: automatic and manual
layouts, page sizes, CPU policies and the combinations refused.
"""

from __future__ import annotations

import pytest
from hardware_cells import flavor, image

from zerodown.compute.errors import (
    CPUPolicyConflict,
    GuestNUMATopologyInvalid,
    ImagePropertyConflict,
    InvalidExtraSpec,
)
from zerodown.compute.hardware import (
    MEMPAGES_ANY,
    MEMPAGES_LARGE,
    MEMPAGES_SMALL,
    get_mem_page_size_constraint,
    numa_get_constraints,
)


def cells(topology):
    return [
        (
            sorted(c.cpuset),
            sorted(c.pcpuset),
            c.memory,
            c.pagesize,
            c.cpu_policy,
            c.cpu_thread_policy,
        )
        for c in topology.cells
    ]


BUILT = [
    # (case, vcpus, memory, flavor specs, image props, cells, emulator)
    ("nothing asked: no topology", 4, 2048, {}, {}, None, None),
    (
        "emulator share alone asks for nothing",
        4,
        2048,
        dict(emulator_threads_policy="share"),
        {},
        None,
        None,
    ),
    (
        "two nodes split evenly",
        8,
        2048,
        dict(numa_nodes="2"),
        {},
        [
            ([0, 1, 2, 3], [], 1024, None, None, None),
            ([4, 5, 6, 7], [], 1024, None, None, None),
        ],
        None,
    ),
    (
        "nodes from the image",
        4,
        2048,
        {},
        dict(numa_nodes=2),
        [
            ([0, 1], [], 1024, None, None, None),
            ([2, 3], [], 1024, None, None, None),
        ],
        None,
    ),
    (
        "one node from the image",
        2,
        1024,
        {},
        dict(numa_nodes=1),
        [([0, 1], [], 1024, None, None, None)],
        None,
    ),
    (
        "manual layout from the flavor",
        8,
        2048,
        dict(
            numa_nodes="2",
            numa_cpus_0="0-2",
            numa_cpus_1="3-7",
            numa_mem_0="512",
            numa_mem_1="1536",
        ),
        {},
        [
            ([0, 1, 2], [], 512, None, None, None),
            ([3, 4, 5, 6, 7], [], 1536, None, None, None),
        ],
        None,
    ),
    (
        "manual layout from the image",
        4,
        2048,
        {},
        dict(numa_nodes=2, numa_cpus=[{0, 3}, {1, 2}], numa_mem=[768, 1280]),
        [
            ([0, 3], [], 768, None, None, None),
            ([1, 2], [], 1280, None, None, None),
        ],
        None,
    ),
    (
        "pinning alone makes one node",
        4,
        2048,
        dict(cpu_policy="dedicated"),
        {},
        [([], [0, 1, 2, 3], 2048, None, "dedicated", None)],
        None,
    ),
    (
        "a page size alone makes one node",
        2,
        1024,
        dict(mem_page_size="large"),
        {},
        [([0, 1], [], 1024, MEMPAGES_LARGE, None, None)],
        None,
    ),
    (
        "dedicated, isolated threads and emulator on two nodes",
        4,
        4096,
        dict(
            cpu_policy="dedicated",
            cpu_thread_policy="isolate",
            emulator_threads_policy="isolate",
            numa_nodes="2",
            mem_page_size="2MB",
        ),
        {},
        [
            ([], [0, 1], 2048, 2048, "dedicated", "isolate"),
            ([], [2, 3], 2048, 2048, "dedicated", "isolate"),
        ],
        "isolate",
    ),
    (
        "mixed: the dedicated mask pins, the rest floats",
        4,
        2048,
        dict(cpu_policy="mixed", cpu_dedicated_mask="^0"),
        {},
        [([0], [1, 2, 3], 2048, None, "mixed", None)],
        None,
    ),
    (
        "mixed over two nodes",
        4,
        2048,
        dict(cpu_policy="mixed", cpu_dedicated_mask="1-3", numa_nodes="2"),
        {},
        [
            ([0], [1], 1024, None, "mixed", None),
            ([], [2, 3], 1024, None, "mixed", None),
        ],
        None,
    ),
    (
        "mixed by a realtime mask",
        4,
        2048,
        dict(cpu_policy="mixed", cpu_realtime="yes", cpu_realtime_mask="^0"),
        {},
        [([0], [1, 2, 3], 2048, None, "mixed", None)],
        None,
    ),
    (
        "image policy and thread policy under an open flavor",
        2,
        1024,
        {},
        dict(cpu_policy="dedicated", cpu_thread_policy="require"),
        [([], [0, 1], 1024, None, "dedicated", "require")],
        None,
    ),
]


@pytest.mark.parametrize(
    "vcpus, memory, specs, props, expected, emulator",
    [c[1:] for c in BUILT],
    ids=[c[0] for c in BUILT],
)
def test_topology_built(vcpus, memory, specs, props, expected, emulator):
    got = numa_get_constraints(
        flavor(vcpus, memory, **specs), image(**props) if props else None
    )
    if expected is None:
        assert got is None
        return
    assert cells(got) == expected
    assert got.emulator_threads_policy == emulator
    assert [c.id for c in got.cells] == list(range(len(expected)))


REFUSED = [
    # (case, vcpus, specs, props, error, message)
    (
        "nodes in flavor and image",
        4,
        dict(numa_nodes="2"),
        dict(numa_nodes=2),
        ImagePropertyConflict,
        "hw_numa_nodes=2 is not allowed with this flavor: the flavor sets "
        "hw:numa_nodes",
    ),
    (
        "zero nodes",
        4,
        dict(numa_nodes="0"),
        {},
        InvalidExtraSpec,
        "hw:numa_nodes='0' is invalid: must be at least 1",
    ),
    (
        "nodes not a number",
        4,
        dict(numa_nodes="two"),
        {},
        InvalidExtraSpec,
        "not an integer",
    ),
    (
        "uneven split",
        4,
        dict(numa_nodes="3"),
        {},
        GuestNUMATopologyInvalid,
        "guest NUMA topology of 3 node(s) is invalid: 4 vCPUs and 2048 MiB "
        "do not split evenly",
    ),
    (
        "vCPUs split evenly, memory not",
        3,
        dict(numa_nodes="3"),
        {},
        GuestNUMATopologyInvalid,
        "3 vCPUs and 2048 MiB do not split evenly",
    ),
    (
        "CPUs without memory",
        4,
        dict(numa_nodes="2", numa_cpus_0="0-1", numa_cpus_1="2-3"),
        {},
        GuestNUMATopologyInvalid,
        "2 node(s) is invalid: give both numa_cpus.N and numa_mem.N",
    ),
    (
        "a node without a layout",
        4,
        dict(numa_nodes="2", numa_cpus_0="0-3", numa_mem_0="2048"),
        {},
        GuestNUMATopologyInvalid,
        "must cover every node (got 1 and 1)",
    ),
    (
        "a CPU beyond the flavor",
        4,
        dict(
            numa_nodes="2",
            numa_cpus_0="0-1",
            numa_cpus_1="2-4",
            numa_mem_0="1024",
            numa_mem_1="1024",
        ),
        {},
        GuestNUMATopologyInvalid,
        "vCPU 4 is beyond the flavor's 4",
    ),
    (
        "a CPU in two nodes",
        4,
        dict(
            numa_nodes="2",
            numa_cpus_0="0-2",
            numa_cpus_1="2-3",
            numa_mem_0="1024",
            numa_mem_1="1024",
        ),
        {},
        GuestNUMATopologyInvalid,
        "vCPU 2 is in two nodes",
    ),
    (
        "a CPU in no node",
        4,
        dict(
            numa_nodes="2",
            numa_cpus_0="0",
            numa_cpus_1="2-3",
            numa_mem_0="1024",
            numa_mem_1="1024",
        ),
        {},
        GuestNUMATopologyInvalid,
        "vCPUs [1] are in no node",
    ),
    (
        "memory that does not add up",
        4,
        dict(
            numa_nodes="2",
            numa_cpus_0="0-1",
            numa_cpus_1="2-3",
            numa_mem_0="1024",
            numa_mem_1="512",
        ),
        {},
        GuestNUMATopologyInvalid,
        "numa_mem.N add up to 1536 MiB, the flavor has 2048 MiB",
    ),
    (
        "layouts in flavor and image",
        4,
        dict(numa_nodes="1", numa_cpus_0="0-3", numa_mem_0="2048"),
        dict(numa_cpus=[{0, 1, 2, 3}]),
        ImagePropertyConflict,
        "image property hw_numa_cpus=[{0, 1, 2, 3}] is not allowed with "
        "this flavor: the flavor sets hw:numa_cpus.N",
    ),
    (
        "memory layouts in flavor and image",
        4,
        dict(numa_nodes="1", numa_cpus_0="0-3", numa_mem_0="2048"),
        dict(numa_mem=[2048]),
        ImagePropertyConflict,
        "image property hw_numa_mem=[2048] is not allowed with this "
        "flavor: the flavor sets hw:numa_mem.N",
    ),
    (
        "memory not a number",
        4,
        dict(numa_nodes="1", numa_cpus_0="0-3", numa_mem_0="lots"),
        {},
        InvalidExtraSpec,
        "flavor extra spec hw:numa_mem.0='lots' is invalid: not an integer "
        "(MiB)",
    ),
    (
        "more CPU lists than nodes",
        4,
        dict(
            numa_nodes="1",
            numa_cpus_0="0-1",
            numa_cpus_1="2-3",
            numa_mem_0="2048",
        ),
        {},
        GuestNUMATopologyInvalid,
        "must cover every node (got 2 and 1)",
    ),
    (
        "node lists stop at the first gap",
        4,
        dict(
            numa_nodes="2",
            numa_cpus_0="0-1",
            numa_cpus_2="2-3",
            numa_mem_0="1024",
            numa_mem_1="1024",
        ),
        {},
        GuestNUMATopologyInvalid,
        "must cover every node (got 1 and 2)",
    ),
    (
        "zero nodes from the image",
        4,
        {},
        dict(numa_nodes=0),
        InvalidExtraSpec,
        "image property hw_numa_nodes=0 is invalid: must be at least 1",
    ),
    (
        "thread policy without pinning",
        4,
        dict(cpu_thread_policy="isolate"),
        {},
        CPUPolicyConflict,
        "hw:cpu_thread_policy needs the dedicated or mixed CPU policy "
        "(CPU policy: None)",
    ),
    (
        "isolated emulator threads without pinning",
        4,
        dict(cpu_policy="shared", emulator_threads_policy="isolate"),
        {},
        CPUPolicyConflict,
        "hw:emulator_threads_policy=isolate needs the dedicated or mixed CPU "
        "policy (CPU policy: shared)",
    ),
    (
        "realtime without pinning",
        4,
        dict(cpu_realtime="yes", cpu_realtime_mask="^0"),
        {},
        CPUPolicyConflict,
        "hw:cpu_realtime needs the dedicated or mixed CPU policy",
    ),
    (
        "dedicated mask without the mixed policy",
        4,
        dict(cpu_policy="dedicated", cpu_dedicated_mask="^0"),
        {},
        CPUPolicyConflict,
        "hw:cpu_dedicated_mask needs the mixed CPU policy (CPU policy: "
        "dedicated)",
    ),
    (
        "mixed without a mask",
        4,
        dict(cpu_policy="mixed"),
        {},
        CPUPolicyConflict,
        "hw:cpu_dedicated_mask or hw:cpu_realtime_mask (one, not both) must "
        "say which CPUs a mixed instance pins (CPU policy: mixed)",
    ),
    (
        "mixed with both masks",
        4,
        dict(
            cpu_policy="mixed",
            cpu_dedicated_mask="^0",
            cpu_realtime="yes",
            cpu_realtime_mask="^1",
        ),
        {},
        CPUPolicyConflict,
        "one, not both",
    ),
    (
        "image asks for pinning a shared flavor refuses",
        4,
        dict(cpu_policy="shared"),
        dict(cpu_policy="dedicated"),
        ImagePropertyConflict,
        "the flavor's hw:cpu_policy is shared",
    ),
]


@pytest.mark.parametrize(
    "vcpus, specs, props, error, message",
    [c[1:] for c in REFUSED],
    ids=[c[0] for c in REFUSED],
)
def test_topology_refused(vcpus, specs, props, error, message):
    with pytest.raises(error) as caught:
        numa_get_constraints(
            flavor(vcpus, 2048, **specs), image(**props) if props else None
        )
    assert message in str(caught.value)


PAGE_SIZE = [
    # (flavor hw:mem_page_size, image hw_mem_page_size, result or error)
    (None, None, None),
    ("small", None, MEMPAGES_SMALL),
    ("large", None, MEMPAGES_LARGE),
    ("any", None, MEMPAGES_ANY),
    ("2048", None, 2048),
    ("2MB", None, 2048),
    ("1GiB", None, 1048576),
    ("any", "1GB", 1048576),
    ("large", "2MB", 2048),
    ("any", "small", MEMPAGES_SMALL),
    ("small", "2MB", ImagePropertyConflict),
    ("2MB", "1GB", ImagePropertyConflict),
    (None, "2MB", ImagePropertyConflict),
    ("2Mb", None, InvalidExtraSpec),
    ("huge", None, InvalidExtraSpec),
    ("any", "lots", InvalidExtraSpec),
]


@pytest.mark.parametrize("wanted, offered, expected", PAGE_SIZE)
def test_page_size(wanted, offered, expected):
    specs = {"mem_page_size": wanted} if wanted else {}
    props = image(mem_page_size=offered) if offered else None
    if isinstance(expected, type):
        with pytest.raises(expected):
            get_mem_page_size_constraint(flavor(**specs), props)
    else:
        assert get_mem_page_size_constraint(flavor(**specs), props) == (
            expected
        )


def test_an_image_size_the_flavor_forbids_says_why():
    with pytest.raises(ImagePropertyConflict) as caught:
        get_mem_page_size_constraint(flavor(), image(mem_page_size="2MB"))
    assert str(caught.value) == (
        "image property hw_mem_page_size='2MB' is not allowed with this "
        "flavor: the flavor's hw:mem_page_size is unset"
    )


@pytest.mark.parametrize(
    "wanted, offered, source, key",
    [
        ("huge", None, "flavor extra spec", "hw:mem_page_size"),
        ("any", "lots", "image property", "hw_mem_page_size"),
    ],
)
def test_a_bad_page_size_names_where_it_came_from(
    wanted, offered, source, key
):
    props = image(mem_page_size=offered) if offered else None
    with pytest.raises(InvalidExtraSpec) as caught:
        get_mem_page_size_constraint(flavor(mem_page_size=wanted), props)
    assert (caught.value.source, caught.value.key) == (source, key)


def test_realtime_cpus_of_each_cell():
    got = numa_get_constraints(
        flavor(
            4,
            2048,
            cpu_policy="dedicated",
            cpu_realtime="yes",
            cpu_realtime_mask="^0",
            numa_nodes="2",
        )
    )
    assert [c.cpuset_realtime for c in got.cells] == [{1}, {2, 3}]
    plain = numa_get_constraints(flavor(4, 2048, cpu_policy="dedicated"))
    assert not plain.cells[0].obj_attr_is_set("cpuset_realtime")


def test_at_most_128_numa_node_entries_are_read():
    nodes = 129
    specs = {"numa_nodes": str(nodes)}
    for node in range(nodes):
        specs[f"numa_cpus_{node}"] = str(node)
        specs[f"numa_mem_{node}"] = "1"
    with pytest.raises(GuestNUMATopologyInvalid) as caught:
        numa_get_constraints(flavor(nodes, nodes, **specs))
    assert "(got 128 and 128)" in str(caught.value)
