"""Reading extra specs: page sizes, CPU masks and integers."""

from __future__ import annotations

import pytest
from hardware_cells import flavor, image

from zerodown.compute.errors import InvalidExtraSpec
from zerodown.compute.hardware.specs import (
    MEMPAGES_ANY,
    MEMPAGES_LARGE,
    MEMPAGES_SMALL,
    Settings,
    parse_cpu_mask,
    parse_page_size,
)

SIZES = [
    ("small", MEMPAGES_SMALL),
    ("LARGE", MEMPAGES_LARGE),
    ("any", MEMPAGES_ANY),
    ("4", 4),
    ("2048", 2048),
    ("4KiB", 4),
    ("4k", 4),
    ("2M", 2048),
    ("2MB", 2048),
    ("2MiB", 2048),
    (" 2 MB ", 2048),
    ("1G", 1048576),
    ("1GB", 1048576),
    ("1GiB", 1048576),
    ("1T", 1073741824),
]


def test_page_keywords_are_stored_as_novas_numbers():
    # InstanceNUMACell.pagesize holds them until a host resolves them:
    # stored and sent over RPC, so they are Nova's values.
    assert (MEMPAGES_SMALL, MEMPAGES_LARGE, MEMPAGES_ANY) == (-1, -2, -3)


@pytest.mark.parametrize("text, kib", SIZES)
def test_page_sizes_in_kib(text, kib):
    assert parse_page_size("flavor extra spec", "hw:mem_page_size", text) == (
        kib
    )


@pytest.mark.parametrize(
    "text", ["0", "-1", "2Mb", "2Mbit", "1.5MB", "huge", "", "2 M B", "2P"]
)
def test_bad_page_sizes_are_refused(text):
    with pytest.raises(InvalidExtraSpec) as caught:
        parse_page_size("image property", "hw_mem_page_size", text)
    assert caught.value.key == "hw_mem_page_size"
    assert caught.value.source == "image property"
    assert caught.value.reason == (
        "expected small, large, any or a size such as 2MB"
    )


@pytest.mark.parametrize(
    "mask, cpus",
    [("0-2", {0, 1, 2}), ("^1", {0, 2, 3}), ("0-3,^1-2", {0, 3}), ("", set())],
)
def test_cpu_masks(mask, cpus):
    assert parse_cpu_mask("flavor extra spec", "k", mask, 4) == cpus


def test_settings_read_flavor_and_image_under_one_name():
    settings = Settings(
        flavor(cpu_sockets="2", numa_nodes=""), image(cpu_sockets=4)
    )
    assert settings.pair("cpu_sockets") == ("2", 4)
    assert settings.pair("numa_nodes") == (None, None)  # "" is unset
    assert settings.spec_int("cpu_sockets") == 2
    assert settings.prop_int("cpu_sockets") == 4
    assert settings.vcpus == 4 and settings.memory_mb == 2048


def test_settings_without_image_or_specs():
    bare = Settings(flavor(), None)
    assert bare.pair("cpu_policy") == (None, None)
    assert bare.spec_int("cpu_cores") is None


def test_integers_from_either_side_name_their_source_and_key():
    settings = Settings(
        flavor(cpu_cores=" +3 ", cpu_threads="0", numa_nodes="x"),
        image(cpu_cores="0"),
    )
    assert settings.spec_int("cpu_cores") == 3
    assert settings.spec_int("cpu_threads") == 0  # at least 0 by default
    assert settings.prop_int("cpu_cores") == 0
    with pytest.raises(InvalidExtraSpec) as caught:
        settings.spec_int("numa_nodes")
    assert (caught.value.source, caught.value.key) == (
        "flavor extra spec",
        "hw:numa_nodes",
    )
    assert caught.value.reason == "not an integer"
    with pytest.raises(InvalidExtraSpec) as caught:
        settings.prop_int("cpu_cores", minimum=1)
    assert (caught.value.source, caught.value.key) == (
        "image property",
        "hw_cpu_cores",
    )
    assert caught.value.reason == "must be at least 1"


def test_an_integer_at_its_minimum_is_accepted_one_below_is_not():
    settings = Settings(flavor(numa_nodes="1", cpu_sockets="-1"))
    assert settings.spec_int("numa_nodes", minimum=1) == 1
    with pytest.raises(InvalidExtraSpec, match="must be at least 0"):
        settings.spec_int("cpu_sockets")


def test_raw_spec_reads_any_key_and_keeps_an_empty_value():
    settings = Settings(flavor(numa_cpus_0="", cpu_policy="dedicated"))
    assert settings.raw_spec("hw:numa_cpus.0") == ""
    assert settings.raw_spec("hw:cpu_policy") == "dedicated"
    assert settings.raw_spec("hw:numa_cpus.1") is None


def test_a_mask_that_does_not_parse_names_the_spec():
    with pytest.raises(InvalidExtraSpec) as caught:
        parse_cpu_mask("flavor extra spec", "hw:cpu_realtime_mask", "0-x", 4)
    assert caught.value.key == "hw:cpu_realtime_mask"
    assert caught.value.value == "0-x"
