"""Request validation: JSON schemas, then placement rules.

Bodies are checked against JSON schemas (jsonschema); extra specs and
image properties are then checked by the same placement code the
scheduler and computes run (:mod:`zerodown.compute.hardware`), so the API
refuses with a 400 exactly what could never be placed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema

from zerodown.compute.api.errors import HTTPError
from zerodown.compute.hardware import (
    get_best_cpu_topology,
    numa_get_constraints,
)
from zerodown.compute.objects import Flavor, ImageMetaProps
from zerodown.compute.pci_alias import PciAlias, pci_requests_from_flavor
from zerodown.exceptions import InvalidExtraSpec

__all__ = [
    "EXTRA_SPECS",
    "FLAVOR",
    "SERVER",
    "check",
    "check_placement",
    "check_spec_keys",
    "image_props",
]

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_SPEC_VALUE = {"type": "string", "maxLength": 255}

FLAVOR = {
    "type": "object",
    "properties": {
        "flavor": {
            "type": "object",
            "properties": {
                "name": _NAME,
                "id": {"type": "string", "pattern": r"^[\w.-]{1,255}$"},
                "vcpus": {"type": "integer", "minimum": 1, "maximum": 4096},
                "ram": {"type": "integer", "minimum": 1},
                "disk": {"type": "integer", "minimum": 0},
                "description": {"type": ["string", "null"]},
            },
            "required": ["name", "vcpus", "ram", "disk"],
            "additionalProperties": False,
        }
    },
    "required": ["flavor"],
    "additionalProperties": False,
}

EXTRA_SPECS = {
    "type": "object",
    "properties": {
        "extra_specs": {
            "type": "object",
            "propertyNames": {"minLength": 1, "maxLength": 255},
            "additionalProperties": _SPEC_VALUE,
        }
    },
    "required": ["extra_specs"],
    "additionalProperties": False,
}

SERVER = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": _NAME,
                "flavorRef": {"type": "string", "minLength": 1},
                "imageRef": {"type": "string"},
                # Release 2 (Instance 2.5), Nova's microversion 2.19.
                "description": {"type": ["string", "null"], "maxLength": 255},
                "image_properties": {
                    "type": "object",
                    "additionalProperties": {
                        "type": ["string", "integer", "boolean"]
                    },
                },
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        }
    },
    "required": ["server"],
    "additionalProperties": False,
}

#: The ``hw:`` extra specs this stack understands (Nova's names).
HW_KEYS = {
    "cpu_policy",
    "cpu_thread_policy",
    "cpu_dedicated_mask",
    "emulator_threads_policy",
    "cpu_sockets",
    "cpu_cores",
    "cpu_threads",
    "cpu_max_sockets",
    "cpu_max_cores",
    "cpu_max_threads",
    "cpu_realtime",
    "cpu_realtime_mask",
    "numa_nodes",
    "mem_page_size",
    "pci_numa_affinity_policy",
    "locked_memory",
}
_NUMA_INDEXED = re.compile(r"^numa_(cpus|mem)\.\d+$")


def check(schema: Mapping[str, Any], body: Any) -> None:
    """:raises HTTPError: 400 naming the first problem and where."""
    validator = jsonschema.Draft202012Validator(schema)
    error = next(iter(validator.iter_errors(body)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise HTTPError(400, f"invalid request at {where}: {error.message}")


def check_spec_keys(specs: Mapping[str, str]) -> None:
    """Unknown ``hw:`` keys are refused, as Nova's validation does."""
    for key, value in specs.items():
        if not key.startswith("hw:"):
            continue
        name = key[3:]
        if name not in HW_KEYS and not _NUMA_INDEXED.match(name):
            raise InvalidExtraSpec(
                source="flavor",
                key=key,
                value=value,
                reason="unknown hw: extra spec",
            )


def image_props(raw: Mapping[str, Any] | None) -> ImageMetaProps:
    """Glance-style string properties as an object.

    :raises MalformedPayload: for a value that does not parse.
    """
    props = {str(k): str(v) for k, v in (raw or {}).items()}
    return ImageMetaProps.obj_from_legacy(props)


def check_placement(
    flavor: Flavor,
    image: ImageMetaProps,
    aliases: Mapping[str, PciAlias],
) -> Any:
    """The NUMA topology the pair asks for (``None``: none).

    :raises PlacementRequestInvalid: (a 400) for what cannot be placed.
    """
    check_spec_keys(flavor.extra_specs)
    requested = numa_get_constraints(flavor, image)
    get_best_cpu_topology(flavor, image)
    pci_requests_from_flavor(flavor, aliases, image)
    return requested
