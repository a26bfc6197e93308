"""The compute stack's errors.

An error a remote service raises comes back over RPC as its own class;
the HTTP API maps each family to one status code (``http_status``, and
:mod:`zerodown.compute.api.errors`)::

    ComputeError                          the compute stack
    ├── PlacementRequestInvalid   400     a flavor and image ask for a
    │   │                                 placement that cannot exist
    │   ├── InvalidExtraSpec              a value that does not parse
    │   ├── ImagePropertyConflict         the image contradicts or
    │   │                                 overrides the flavor
    │   ├── CPUPolicyConflict             CPU settings that do not go
    │   │                                 together
    │   ├── VCPUTopologyInvalid           sockets, cores and threads
    │   │                                 out of range or impossible
    │   └── GuestNUMATopologyInvalid      NUMA nodes whose CPUs and
    │                                     memory do not add up
    ├── NotAuthenticated          401     no token, or one that does not
    │                                     verify
    ├── Forbidden                 403     the token's roles do not allow it
    ├── NotFound                  404
    │   ├── FlavorNotFound
    │   ├── InstanceNotFound
    │   └── ComputeHostNotFound
    ├── Conflict                  409
    │   ├── FlavorExists
    │   ├── InstanceInvalidState
    │   └── ComputeServiceTooOld          a feature needs every compute
    │                                     newer
    ├── NoValidHost               -       the scheduler found no host
    ├── ClaimFailed               -       a compute's claim lost a race
    ├── StoredDataInvalid         -       a stored blob cannot be read
    └── VirtError                 -       the hypervisor driver
        ├── InstanceNotRunning
        ├── HostFitError                  the guest does not fit this host
        └── DomainNotFound

    CPUPinningError                       pinning on a NUMA cell failed
    ├── CPUPinningUnknown                 CPUs not dedicated in the cell
    ├── CPUPinningInvalid                 CPUs already pinned
    ├── CPUUnpinningUnknown               CPUs not dedicated in the cell
    └── CPUUnpinningInvalid               CPUs not pinned

    ApiError                              the HTTP client: an error answer
    ApiUnreachable                        the HTTP client: no answer
    ServiceFailed                         a service process exited or
                                          never came up (the launcher)

Each is a :class:`~zerodown.exceptions.ZerodownError` (exit code 1).
``CPUPinningError`` and the client's and launcher's errors stand beside
``ComputeError``, as in release 2.  Release 2 defined these in
:mod:`zerodown.exceptions`, ``zerodown.compute.exceptions``, ``.client``
and ``.launcher``; each keeps its module there on the wire
(``wire_module``), so a release-2 service raises and receives the same
typed error.
"""

from __future__ import annotations

from zerodown.exceptions import ZerodownError

__all__ = [
    "ApiError",
    "ApiUnreachable",
    "CPUPinningError",
    "CPUPinningInvalid",
    "CPUPinningUnknown",
    "CPUPolicyConflict",
    "CPUUnpinningInvalid",
    "CPUUnpinningUnknown",
    "ClaimFailed",
    "ComputeError",
    "ComputeHostNotFound",
    "ComputeServiceTooOld",
    "Conflict",
    "DomainNotFound",
    "FlavorExists",
    "FlavorNotFound",
    "Forbidden",
    "GuestNUMATopologyInvalid",
    "HostFitError",
    "ImagePropertyConflict",
    "InstanceInvalidState",
    "InstanceNotFound",
    "InstanceNotRunning",
    "InvalidExtraSpec",
    "NoValidHost",
    "NotAuthenticated",
    "NotFound",
    "PlacementRequestInvalid",
    "ServiceFailed",
    "StoredDataInvalid",
    "VCPUTopologyInvalid",
    "VirtError",
]

# Where release 2 defined these classes: its peers look them up there.
_R2_ROOT = "zerodown.exceptions"
_R2_COMPUTE = "zerodown.compute.exceptions"
_R2_CLIENT = "zerodown.compute.client"
_R2_LAUNCHER = "zerodown.compute.launcher"


# --- the compute stack ------------------------------------------------------


class ComputeError(ZerodownError, wire_module=_R2_ROOT):
    template = "compute error: {problem}"


class PlacementRequestInvalid(ComputeError, wire_module=_R2_ROOT):
    """A flavor and image whose ``hw:`` settings cannot be placed: the API
    answers 400 with the message."""

    template = "invalid placement request: {problem}"


class InvalidExtraSpec(PlacementRequestInvalid, wire_module=_R2_ROOT):
    template = "{source} {key}={value!r} is invalid: {reason}"


class ImagePropertyConflict(PlacementRequestInvalid, wire_module=_R2_ROOT):
    template = (
        "image property {prop}={value!r} is not allowed with this "
        "flavor: {reason}"
    )


class CPUPolicyConflict(PlacementRequestInvalid, wire_module=_R2_ROOT):
    template = "{setting} {problem} (CPU policy: {cpu_policy})"


class VCPUTopologyInvalid(PlacementRequestInvalid, wire_module=_R2_ROOT):
    template = "no vCPU topology for {vcpus} vCPU(s): {problem}"


class GuestNUMATopologyInvalid(PlacementRequestInvalid, wire_module=_R2_ROOT):
    template = "guest NUMA topology of {nodes} node(s) is invalid: {problem}"


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


class NotFound(ComputeError, wire_module=_R2_COMPUTE):
    http_status = 404
    template = "{kind} {ident} not found"


class FlavorNotFound(NotFound, wire_module=_R2_COMPUTE):
    template = "flavor {ident} not found"


class InstanceNotFound(NotFound, wire_module=_R2_COMPUTE):
    template = "instance {ident} not found"


class ComputeHostNotFound(NotFound, wire_module=_R2_COMPUTE):
    template = "compute host {ident} not found"


class Conflict(ComputeError, wire_module=_R2_COMPUTE):
    http_status = 409
    template = "conflict: {problem}"


class FlavorExists(Conflict, wire_module=_R2_COMPUTE):
    template = "flavor {ident} already exists"


class InstanceInvalidState(Conflict, wire_module=_R2_COMPUTE):
    template = "cannot {action} instance {uuid} while it is {state}: {reason}"


class ComputeServiceTooOld(Conflict, wire_module=_R2_COMPUTE):
    template = (
        "{feature} needs every compute service at version {needed} or "
        "newer; the oldest running one is at {oldest}"
    )


class NoValidHost(ComputeError, wire_module=_R2_COMPUTE):
    """The scheduler found no host; ``reason`` says which filter removed
    the last candidates, and why."""

    template = "no valid host was found: {reason}"


class ClaimFailed(ComputeError, wire_module=_R2_COMPUTE):
    """The chosen host could not claim the resources (another build took
    them first); the conductor retries on another host."""

    template = "claim on {host} failed: {reason}"


class VirtError(ComputeError, wire_module=_R2_COMPUTE):
    template = "hypervisor error on {host}: {problem}"


class InstanceNotRunning(VirtError, wire_module=_R2_COMPUTE):
    template = "instance {uuid} is not running on {host}"


class HostFitError(VirtError, wire_module=_R2_COMPUTE):
    """The driver refuses a guest whose CPUs, cells or page sizes this
    host does not have (libvirt's test driver would accept it)."""

    template = "instance {uuid} does not fit host {host}: {problem}"


class DomainNotFound(VirtError, wire_module=_R2_COMPUTE):
    template = "no domain for instance {uuid} on {host}"


class StoredDataInvalid(ComputeError, wire_module=_R2_COMPUTE):
    """A stored blob no release can read (corrupt, or from the future)."""

    template = "{table} row {row}, column {column}: unreadable: {problem}"


# --- CPU pinning (beside ComputeError, as in release 2) ---------------------


class CPUPinningError(ZerodownError, wire_module=_R2_ROOT):
    template = "CPU pinning failed on NUMA cell {cell}: {problem}"


class CPUPinningUnknown(CPUPinningError, wire_module=_R2_ROOT):
    template = (
        "cannot pin CPUs {requested} on NUMA cell {cell}: its dedicated "
        "CPUs are {available}"
    )


class CPUPinningInvalid(CPUPinningError, wire_module=_R2_ROOT):
    template = (
        "cannot pin CPUs {requested} on NUMA cell {cell}: {pinned} are "
        "already pinned"
    )


class CPUUnpinningUnknown(CPUPinningError, wire_module=_R2_ROOT):
    template = (
        "cannot unpin CPUs {requested} on NUMA cell {cell}: its dedicated "
        "CPUs are {available}"
    )


class CPUUnpinningInvalid(CPUPinningError, wire_module=_R2_ROOT):
    template = (
        "cannot unpin CPUs {requested} on NUMA cell {cell}: only {pinned} "
        "are pinned"
    )


# --- the HTTP client and the service launcher ------------------------------


class ApiError(ZerodownError, wire_module=_R2_CLIENT):
    template = "{method} {path}: {status} {detail}"


class ApiUnreachable(ZerodownError, wire_module=_R2_CLIENT):
    template = "cannot reach the compute API at {url}: {reason}"


class ServiceFailed(ZerodownError, wire_module=_R2_LAUNCHER):
    template = "service {name} {problem}; last lines of {log}:\n{tail}"
