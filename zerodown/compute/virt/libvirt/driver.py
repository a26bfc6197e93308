"""The libvirt driver, on libvirt-python.

Options (``[compute.driver_options]``)::

    uri = "test:///default"          # qemu:///system in production
    domain_type = "test"             # "kvm" in production
    host_capabilities = "/path.xml"  # the host as capabilities XML
                                     # (default: ask libvirt)
    cpu_dedicated_set = "2-3,6-7"
    cpu_shared_set = ""
    local_gb = 100
    pci_devices = [ { address = "0000:81:00.0", vendor_id = "8086",
                      product_id = "154d", numa_node = 0 } ]

Domains are defined with ``VIR_DOMAIN_DEFINE_VALIDATE`` so libvirt checks
them against its schema; what the schema cannot know (that the pinned
CPUs, cells and page sizes exist on this host) the driver checks first.
Lifecycle events come from libvirt's default event loop, run on a
daemon thread.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import libvirt

from zerodown.compute.errors import (
    DomainNotFound,
    InstanceNotRunning,
    VirtError,
)
from zerodown.compute.objects import Instance, NUMATopology
from zerodown.compute.virt import power_state
from zerodown.compute.virt.driver import (
    HostResources,
    LifecycleEvent,
    Transition,
    VirtDriver,
)
from zerodown.compute.virt.fit_check import check_host_fit
from zerodown.compute.virt.host_topology import HostCell, numa_topology
from zerodown.compute.virt.libvirt import capabilities
from zerodown.compute.virt.libvirt.config import domain_xml
from zerodown.exceptions import ConfigError

__all__ = ["LibvirtDriver"]

LOG = logging.getLogger(__name__)
T = TypeVar("T")

_KEYS = {
    "uri",
    "domain_type",
    "host_capabilities",
    "cpu_dedicated_set",
    "cpu_shared_set",
    "local_gb",
    "pci_devices",
}
_POWER = {
    libvirt.VIR_DOMAIN_NOSTATE: power_state.NOSTATE,
    libvirt.VIR_DOMAIN_RUNNING: power_state.RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: power_state.RUNNING,
    libvirt.VIR_DOMAIN_PAUSED: power_state.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: power_state.SHUTDOWN,
    libvirt.VIR_DOMAIN_SHUTOFF: power_state.SHUTDOWN,
    libvirt.VIR_DOMAIN_CRASHED: power_state.CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: power_state.SUSPENDED,
}
_EVENTS = {
    libvirt.VIR_DOMAIN_EVENT_STARTED: Transition.STARTED,
    libvirt.VIR_DOMAIN_EVENT_STOPPED: Transition.STOPPED,
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: Transition.PAUSED,
    libvirt.VIR_DOMAIN_EVENT_RESUMED: Transition.RESUMED,
}

_loop_lock = threading.Lock()
_loop_started = False


def _start_event_loop() -> None:
    """libvirt's default event loop, once per process, before any open."""
    global _loop_started
    with _loop_lock:
        if _loop_started:
            return
        # libvirt prints every error to stderr even when it is handled.
        libvirt.registerErrorHandler(lambda ctx, err: None, None)
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(
            target=run, name="libvirt-events", daemon=True
        ).start()
        _loop_started = True


class LibvirtDriver(VirtDriver):
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        unknown = set(options) - _KEYS
        if unknown:
            raise ConfigError(
                problem=f"libvirt driver: unknown option(s) {sorted(unknown)}"
            )
        self.options = dict(options)
        self.uri = str(options.get("uri", "test:///default"))
        self.domain_type = str(options.get("domain_type", "test"))
        self.local_gb = int(options.get("local_gb", 100))
        self.pci_devices = tuple(
            dict(d) for d in options.get("pci_devices", ())
        )
        self.host = "libvirt"
        self._conn: Any = None
        self._callback: int | None = None
        self._cells: list[HostCell] | None = None
        self._topology: NUMATopology | None = None

    # -- the host -------------------------------------------------------------

    @property
    def conn(self) -> Any:
        if self._conn is None:
            raise VirtError(host=self.host, problem="init_host was not called")
        return self._conn

    def init_host(self, host: str) -> None:
        self.host = host
        os.environ.setdefault("LIBVIRT_DEBUG", "4")
        _start_event_loop()
        try:
            self._conn = libvirt.open(self.uri)
        except libvirt.libvirtError as err:
            raise VirtError(
                host=host, problem=f"cannot open {self.uri}: {err}"
            ) from err
        self._callback = self._conn.domainEventRegisterAny(
            None,
            libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            self._on_lifecycle,
            None,
        )

    def cleanup_host(self) -> None:
        if self._conn is None:
            return
        if self._callback is not None:
            try:
                self._conn.domainEventDeregisterAny(self._callback)
            except libvirt.libvirtError:
                LOG.debug("event callback already gone")
        self._conn.close()
        self._conn = None

    def _host_cells(self) -> list[HostCell]:
        if self._cells is None:
            path = self.options.get("host_capabilities")
            if path:
                try:
                    text = Path(path).read_text()
                except OSError as err:
                    raise ConfigError(
                        problem=f"host_capabilities {path}: {err.strerror}"
                    ) from err
            else:
                text = self._call(self.conn.getCapabilities)
            self._cells = capabilities.parse(text)
        return self._cells

    def get_host_numa_topology(self) -> NUMATopology:
        if self._topology is None:
            self._topology = numa_topology(
                self._host_cells(),
                self.options.get("cpu_dedicated_set"),
                self.options.get("cpu_shared_set"),
            )
        return self._topology.obj_clone()

    def get_available_resource(self) -> HostResources:
        cells = self._host_cells()
        return HostResources(
            hypervisor_type=str(self._call(self.conn.getType)),
            hypervisor_hostname=self.host,
            vcpus=sum(len(c.cpus) for c in cells),
            memory_mb=sum(c.memory_mb for c in cells),
            local_gb=self.local_gb,
            cpu_info=json.dumps(
                {"cells": len(cells), "uri": self.uri}, sort_keys=True
            ),
            pci_devices=self.pci_devices,
        )

    # -- guests ---------------------------------------------------------------

    def spawn(self, instance: Instance) -> None:
        host = self.get_host_numa_topology()
        check_host_fit(self.host, host, instance)
        xml = domain_xml(instance, host, domain_type=self.domain_type)
        domain = self._call(
            self.conn.defineXMLFlags, xml, libvirt.VIR_DOMAIN_DEFINE_VALIDATE
        )
        try:
            self._call(domain.create)
        except VirtError:
            self._call(domain.undefine)
            raise

    def destroy(
        self, instance: Instance, shutdown_timeout: float = 0.0
    ) -> None:
        try:
            domain = self._domain(instance)
        except DomainNotFound:
            return
        try:
            if shutdown_timeout > 0 and domain.isActive():
                self._shutdown(domain, shutdown_timeout)
            if domain.isActive():
                self._call(domain.destroy)
            self._call(domain.undefine)
        except DomainNotFound:
            return

    def _shutdown(self, domain: Any, timeout: float) -> None:
        """Ask the guest to shut down (ACPI) and wait up to ``timeout``
        seconds for it; the caller destroys what is still running."""
        self._call(domain.shutdown)
        deadline = time.monotonic() + timeout
        while domain.isActive() and time.monotonic() < deadline:
            time.sleep(0.2)

    def pause(self, instance: Instance) -> None:
        domain = self._in_state(instance, power_state.RUNNING)
        self._call(domain.suspend, uuid=instance.uuid)

    def unpause(self, instance: Instance) -> None:
        domain = self._in_state(instance, power_state.PAUSED)
        self._call(domain.resume, uuid=instance.uuid)

    def _in_state(self, instance: Instance, wanted: int) -> Any:
        # libvirt answers a wrong state with a generic internal error.
        domain = self._domain(instance)
        state = _POWER.get(self._call(domain.state)[0], power_state.NOSTATE)
        if state != wanted:
            raise InstanceNotRunning(uuid=instance.uuid, host=self.host)
        return domain

    def reboot(self, instance: Instance, hard: bool) -> None:
        domain = self._domain(instance)
        if not hard:
            self._call(domain.reboot, 0, uuid=instance.uuid)
            return
        # A hard reboot starts the guest again from its definition.
        if domain.isActive():
            self._call(domain.destroy, uuid=instance.uuid)
        self._call(domain.create, uuid=instance.uuid)

    def get_power_state(self, instance: Instance) -> int:
        try:
            state = self._call(self._domain(instance).state)[0]
        except DomainNotFound:
            return power_state.NOSTATE
        return _POWER.get(state, power_state.NOSTATE)

    def list_instance_uuids(self) -> list[str]:
        domains = self._call(self.conn.listAllDomains)
        # Only the guests this driver made (the host may run others).
        return [
            str(d.UUIDString())
            for d in domains
            if str(d.name()).startswith("instance-")
        ]

    def domain_xml(self, instance: Instance) -> str:
        """The XML libvirt stored for the guest."""
        return str(self._call(self._domain(instance).XMLDesc))

    # -- helpers -----------------------------------------------------------

    def _domain(self, instance: Instance) -> Any:
        return self._call(
            self.conn.lookupByUUIDString, instance.uuid, uuid=instance.uuid
        )

    def _call(
        self, fn: Callable[..., T], *args: Any, uuid: str | None = None
    ) -> T:
        """Call libvirt, turning its errors into the compute's."""
        try:
            return fn(*args)
        except libvirt.libvirtError as err:
            code = err.get_error_code()
            if code == libvirt.VIR_ERR_NO_DOMAIN:
                raise DomainNotFound(uuid=uuid or "?", host=self.host) from err
            if code == libvirt.VIR_ERR_OPERATION_INVALID and uuid:
                raise InstanceNotRunning(uuid=uuid, host=self.host) from err
            raise VirtError(host=self.host, problem=str(err)) from err

    def _on_lifecycle(
        self, conn: Any, domain: Any, event: int, detail: int, opaque: Any
    ) -> None:
        transition = _EVENTS.get(event)
        if transition is not None:
            self.emit(LifecycleEvent(str(domain.UUIDString()), transition))
