"""The scheduler's choice, and its reasons when there is none."""

from __future__ import annotations

import random

import pytest
from placement_samples import PINNED, flavor, instance, node

from zerodown.compute.errors import NoValidHost
from zerodown.compute.pci_alias import parse_aliases
from zerodown.compute.scheduler.filters import CHEAP_FILTERS
from zerodown.compute.scheduler.host_state import HostState
from zerodown.compute.scheduler.host_table import HostTable
from zerodown.compute.scheduler.request import RequestSpec
from zerodown.compute.scheduler.selector import (
    _filtered,
    _prefiltered,
    select_hosts,
)
from zerodown.compute.scheduler.weighers import weigh

ALIASES = parse_aliases([{"name": "nic", "vendor_id": "8086"}])


def _hosts(*names, up=True, **usage):
    return [
        HostState.from_compute_node(node(n, **usage), is_up=up) for n in names
    ]


def _spec(fl, **kwargs):
    return RequestSpec.from_instance(instance(fl), ALIASES, **kwargs)


def test_the_emptiest_host_wins_with_alternates():
    busy = HostState.from_compute_node(
        node("busy", memory_mb_used=8000), is_up=True
    )
    hosts = [busy, *_hosts("idle-1", "idle-2")]
    (choice,) = select_hosts(_spec(flavor()), hosts)
    assert choice.host == "idle-1"
    assert set(choice.alternates) == {"idle-2", "busy"}


def test_pinned_requests_fill_hosts_then_no_valid_host():
    hosts = _hosts("a", "b")
    spec = _spec(flavor(4, 1024, **PINNED))
    chosen = [select_hosts(spec, hosts)[0].host for _ in range(4)]
    assert sorted(chosen) == ["a", "a", "b", "b"]
    with pytest.raises(NoValidHost, match="NUMATopologyFilter") as caught:
        select_hosts(spec, hosts)
    assert "pinned" in str(caught.value) or "CPU" in str(caught.value)


@pytest.mark.parametrize(
    ("hosts", "spec", "reason"),
    [
        (
            _hosts("a", up=False),
            _spec(flavor()),
            "ComputeFilter.*service down",
        ),
        (_hosts("a"), _spec(flavor(2, 99999)), "RamFilter"),
        (
            _hosts("a", cpu_ratio=0.1),
            _spec(flavor(4, 512)),
            "CoreFilter",
        ),
        (
            _hosts("a"),
            _spec(flavor(1, 512, **{"pci_passthrough:alias": "nic:5"})),
            "PciPassthroughFilter",
        ),
        (
            _hosts("a"),
            _spec(flavor(1, 512, **{"hw:mem_page_size": "1GB"})),
            "1048576 KiB pages",
        ),
        ([], _spec(flavor()), "no compute host has reported"),
        (
            _hosts("a"),
            _spec(flavor(), ignore_hosts=("a",)),
            "tried already",
        ),
    ],
)
def test_no_valid_host_says_why(hosts, spec, reason):
    with pytest.raises(NoValidHost, match=reason):
        select_hosts(spec, hosts)


def test_weights_are_normalised_per_weigher():
    small = HostState.from_compute_node(
        node("small", memory_mb_used=15000), is_up=True
    )
    big = HostState.from_compute_node(node("big"), is_up=True)
    assert [h.host for h in weigh([small, big])] == ["big", "small"]


def test_pinning_on_hosts_without_dedicated_cpus_says_so():
    hosts = [HostState.from_compute_node(node("a", dedicated=""), is_up=True)]
    spec = _spec(flavor(2, 512, **{"hw:cpu_policy": "dedicated"}))
    with pytest.raises(NoValidHost, match="NUMATopologyFilter") as caught:
        select_hosts(spec, hosts)
    assert "a:" in str(caught.value)


def test_host_subset_size_spreads_the_choice_among_the_best():
    def fleet():
        busy = HostState.from_compute_node(
            node("busy", memory_mb_used=8000), is_up=True
        )
        return [*_hosts("a", "b", "c"), busy]

    spec = _spec(flavor())
    # One: always the first of equals (the others are alternates).
    assert {select_hosts(spec, fleet())[0].host for _ in range(10)} == {"a"}
    rng = random.Random(18)
    chosen = {
        select_hosts(spec, fleet(), subset_size=3, rng=rng)[0].host
        for _ in range(30)
    }
    # Three: any of the three best, never the busy host.
    assert chosen == {"a", "b", "c"}


def test_the_prefilter_keeps_what_the_filters_keep_one_by_one():
    rng = random.Random(5)
    hosts = [
        HostState.from_compute_node(
            node(
                f"h{i}",
                memory_mb_used=rng.randrange(0, 17000, 500),
                vcpus_used=rng.randrange(0, 300),
            ),
            is_up=rng.random() > 0.2,
        )
        for i in range(300)
    ]
    table = HostTable(hosts)
    for spec in (
        _spec(flavor(4, 4096)),
        _spec(flavor(8, 1024), ignore_hosts=("h1", "h2", "h3")),
        _spec(flavor(4, 2048, **PINNED)),
        _spec(flavor(1, 512, **{"pci_passthrough:alias": "nic:2"})),
    ):
        kept = _filtered(spec, hosts, CHEAP_FILTERS)
        assert [table[i] for i in _prefiltered(spec, table)] == kept
        assert 0 < len(kept) < len(hosts)


def test_the_table_follows_a_consumed_host():
    hosts = _hosts("a", "b")
    table = HostTable(hosts)
    spec = _spec(flavor(1, 9000))
    assert select_hosts(spec, table)[0].host == "a"
    # a consumed 9 GB: only b has room for as much again.
    assert table.free_ram[0] == hosts[0].free_ram_mb == 16384 - 9000
    assert [c.host for c in select_hosts(spec, table)] == ["b"]
    with pytest.raises(NoValidHost, match="RamFilter"):
        select_hosts(spec, table)
