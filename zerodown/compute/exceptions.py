"""The compute stack's errors, all under :class:`ComputeError`.

They belong to zerodown's one tree, so an error raised by a remote
service comes back over RPC as its own class, and the HTTP API maps each
family to one status code (``http_status``)::

    ComputeError
    ├── PlacementRequestInvalid   400  (zerodown.exceptions)
    ├── NotAuthenticated          401  no token, or one that does not verify
    ├── Forbidden                 403  the token's roles do not allow it
    ├── NotFound                  404
    │   ├── FlavorNotFound
    │   ├── InstanceNotFound
    │   └── ComputeHostNotFound
    ├── Conflict                  409
    │   ├── FlavorExists
    │   ├── InstanceInvalidState
    │   └── ComputeServiceTooOld   a feature needs every compute newer
    ├── NoValidHost               -    the scheduler found no host
    ├── ClaimFailed               -    a compute's claim lost a race
    ├── StoredDataInvalid         -    a stored blob cannot be read
    └── VirtError                 -    the hypervisor driver
        ├── InstanceNotRunning
        ├── HostFitError          the guest does not fit this host
        └── DomainNotFound
"""

from __future__ import annotations

from zerodown.exceptions import ComputeError

__all__ = [
    "ClaimFailed",
    "ComputeHostNotFound",
    "ComputeServiceTooOld",
    "Conflict",
    "DomainNotFound",
    "FlavorExists",
    "FlavorNotFound",
    "Forbidden",
    "HostFitError",
    "InstanceInvalidState",
    "InstanceNotFound",
    "InstanceNotRunning",
    "NoValidHost",
    "NotAuthenticated",
    "NotFound",
    "StoredDataInvalid",
    "VirtError",
]


class NotAuthenticated(ComputeError):
    """The API could not tell who is asking: no token, or one that is
    malformed, forged, expired or made for another deployment.
    ``reason`` says which, never the token itself."""

    http_status = 401
    template = "authentication required: {reason}"


class Forbidden(ComputeError):
    """A valid token whose roles do not allow the operation."""

    http_status = 403
    template = "{operation} needs the {role} role; this token has {roles}"


class NotFound(ComputeError):
    http_status = 404
    template = "{kind} {ident} not found"


class FlavorNotFound(NotFound):
    template = "flavor {ident} not found"


class InstanceNotFound(NotFound):
    template = "instance {ident} not found"


class ComputeHostNotFound(NotFound):
    template = "compute host {ident} not found"


class Conflict(ComputeError):
    http_status = 409
    template = "conflict: {problem}"


class FlavorExists(Conflict):
    template = "flavor {ident} already exists"


class InstanceInvalidState(Conflict):
    template = "cannot {action} instance {uuid} while it is {state}: {reason}"


class ComputeServiceTooOld(Conflict):
    template = (
        "{feature} needs every compute service at version {needed} or "
        "newer; the oldest running one is at {oldest}"
    )


class NoValidHost(ComputeError):
    """The scheduler found no host; ``reason`` says which filter removed
    the last candidates, and why."""

    template = "no valid host was found: {reason}"


class ClaimFailed(ComputeError):
    """The chosen host could not claim the resources (another build took
    them first); the conductor retries on another host."""

    template = "claim on {host} failed: {reason}"


class VirtError(ComputeError):
    template = "hypervisor error on {host}: {problem}"


class InstanceNotRunning(VirtError):
    template = "instance {uuid} is not running on {host}"


class HostFitError(VirtError):
    """The driver refuses a guest whose CPUs, cells or page sizes this
    host does not have (libvirt's test driver would accept it)."""

    template = "instance {uuid} does not fit host {host}: {problem}"


class DomainNotFound(VirtError):
    template = "no domain for instance {uuid} on {host}"


class StoredDataInvalid(ComputeError):
    """A stored blob no release can read (corrupt, or from the future)."""

    template = "{table} row {row}, column {column}: unreadable: {problem}"
