"""Hypervisor drivers: ``fake`` (in memory) and ``libvirt``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zerodown.compute.virt.driver import VirtDriver
from zerodown.exceptions import ConfigError

__all__ = ["DRIVERS", "load_driver"]

DRIVERS = ("fake", "libvirt")


def load_driver(name: str, options: Mapping[str, Any]) -> VirtDriver:
    """:raises ConfigError: for an unknown driver or bad options."""
    if name == "fake":
        from zerodown.compute.virt.fake import FakeDriver

        return FakeDriver(options)
    if name == "libvirt":
        from zerodown.compute.virt.libvirt.driver import LibvirtDriver

        return LibvirtDriver(options)
    raise ConfigError(
        problem=f"unknown compute driver {name!r}; one of {', '.join(DRIVERS)}"
    )
