"""PCI pools, requests and their NUMA affinity policies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zerodown.compute import objects as o
from zerodown.compute.hardware import PciPool, PciRequest, PciStats

VF = dict(vendor_id="8086", product_id="1520", dev_type="type-VF")
POOLS = [
    PciPool(numa_node=0, count=2, tags={"physical_network": "PhysNet1"}, **VF),
    PciPool(numa_node=1, count=1, **VF),
    PciPool(numa_node=None, count=1, **VF),
    PciPool("8086", "1521", 0, 1, "type-PF"),
    PciPool("15b3", "101e", 1, 1, "vdpa"),
]
SOCKETS = {0: 0, 1: 0, 2: 1}


def request(count, policy=None, **spec):
    spec = spec or {"vendor_id": "8086", "product_id": "1520"}
    return PciRequest(count, (spec,), policy)


CASES = [
    # (case, requests, guest's host cells, supported)
    ("required, enough on the cell", [request(2, "required")], [0], True),
    ("required, too few on the cell", [request(3, "required")], [0], False),
    ("required over two cells", [request(3, "required")], [0, 1], True),
    ("legacy adds devices with no NUMA node", [request(3)], [0], True),
    ("legacy goes no further", [request(4, "legacy")], [0], False),
    ("preferred takes any device", [request(4, "preferred")], [0], True),
    ("preferred cannot make devices", [request(5, "preferred")], [0], False),
    ("socket: the cell's socket", [request(3, "socket")], [0], True),
    ("socket: another socket has none", [request(1, "socket")], [2], False),
    ("no cells: affinity not considered", [request(4)], None, True),
    ("a PF only when asked for", [request(1, product_id="1521")], [0], False),
    (
        "a PF asked for",
        [request(1, product_id="1521", dev_type="type-PF")],
        [0],
        True,
    ),
    ("vDPA only when asked for", [request(1, vendor_id="15b3")], [1], False),
    (
        "vDPA asked for",
        [request(1, vendor_id="15b3", dev_type="vdpa")],
        [1],
        True,
    ),
    (
        "tags match without case",
        [request(2, "required", physical_network="physnet1")],
        [0],
        True,
    ),
    (
        "requests consume in order",
        [request(2, "required"), request(1, "required")],
        [0],
        False,
    ),
    (
        "a later request takes what is left",
        [request(2, "required"), request(1, "legacy")],
        [0],
        True,
    ),
]


@pytest.mark.parametrize(
    "requests, cells, supported",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_support(requests, cells, supported):
    stats = PciStats(POOLS, SOCKETS)
    assert stats.support_requests(requests, cells) is supported
    if supported:
        for one in requests:
            assert stats.could_support(one, cells or list(SOCKETS))


def test_socket_policy_needs_every_cell_to_know_its_socket():
    stats = PciStats(POOLS, {0: 0, 1: None})
    assert not stats.support_requests([request(3, "socket")], [0])
    assert stats.support_requests([request(2, "socket")], [0])


def test_apply_requests_leaves_the_rest():
    stats = PciStats(POOLS, SOCKETS)
    left = stats.apply_requests([request(3, "legacy")], [0])
    assert left is not None
    assert [(p.numa_node, p.product_id, p.count) for p in left.pools] == [
        (1, "1520", 1),
        (0, "1521", 1),
        (1, "101e", 1),
    ]
    assert stats.pools == tuple(POOLS)  # unchanged
    assert stats.apply_requests([request(9)], [0]) is None


def test_preferred_takes_local_devices_first():
    stats = PciStats(POOLS, SOCKETS)
    left = stats.apply_requests([request(1, "preferred")], [1])
    assert left is not None
    assert {
        p.numa_node: p.count for p in left.pools if p.dev_type == "type-VF"
    } == {
        0: 2,
        None: 1,
    }


def test_stats_from_devices_count_available_ones_by_kind_and_node():
    def device(i, node, status="available", product="1520"):
        return o.PciDevice(
            address=f"0000:81:00.{i}",
            vendor_id="8086",
            product_id=product,
            dev_type="type-VF",
            status=status,
            numa_node=node,
            parent_addr="0000:81:00.0",
        )

    devices = [
        device(1, 0),
        device(2, 0),
        device(3, 1),
        device(4, 1, "allocated"),
        device(5, 0, product="1521"),
    ]
    stats = PciStats.from_devices(devices, SOCKETS)
    assert [(p.product_id, p.numa_node, p.count) for p in stats.pools] == [
        ("1520", 0, 2),
        ("1520", 1, 1),
        ("1521", 0, 1),
    ]
    assert stats.devices_by_node() == {0: 3, 1: 1}


def test_pool_from_object_takes_its_type_from_the_tags():
    pool = PciPool.from_object(
        o.PciDevicePool(
            vendor_id="8086",
            product_id="1520",
            numa_node=1,
            count=4,
            tags={"dev_type": "type-PF", "physical_network": "net"},
        )
    )
    assert pool == PciPool(
        "8086", "1520", 1, 4, "type-PF", {"physical_network": "net"}
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 1, 2, None]),
            st.integers(0, 3),
            st.sampled_from(["type-VF", "type-PF"]),
        ),
        max_size=5,
    ),
    st.lists(
        st.tuples(
            st.integers(1, 3),
            st.sampled_from(
                [None, "required", "legacy", "preferred", "socket"]
            ),
        ),
        min_size=1,
        max_size=3,
    ),
    st.sets(st.integers(0, 2), min_size=1),
    st.sets(st.integers(0, 2)),
)
def test_the_search_bound_holds(pools, requests, cells, more):
    """``could_support`` never shrinks with more cells and never refuses
    what ``support_requests`` accepts: the search may prune by it."""
    stats = PciStats(
        [PciPool("8086", "1520", n, c, t) for n, c, t in pools], SOCKETS
    )
    asked = [request(count, policy) for count, policy in requests]
    bigger = cells | more
    for one in asked:
        if stats.could_support(one, cells):
            assert stats.could_support(one, bigger)
    if stats.support_requests(asked, cells):
        assert all(stats.could_support(one, cells) for one in asked)
