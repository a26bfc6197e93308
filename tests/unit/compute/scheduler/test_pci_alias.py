"""PCI aliases and the requests a flavor makes with them."""

from __future__ import annotations

import pytest
from placement_samples import flavor

from zerodown.compute.errors import InvalidExtraSpec
from zerodown.compute.pci_alias import parse_aliases, pci_requests_from_flavor
from zerodown.exceptions import ConfigError

ALIASES = parse_aliases(
    [
        {"name": "nic", "vendor_id": "8086", "product_id": "154D"},
        {"name": "gpu", "vendor_id": "10de", "numa_policy": "preferred"},
    ]
)


def test_requests_carry_spec_count_and_policy():
    fl = flavor(
        **{
            "pci_passthrough:alias": "nic:1, gpu:2",
            "hw:pci_numa_affinity_policy": "required",
        }
    )
    nic, gpu = pci_requests_from_flavor(fl, ALIASES)
    assert (nic.count, nic.spec, nic.numa_policy) == (
        1,
        ({"vendor_id": "8086", "product_id": "154d"},),
        "required",
    )
    assert gpu.count == 2 and gpu.alias_name == "gpu"


def test_the_alias_policy_applies_when_the_flavor_has_none():
    fl = flavor(**{"pci_passthrough:alias": "gpu:1"})
    (gpu,) = pci_requests_from_flavor(fl, ALIASES)
    assert gpu.numa_policy == "preferred"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nic", "not 'alias:count'"),
        ("nic:x", "not 'alias:count'"),
        ("nic:0", "at least 1"),
        ("fpga:1", "not defined"),
    ],
)
def test_bad_alias_specs(value, message):
    fl = flavor(**{"pci_passthrough:alias": value})
    with pytest.raises(InvalidExtraSpec, match=message):
        pci_requests_from_flavor(fl, ALIASES)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"name": "x"}], "required"),
        ([{"name": "x", "vendor_id": "1", "colour": "red"}], "unknown key"),
        (
            [{"name": "x", "vendor_id": "1", "device_type": "gpu"}],
            "device_type",
        ),
        (
            [{"name": "x", "vendor_id": "1", "numa_policy": "near"}],
            "numa_policy",
        ),
        ([{"name": "x", "vendor_id": "1"}] * 2, "twice"),
    ],
)
def test_bad_aliases_are_config_errors(entries, message):
    with pytest.raises(ConfigError, match=message):
        parse_aliases(entries)
