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


def _supports(pools, *requests, cells=None, sockets=None):
    return PciStats(pools, sockets).support_requests(list(requests), cells)


def _left(pools, requests, cells, sockets=None):
    left = PciStats(pools, sockets).apply_requests(requests, cells)
    assert left is not None
    return [(p.numa_node, p.count) for p in left.pools]


BOUNDS = [
    # (policy, guest's host cells, most devices could_support allows)
    ("required", [0], 2),
    ("legacy", [0], 3),
    (None, [0], 3),
    ("socket", [0], 3),
    ("socket", [2], 0),
    ("preferred", [0], 4),
]


@pytest.mark.parametrize("policy, cells, most", BOUNDS)
def test_could_support_bounds_each_policy(policy, cells, most):
    stats = PciStats(POOLS, SOCKETS)
    if most:
        assert stats.could_support(request(most, policy), cells)
    assert not stats.could_support(request(most + 1, policy), cells)


@pytest.mark.parametrize("key", ["resource_class", "traits", "rp_uuids"])
def test_spec_keys_placement_matches_are_ignored(key):
    assert _supports(POOLS, request(1, vendor_id="8086", **{key: "CUSTOM"}))
    # ... but only skipped, the keys after them still count.
    spec = {key: "CUSTOM", "vendor_id": "dead"}
    assert not _supports(POOLS, PciRequest(1, (spec,)))


def test_a_request_matches_any_of_its_specs():
    specs = ({"vendor_id": "dead"}, {"product_id": "1520"})
    assert _supports(POOLS, PciRequest(4, specs))
    assert not _supports(POOLS, PciRequest(5, specs))


def test_list_valued_tags_match_when_they_hold_every_wanted_item():
    pool = PciPool("8086", "1520", 0, 1, tags={"caps": ["a", "b"]})
    assert pool.matches([{"caps": ["b", "a"]}, {"caps": ["c"]}])
    assert pool.matches([{"caps": ["a"]}])
    assert not pool.matches([{"caps": ["a", "c"]}])
    assert not pool.matches([{"caps": "a"}])


def test_a_pool_without_a_type_is_a_plain_pci_device():
    pool = PciPool("8086", "1520", 0, 1)
    assert pool.matches([{"dev_type": "type-PCI", "numa_node": 0}])
    assert _supports([pool], request(1, product_id="1520"), cells=[0])


def test_pools_and_requests_are_immutable_values():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        POOLS[0].count = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        request(1).count = 5


def test_only_a_type_asked_for_by_some_spec_gets_a_pf():
    specs = ({"product_id": "1521", "dev_type": "type-PF"}, {"vendor_id": "x"})
    assert _supports(POOLS, PciRequest(1, specs))
    # A PF is not counted for a request that does not ask for PFs.
    assert _supports(POOLS, request(4, vendor_id="8086"))
    assert not _supports(POOLS, request(5, vendor_id="8086"))


TRUE = ["1", "t", "true", "on", "y", "yes", "True", "YES"]


@pytest.mark.parametrize("value", TRUE)
def test_remote_managed_devices_only_for_requests_asking(value):
    pools = [PciPool("8086", "1520", 0, 1, tags={"remote_managed": value})]
    assert not _supports(pools, request(1))
    assert not _supports(pools, request(1, product_id="1520"), cells=[0])
    asking = {"product_id": "1520", "remote_managed": value}
    assert _supports(pools, PciRequest(1, (asking,)))
    assert PciStats(pools).could_support(PciRequest(1, (asking,)), [0])
    assert not PciStats(pools).could_support(request(1), [0])


def test_remote_managed_devices_for_a_request_one_of_whose_specs_asks():
    pools = [PciPool("8086", "1520", 0, 1, tags={"remote_managed": "yes"})]
    specs = ({"product_id": "1520", "remote_managed": "yes"}, {"x": "y"})
    assert _supports(pools, PciRequest(1, specs))


def test_a_device_not_remote_managed_goes_to_any_request():
    pools = [PciPool("8086", "1520", 0, 1, tags={"remote_managed": "false"})]
    assert _supports(pools, request(1))
    assert _supports([PciPool("8086", "1520", 0, 1)], request(1))


def _tagged(count, value=None):
    tags = {} if value is None else {"live_migratable": value}
    return PciPool("8086", "1520", 0, count, tags=tags)


# Tags compare without case when a spec is matched, but a request that
# asks for live_migratable gets only the pools tagged exactly as it asks.
LIVE = [
    _tagged(1, "true"),
    _tagged(2, "false"),
    _tagged(4),
    _tagged(8, "True"),
    _tagged(16, "False"),
]


@pytest.mark.parametrize(
    "asked, most",
    [
        (["true"], 1),
        (["false"], 2),
        ([None], 31),
        (["true", "false"], 27),  # asks for neither: any matching pool
    ],
)
def test_live_migratable_asks_for_devices_tagged_so(asked, most):
    def ask(count):
        specs = tuple(
            {"product_id": "1520"}
            | ({} if a is None else {"live_migratable": a})
            for a in asked
        )
        return PciRequest(count, specs)

    assert _supports(LIVE, ask(most))
    assert not _supports(LIVE, ask(most + 1))


def test_sockets_come_with_the_stats_or_later():
    plain = PciStats(POOLS)
    assert plain.sockets == {}
    assert not plain.support_requests([request(3, "socket")], [0])
    placed = plain.with_sockets(SOCKETS)
    assert placed.pools == plain.pools and placed.sockets == SOCKETS
    assert placed.support_requests([request(3, "socket")], [0])


def test_socket_policy_refuses_when_any_cell_has_no_socket():
    sockets = {0: 0, 1: 0, 2: None}
    assert not _supports(
        POOLS, request(3, "socket"), cells=[0], sockets=sockets
    )


def test_local_devices_are_taken_before_devices_without_a_node():
    pools = [
        PciPool(numa_node=None, count=1, **VF),
        PciPool(numa_node=0, count=2, **VF),
    ]
    assert _left(pools, [request(2)], [0]) == [(None, 1)]
    assert _left(pools, [request(3)], [0]) == []


def test_preferred_takes_the_near_devices_before_the_far_ones():
    pools = [
        PciPool(numa_node=1, count=2, **VF),
        PciPool(numa_node=None, count=1, **VF),
        PciPool(numa_node=0, count=1, **VF),
    ]
    assert _left(pools, [request(3, "preferred")], [0]) == [(1, 1)]


def test_devices_of_one_parent_pool_together_and_unknown_node_is_none():
    def device(i, parent, node=0):
        values = dict(
            address=f"0000:81:00.{i}",
            vendor_id="8086",
            product_id="1520",
            dev_type="type-VF",
            status="available",
        )
        if parent:
            values["parent_addr"] = parent
        if node is not None:
            values["numa_node"] = node
        return o.PciDevice(**values)

    devices = [
        device(1, "0000:81:00.0"),
        device(2, "0000:82:00.0"),
        device(3, "0000:81:00.0"),
        device(4, None),
        device(5, None, None),
    ]
    stats = PciStats.from_devices(devices)
    assert [(p.numa_node, p.count) for p in stats.pools] == [
        (0, 2),
        (0, 1),
        (0, 1),
        (None, 1),
    ]
    assert stats.devices_by_node() == {0: 4, None: 1}


def test_pool_from_object_drops_unset_tags_and_defaults_its_type():
    pool = PciPool.from_object(
        o.PciDevicePool(
            vendor_id="8086",
            product_id="1520",
            numa_node=None,
            count=2,
            tags={"physical_network": None, "trusted": "true"},
        )
    )
    assert pool == PciPool(
        "8086", "1520", None, 2, "type-PCI", {"trusted": "true"}
    )
