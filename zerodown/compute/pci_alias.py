"""PCI aliases (Nova's ``[pci] alias``) and the requests a flavor makes.

A flavor asks for devices with ``pci_passthrough:alias = "nic:1,gpu:2"``;
each alias names the devices it matches.  The NUMA affinity policy comes
from the flavor or image (``hw:pci_numa_affinity_policy``), else from the
alias, as in Nova.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from zerodown.compute.errors import InvalidExtraSpec
from zerodown.compute.hardware import (
    PciRequest,
    get_pci_numa_policy_constraint,
)
from zerodown.compute.objects import Flavor, ImageMetaProps
from zerodown.compute.objects.enums import (
    PCI_DEVICE_TYPES,
    PCI_NUMA_AFFINITY_POLICIES,
)
from zerodown.exceptions import ConfigError

__all__ = ["PciAlias", "parse_aliases", "pci_requests_from_flavor"]

ALIAS_SPEC = "pci_passthrough:alias"
_KEYS = {"name", "vendor_id", "product_id", "device_type", "numa_policy"}


@dataclasses.dataclass(frozen=True)
class PciAlias:
    name: str
    vendor_id: str
    product_id: str | None = None
    device_type: str | None = None
    numa_policy: str | None = None

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"vendor_id": self.vendor_id}
        if self.product_id:
            spec["product_id"] = self.product_id
        if self.device_type:
            spec["dev_type"] = self.device_type
        return spec


def parse_aliases(entries: Sequence[Mapping[str, Any]]) -> dict[str, PciAlias]:
    """Aliases by name.

    :raises ConfigError: for unknown keys, a missing name or vendor, an
        unknown device type or policy, or a name given twice.
    """
    aliases: dict[str, PciAlias] = {}
    for entry in entries:
        unknown = set(entry) - _KEYS
        if unknown:
            raise ConfigError(
                problem="pci alias: unknown key(s) "
                + ", ".join(sorted(unknown))
            )
        name, vendor = entry.get("name"), entry.get("vendor_id")
        if not name or not vendor:
            raise ConfigError(
                problem="pci alias: name and vendor_id are required"
            )
        alias = PciAlias(
            str(name),
            str(vendor).lower(),
            str(entry["product_id"]).lower()
            if entry.get("product_id")
            else None,
            entry.get("device_type"),
            entry.get("numa_policy"),
        )
        if alias.device_type and alias.device_type not in PCI_DEVICE_TYPES:
            raise ConfigError(
                problem=f"pci alias {name}: device_type {alias.device_type!r} "
                f"is not one of {', '.join(PCI_DEVICE_TYPES)}"
            )
        if (
            alias.numa_policy
            and alias.numa_policy not in PCI_NUMA_AFFINITY_POLICIES
        ):
            raise ConfigError(
                problem=f"pci alias {name}: numa_policy {alias.numa_policy!r} "
                f"is not one of {', '.join(PCI_NUMA_AFFINITY_POLICIES)}"
            )
        if alias.name in aliases:
            raise ConfigError(problem=f"pci alias {name} is defined twice")
        aliases[alias.name] = alias
    return aliases


def pci_requests_from_flavor(
    flavor: Flavor,
    aliases: Mapping[str, PciAlias],
    image: ImageMetaProps | None = None,
) -> list[PciRequest]:
    """The device requests of ``pci_passthrough:alias``.

    :raises InvalidExtraSpec: for bad syntax, a bad count or an alias the
        deployment does not define.
    """
    text = (flavor.extra_specs or {}).get(ALIAS_SPEC)
    if not text:
        return []
    policy = get_pci_numa_policy_constraint(flavor, image)
    requests = []
    for item in text.split(","):
        name, sep, count = item.strip().partition(":")
        if not sep or not name or not count.strip().isdigit():
            raise _invalid(text, f"{item.strip()!r} is not 'alias:count'")
        if int(count) < 1:
            raise _invalid(text, f"the count of {name} must be at least 1")
        alias = aliases.get(name)
        if alias is None:
            known = ", ".join(sorted(aliases)) or "none"
            raise _invalid(
                text, f"alias {name!r} is not defined (known: {known})"
            )
        requests.append(
            PciRequest(
                count=int(count),
                spec=(alias.spec(),),
                numa_policy=policy or alias.numa_policy,
                alias_name=name,
            )
        )
    return requests


def _invalid(value: str, reason: str) -> InvalidExtraSpec:
    return InvalidExtraSpec(
        source="flavor", key=ALIAS_SPEC, value=value, reason=reason
    )
