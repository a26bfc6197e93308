"""Request validation: JSON schemas, then placement rules.

The schemas hold every value to what its database column can store, on
SQLite, PostgreSQL and MariaDB alike, so a bad value is a 400 naming it
and never a database error:

* integers are JSON integers only (``1e300`` is a float, not an
  integer, whatever the standard's "integer" allows) and fit their
  32-bit ``Integer`` column;
* text fits its ``String(255)`` column and holds neither NUL (which
  PostgreSQL cannot store) nor a lone surrogate (which no driver can
  encode);
* ids are matched whole (``\\A...\\Z``: ``$`` would also match before a
  trailing newline).

Extra specs and image properties are then checked by the same placement
code the scheduler and computes run (:mod:`zerodown.compute.hardware`),
so the API refuses with a 400 exactly what could never be placed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema import validators

from zerodown.compute.api.errors import HTTPError
from zerodown.compute.errors import InvalidExtraSpec
from zerodown.compute.hardware import (
    get_best_cpu_topology,
    numa_get_constraints,
)
from zerodown.compute.objects import Flavor, ImageMetaProps
from zerodown.compute.objects.cpuspec import MAX_GUEST_CPUS
from zerodown.compute.pci_alias import PciAlias, pci_requests_from_flavor

__all__ = [
    "EXTRA_SPECS",
    "FLAVOR",
    "FLAVOR_ID",
    "FLAVOR_ID_RULE",
    "INT32_MAX",
    "MAX_VCPUS",
    "SERVER",
    "SPEC_KEY",
    "SPEC_KEY_RULE",
    "Schema",
    "check_placement",
    "check_spec_keys",
    "image_props",
]

#: The largest value of an ``Integer`` column on every backend.
INT32_MAX = 2**31 - 1
MAX_VCPUS = MAX_GUEST_CPUS
#: Flavor ids and extra spec keys (Nova's characters, without spaces).
FLAVOR_ID = re.compile(r"\A[A-Za-z0-9_.-]{1,255}\Z")
SPEC_KEY = re.compile(r"\A[A-Za-z0-9_:.-]{1,255}\Z")
FLAVOR_ID_RULE = "a flavor id is 1 to 255 of A-Z a-z 0-9 _ . -"
SPEC_KEY_RULE = "an extra spec key is 1 to 255 of A-Z a-z 0-9 _ : . -"
_STORABLE = r"\A[^\x00\ud800-\udfff]*\Z"


def _is_integer(checker: Any, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", _is_integer
    ),
)


class Schema:
    """A JSON schema and its validator, built once."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        _Validator.check_schema(schema)
        self.schema = schema
        self._validator = _Validator(schema)

    def check(self, body: Any) -> None:
        """:raises HTTPError: 400 naming the first problem and where."""
        error = next(iter(self._validator.iter_errors(body)), None)
        if error is None:
            return
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        # A pattern's own text says nothing to a user; its description
        # does.  Other messages quote the value: keep them short.
        if (
            error.validator in ("pattern", "const", "enum")
            and "description" in error.schema
        ):
            message = str(error.schema["description"])
        else:
            message = error.message[:200]
        raise HTTPError(400, f"invalid request at {where}: {message}")


def _text(most: int, least: int = 0) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": least,
        "maxLength": most,
        "pattern": _STORABLE,
        "description": "text must not hold NUL characters or lone surrogates",
    }


def _integer(least: int, most: int = INT32_MAX) -> dict[str, Any]:
    return {"type": "integer", "minimum": least, "maximum": most}


def _one(name: str) -> dict[str, Any]:
    return {
        "const": 1,
        "description": f"{name} can only be 1: one server a request",
    }


def _matching(pattern: re.Pattern[str], description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": pattern.pattern,
        "description": description,
    }


FLAVOR = Schema(
    {
        "type": "object",
        "properties": {
            "flavor": {
                "type": "object",
                "properties": {
                    "name": _text(255, 1),
                    # null: the API makes one (novaclient sends null).
                    "id": {
                        **_matching(FLAVOR_ID, FLAVOR_ID_RULE),
                        "type": ["string", "null"],
                    },
                    "vcpus": _integer(1, MAX_VCPUS),
                    "ram": _integer(1),
                    "disk": _integer(0),
                    "OS-FLV-EXT-DATA:ephemeral": _integer(0),
                    "swap": _integer(0),
                    # Not stored: only the value every flavor has.
                    "rxtx_factor": {
                        "const": 1.0,
                        "description": "rxtx_factor can only be 1.0",
                    },
                    # There is no flavor access list: public only.
                    "os-flavor-access:is_public": {
                        "const": True,
                        "description": "a flavor can only be public: "
                        "there are no flavor access lists",
                    },
                    # A TEXT column holds 65,535 bytes on MariaDB: this
                    # many characters fit in it at 4 bytes each.
                    "description": {"anyOf": [{"type": "null"}, _text(16383)]},
                },
                "required": ["name", "vcpus", "ram", "disk"],
                "additionalProperties": False,
            }
        },
        "required": ["flavor"],
        "additionalProperties": False,
    }
)

EXTRA_SPECS = Schema(
    {
        "type": "object",
        "properties": {
            "extra_specs": {
                "type": "object",
                "propertyNames": _matching(SPEC_KEY, SPEC_KEY_RULE),
                "additionalProperties": _text(255),
            }
        },
        "required": ["extra_specs"],
        "additionalProperties": False,
    }
)

SERVER = Schema(
    {
        "type": "object",
        "properties": {
            "server": {
                "type": "object",
                "properties": {
                    "name": _text(255, 1),
                    "flavorRef": _text(255, 1),
                    "imageRef": _text(255),
                    # What novaclient sends: one server a request.
                    "min_count": _one("min_count"),
                    "max_count": _one("max_count"),
                    # There is no network service (Nova's "none").
                    "networks": {
                        "enum": ["none", []],
                        "description": 'networks can only be "none": '
                        "this stack has no network service",
                    },
                    # Release 2 (Instance 2.5), Nova's microversion 2.19.
                    "description": {"anyOf": [{"type": "null"}, _text(255)]},
                    "image_properties": {
                        "type": "object",
                        "maxProperties": 128,
                        "propertyNames": _text(255, 1),
                        "additionalProperties": {
                            "anyOf": [
                                _text(255),
                                _integer(-INT32_MAX - 1),
                                {"type": "boolean"},
                            ]
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
)

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
#: ``hw:`` specs that count vCPUs or NUMA nodes: none can be more than
#: a flavor's vCPUs may be.
_COUNTS = {
    "cpu_sockets",
    "cpu_cores",
    "cpu_threads",
    "cpu_max_sockets",
    "cpu_max_cores",
    "cpu_max_threads",
    "numa_nodes",
}
_NUMA_INDEXED = re.compile(r"\Anuma_(cpus|mem)\.[0-9]{1,4}\Z")


def check_spec_keys(specs: Mapping[str, str]) -> None:
    """Unknown ``hw:`` keys are refused, as Nova's validation does, and
    counts must be plain numbers from 1 to :data:`MAX_VCPUS`.

    :raises InvalidExtraSpec: naming the key.
    """
    for key, value in specs.items():
        if not key.startswith("hw:"):
            continue
        name = key[3:]
        if name not in HW_KEYS and not _NUMA_INDEXED.match(name):
            _refuse(key, value, "unknown hw: extra spec")
        if name in _COUNTS and not _is_count(value):
            _refuse(key, value, f"must be a number from 1 to {MAX_VCPUS}")


def _is_count(value: str) -> bool:
    return re.fullmatch(r"[0-9]{1,4}", value) is not None and (
        1 <= int(value) <= MAX_VCPUS
    )


def _refuse(key: str, value: str, reason: str) -> None:
    raise InvalidExtraSpec(
        source="flavor", key=key, value=value[:100], reason=reason
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
