"""What the handlers work with: the database, the RPC clients, the
services table and the PCI aliases, plus how the API authenticates.

The database and the clients are protocols of exactly what the handlers
call, so this module imports neither (``ComputeDB``, ``ConductorAPI``
and ``ComputeAPI`` satisfy them; the tests hand in recorders).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

from zerodown.compute.objects import ComputeNode, Flavor, Instance
from zerodown.compute.pci_alias import PciAlias
from zerodown.rpc import RequestContext
from zerodown.services import ServiceDirectory

__all__ = ["Compute", "Conductor", "Ctx", "Database", "Deps"]

Ctx = RequestContext | None


class Database(Protocol):
    """The data access the API uses (:class:`~zerodown.compute.db.api.
    ComputeDB`)."""

    def list_flavors(self) -> list[Flavor]: ...

    def get_flavor(self, flavorid: str) -> Flavor: ...

    def create_flavor(self, flavor: Flavor) -> Flavor: ...

    def delete_flavor(self, flavorid: str) -> None: ...

    def update_extra_specs(
        self, flavorid: str, specs: Mapping[str, str]
    ) -> Flavor: ...

    def delete_extra_spec(self, flavorid: str, key: str) -> None: ...

    def create_instance(self, instance: Instance) -> Instance: ...

    def get_instance(self, uuid: str) -> Instance: ...

    def list_instances(
        self,
        *,
        project_id: str | None = None,
        limit: int | None = None,
        marker: str | None = None,
    ) -> list[Instance]: ...

    def save_instance(
        self, instance: Instance, *, expected_task_state: Any = ...
    ) -> Instance: ...

    def destroy_instance(self, uuid: str) -> None: ...

    def add_fault(self, uuid: str, code: int, message: str) -> None: ...

    def get_fault(self, uuid: str) -> dict[str, Any] | None: ...

    def list_compute_nodes(self) -> list[ComputeNode]: ...

    def get_compute_node_by_id(self, node_id: int) -> ComputeNode: ...


class Conductor(Protocol):
    """The conductor's casts the API sends (``ConductorAPI``)."""

    def build_instances(self, ctx: Ctx, instance: Instance) -> None: ...


class Compute(Protocol):
    """The computes' casts the API sends (``ComputeAPI``)."""

    def pause_instance(self, ctx: Ctx, instance: Instance) -> None: ...

    def unpause_instance(self, ctx: Ctx, instance: Instance) -> None: ...

    def reboot_instance(
        self, ctx: Ctx, instance: Instance, reboot_type: str
    ) -> None: ...

    def terminate_instance(
        self, ctx: Ctx, instance: Instance, clean_shutdown: bool = True
    ) -> None: ...


@dataclasses.dataclass(frozen=True)
class Deps:
    db: Database
    conductor: Conductor
    compute: Compute
    services: ServiceDirectory
    pci_aliases: Mapping[str, PciAlias]
    #: ``[api] auth``: shown in the version document.
    auth_mode: str
