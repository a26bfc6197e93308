"""What the handlers work with: the database, the RPC clients, the
services table and the PCI aliases, plus how the API authenticates."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from zerodown.compute.pci_alias import PciAlias
from zerodown.services import ServiceDirectory

__all__ = ["Deps"]


@dataclasses.dataclass(frozen=True)
class Deps:
    db: Any
    conductor: Any
    compute: Any
    services: ServiceDirectory
    pci_aliases: Mapping[str, PciAlias]
    #: ``[api] auth``: shown in the version document.
    auth_mode: str
