"""The interface between the compute service and a hypervisor.

A driver reports what the host has (:meth:`VirtDriver.get_host_numa_topology`,
:meth:`VirtDriver.get_available_resource`) and runs guests whose NUMA
topology the compute has already fitted.  Before it defines a guest it
checks that the fitted placement exists on this host
(:func:`~zerodown.compute.virt.fit_check.check_host_fit`): a hypervisor
such as libvirt's test driver would accept a pin to a CPU the host lacks.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import logging
from collections.abc import Callable, Mapping
from typing import Any

from zerodown.compute.objects import Instance, NUMATopology

__all__ = ["HostResources", "LifecycleEvent", "Transition", "VirtDriver"]

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class HostResources:
    hypervisor_type: str
    hypervisor_hostname: str
    vcpus: int
    memory_mb: int
    local_gb: int
    cpu_info: str
    #: Devices for passthrough: PciDevice field values.
    pci_devices: tuple[Mapping[str, Any], ...] = ()


class Transition(enum.Enum):
    STARTED = "started"
    STOPPED = "stopped"
    PAUSED = "paused"
    RESUMED = "resumed"


@dataclasses.dataclass(frozen=True)
class LifecycleEvent:
    uuid: str
    transition: Transition


Listener = Callable[[LifecycleEvent], None]


class VirtDriver(abc.ABC):
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def register_event_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def emit(self, event: LifecycleEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener must not break the driver
                LOG.exception("lifecycle listener failed on %s", event)

    @abc.abstractmethod
    def init_host(self, host: str) -> None: ...

    @abc.abstractmethod
    def cleanup_host(self) -> None:
        """Release connections and threads."""

    @abc.abstractmethod
    def get_host_numa_topology(self) -> NUMATopology: ...

    @abc.abstractmethod
    def get_available_resource(self) -> HostResources: ...

    @abc.abstractmethod
    def spawn(self, instance: Instance) -> None:
        """Define and start the guest.

        :raises HostFitError: if its placement does not exist here.
        """

    @abc.abstractmethod
    def destroy(
        self, instance: Instance, shutdown_timeout: float = 0.0
    ) -> None:
        """Stop and remove the guest; a missing guest is fine.

        With ``shutdown_timeout`` the guest is first asked to shut down
        and given that many seconds before it is stopped hard.
        """

    @abc.abstractmethod
    def pause(self, instance: Instance) -> None: ...

    @abc.abstractmethod
    def unpause(self, instance: Instance) -> None: ...

    @abc.abstractmethod
    def reboot(self, instance: Instance, hard: bool) -> None: ...

    @abc.abstractmethod
    def get_power_state(self, instance: Instance) -> int: ...

    @abc.abstractmethod
    def list_instance_uuids(self) -> list[str]: ...
