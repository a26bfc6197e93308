"""A hypervisor in memory, with a configurable NUMA host.

Options (``[compute.driver_options]``)::

    host = { cells = 2, cores_per_cell = 4, threads_per_core = 2,
             memory_mb_per_cell = 8192, pages_per_cell = { "2048" = 1024 } }
    cpu_dedicated_set = "2-3,6-7,10-11,14-15"
    cpu_shared_set = ""                      # default: the other CPUs
    local_gb = 100
    pci_devices = [ { address = "0000:81:00.0", vendor_id = "8086",
                      product_id = "154d", numa_node = 0 } ]
    spawn_delay = 0.0                        # seconds, for fault tests

Guests live in the process: a restarted compute starts without them, and
its start-up brings back those that should run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from zerodown.compute.errors import DomainNotFound, InstanceNotRunning
from zerodown.compute.objects import Instance, NUMATopology
from zerodown.compute.virt import power_state
from zerodown.compute.virt.driver import (
    HostResources,
    LifecycleEvent,
    Transition,
    VirtDriver,
)
from zerodown.compute.virt.fit_check import check_host_fit
from zerodown.compute.virt.host_topology import (
    HostCell,
    generated_cells,
    numa_topology,
)
from zerodown.exceptions import ConfigError

__all__ = ["FakeDriver", "default_pci_devices", "host_cells"]

_KEYS = {
    "host",
    "cpu_dedicated_set",
    "cpu_shared_set",
    "local_gb",
    "pci_devices",
    "spawn_delay",
}


def host_cells(spec: Mapping[str, Any]) -> list[HostCell]:
    """Cells from the ``host`` option (defaults: 2 x 4 cores x 2 threads,
    8 GiB and 1024 pages of 2 MiB per cell)."""
    try:
        pages = {
            int(size): int(count)
            for size, count in spec.get("pages_per_cell", {2048: 1024}).items()
        }
        return generated_cells(
            int(spec.get("cells", 2)),
            int(spec.get("cores_per_cell", 4)),
            int(spec.get("threads_per_core", 2)),
            int(spec.get("memory_mb_per_cell", 8192)),
            pages,
        )
    except (TypeError, ValueError, AttributeError) as err:
        raise ConfigError(problem=f"fake driver host option: {err}") from err


def default_pci_devices(cells: int) -> list[dict[str, Any]]:
    """One Intel NIC per cell."""
    return [
        {
            "address": f"0000:{0x81 + cell:02x}:00.0",
            "vendor_id": "8086",
            "product_id": "154d",
            "dev_type": "type-PCI",
            "numa_node": cell,
        }
        for cell in range(cells)
    ]


class FakeDriver(VirtDriver):
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        unknown = set(options) - _KEYS
        if unknown:
            raise ConfigError(
                problem=f"fake driver: unknown option(s) {sorted(unknown)}"
            )
        self.cells = host_cells(options.get("host", {}))
        self.topology = numa_topology(
            self.cells,
            options.get("cpu_dedicated_set"),
            options.get("cpu_shared_set"),
        )
        self.local_gb = int(options.get("local_gb", 100))
        self.pci_devices = tuple(
            dict(d)
            for d in options.get(
                "pci_devices", default_pci_devices(len(self.cells))
            )
        )
        self.spawn_delay = float(options.get("spawn_delay", 0.0))
        self.host = "fake"
        self._guests: dict[str, int] = {}
        #: Guests destroyed after a clean shutdown, oldest first.
        self.clean_shutdowns: list[str] = []
        self._lock = threading.Lock()

    def init_host(self, host: str) -> None:
        self.host = host

    def cleanup_host(self) -> None:
        self._listeners.clear()

    def get_host_numa_topology(self) -> NUMATopology:
        return self.topology.obj_clone()

    def get_available_resource(self) -> HostResources:
        return HostResources(
            hypervisor_type="fake",
            hypervisor_hostname=self.host,
            vcpus=sum(len(c.cpus) for c in self.cells),
            memory_mb=sum(c.memory_mb for c in self.cells),
            local_gb=self.local_gb,
            cpu_info=json.dumps({"cells": len(self.cells)}),
            pci_devices=self.pci_devices,
        )

    def spawn(self, instance: Instance) -> None:
        check_host_fit(self.host, self.topology, instance)
        if self.spawn_delay:
            time.sleep(self.spawn_delay)
        with self._lock:
            self._guests[instance.uuid] = power_state.RUNNING
        self.emit(LifecycleEvent(instance.uuid, Transition.STARTED))

    def destroy(
        self, instance: Instance, shutdown_timeout: float = 0.0
    ) -> None:
        with self._lock:
            gone = self._guests.pop(instance.uuid, None)
            if gone is not None and shutdown_timeout > 0:
                # A fake guest always shuts down when asked.
                self.clean_shutdowns.append(instance.uuid)
        if gone is not None:
            self.emit(LifecycleEvent(instance.uuid, Transition.STOPPED))

    def pause(self, instance: Instance) -> None:
        self._move(instance, power_state.RUNNING, power_state.PAUSED)
        self.emit(LifecycleEvent(instance.uuid, Transition.PAUSED))

    def unpause(self, instance: Instance) -> None:
        self._move(instance, power_state.PAUSED, power_state.RUNNING)
        self.emit(LifecycleEvent(instance.uuid, Transition.RESUMED))

    def reboot(self, instance: Instance, hard: bool) -> None:
        if hard:
            with self._lock:
                self._state(instance)
                self._guests[instance.uuid] = power_state.RUNNING
            return
        self._move(instance, power_state.RUNNING, power_state.RUNNING)

    def get_power_state(self, instance: Instance) -> int:
        with self._lock:
            return self._guests.get(instance.uuid, power_state.NOSTATE)

    def list_instance_uuids(self) -> list[str]:
        with self._lock:
            return list(self._guests)

    def _state(self, instance: Instance) -> int:
        if instance.uuid not in self._guests:
            raise DomainNotFound(uuid=instance.uuid, host=self.host)
        return self._guests[instance.uuid]

    def _move(self, instance: Instance, start: int, end: int) -> None:
        with self._lock:
            if self._state(instance) != start:
                raise InstanceNotRunning(uuid=instance.uuid, host=self.host)
            self._guests[instance.uuid] = end
