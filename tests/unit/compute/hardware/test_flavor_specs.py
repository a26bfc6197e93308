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
    assert "expected small, large, any or a size such as 2MB" in str(
        caught.value
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
