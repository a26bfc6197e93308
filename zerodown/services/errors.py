"""Errors of service versions, all under :class:`ServiceError`::

    ServiceError                      1   service versions
    ├── ServiceTooOld                 1   a service the deployment no
    │                                     longer supports may not start
    └── UnknownServiceVersion         1   a version outside the history

Release 2 defined them in :mod:`zerodown.exceptions`; they keep that
module on the wire (``wire_module``, see there).
"""

from __future__ import annotations

from zerodown.exceptions import ZerodownError

__all__ = ["ServiceError", "ServiceTooOld", "UnknownServiceVersion"]

#: Where release 2 defined these classes: its peers look them up there.
_RELEASE_2 = "zerodown.exceptions"


class ServiceError(ZerodownError, wire_module=_RELEASE_2):
    template = "service error: {problem}"


class ServiceTooOld(ServiceError, wire_module=_RELEASE_2):
    template = (
        "{binary} on {host} (service version {version}) may not start: "
        "{reason}"
    )


class UnknownServiceVersion(ServiceError, wire_module=_RELEASE_2):
    template = (
        "service version {version} is not in the history of {project} "
        "(it knows {first} to {last})"
    )
