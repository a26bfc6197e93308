"""Compute API microversions, negotiated as Nova negotiates them.

A request names the version it speaks in ``OpenStack-API-Version:
compute 2.N`` (or Nova's older ``X-OpenStack-Nova-API-Version: 2.N``;
the first wins when both are sent).  No header means the oldest version
(2.1), ``latest`` the newest this API serves; a version outside
:data:`MIN_VERSION`..:data:`MAX_VERSION` is a 406 naming both ends, a
header that is not ``X.Y`` a 400.  Every answer of the versioned API
says which version it was given in both headers, plus ``Vary``.

The version changes a shape only where a client reads it: a server's
``flavor`` is ``{"id", "links"}`` before 2.47 and the flavor's own
values from 2.47 on (``docs/compute.md``, "OpenStack's clients").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from zerodown.compute.api.errors import HTTPError

__all__ = [
    "MAX_VERSION",
    "MIN_VERSION",
    "Version",
    "format_version",
    "requested",
    "response_headers",
]

Version = tuple[int, int]

MIN_VERSION: Version = (2, 1)
#: 2.47: a server shows its flavor's values.  Not 2.53, from which
#: services and hypervisors are named by UUIDs this stack does not have.
MAX_VERSION: Version = (2, 47)

_SERVICE_HEADER = "HTTP_OPENSTACK_API_VERSION"
_LEGACY_HEADER = "HTTP_X_OPENSTACK_NOVA_API_VERSION"
_FORMAT = re.compile(r"\A([1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\Z")


def format_version(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def requested(environ: Mapping[str, Any]) -> Version:
    """The version a request asks for.

    :raises HTTPError: 400 for a malformed version, 406 for one this API
        does not serve.
    """
    text = _compute_version(str(environ.get(_SERVICE_HEADER) or ""))
    if text is None:
        text = str(environ.get(_LEGACY_HEADER) or "").strip() or None
    if text is None:
        return MIN_VERSION
    if text.lower() == "latest":
        return MAX_VERSION
    found = _FORMAT.match(text)
    if found is None:
        raise HTTPError(
            400,
            f"API version string {text[:40]!r} is of invalid format: "
            "it must be MajorNum.MinorNum",
        )
    version = (int(found.group(1)), int(found.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise HTTPError(
            406,
            f"version {format_version(version)} is not supported by the "
            f"API: minimum is {format_version(MIN_VERSION)} and maximum "
            f"is {format_version(MAX_VERSION)}",
        )
    return version


def _compute_version(header: str) -> str | None:
    """The compute entry of ``OpenStack-API-Version`` (a comma-separated
    list of ``service version`` pairs), if it has one."""
    for entry in header.split(","):
        parts = entry.split()
        if len(parts) == 2 and parts[0].lower() == "compute":
            return parts[1]
    return None


def response_headers(version: Version) -> list[tuple[str, str]]:
    text = format_version(version)
    return [
        ("OpenStack-API-Version", f"compute {text}"),
        ("X-OpenStack-Nova-API-Version", text),
        ("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
    ]
