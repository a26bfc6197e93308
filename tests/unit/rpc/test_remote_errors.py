"""Errors that moved module reach a release-2 peer as the same class.

Release 2 looks a remote error up by the module and name it is sent
with; its modules are the ones below.  Each moved class sends its old
module (``wire_module``) and is recognised by either.
"""

from __future__ import annotations

import string
from typing import Any

import pytest

# Every package's errors, in the tree walked below (run alone, nothing
# else would have imported them).
import zerodown.compute.errors
import zerodown.grenade.errors
import zerodown.migrations.errors
import zerodown.objects.errors
import zerodown.rpc.errors
import zerodown.services.errors
from zerodown.exceptions import ZerodownError
from zerodown.rpc.remote import error_from_wire, error_to_wire


def _names(text: str) -> list[str]:
    return text.split()


#: Release 2's error classes by module (the RELEASES commit of r2;
#: tests/functional/rpc/test_errors_across_releases.py runs its code).
RELEASE_2 = {
    "zerodown.exceptions": _names("""
        ZerodownError ConfigError DatabaseUnreachable ObjectError
        MalformedPayload InvalidPrimitive MissingField UnknownField
        WrongFieldType UnencodableValue UnknownObject IncompatibleVersion
        InvalidTargetVersion UnrepresentableValue UnknownObjectMethod
        ObjectDeclarationError ManifestMismatch BackportVerificationFailed
        CPUPinningError CPUPinningUnknown CPUPinningInvalid
        CPUUnpinningUnknown CPUUnpinningInvalid ComputeError
        PlacementRequestInvalid InvalidExtraSpec ImagePropertyConflict
        CPUPolicyConflict VCPUTopologyInvalid GuestNUMATopologyInvalid
        RPCError MessagingTimeout TransportUnreachable RPCVersionCapError
        InvalidVersionCap RPCDeclarationError UndispatchableMessage
        UnsupportedVersion NoSuchMethod InvalidArguments MalformedMessage
        MessageTooLarge BadSignature RemoteError ServiceError ServiceTooOld
        UnknownServiceVersion MigrationError ScriptError LayoutError
        MissingBranch MultipleHeads MissingDependency RevisionNotFound
        PhaseViolation UnsplittableOperation MigrationFailed LockTimeout
        ObjectNotFound OperationRefused PartiallyApplied InvalidWaiver
        UnsafeMigration InvalidDataMigration DataMigrationError
        DataMigrationBusy PendingMigrations ContractGateClosed
    """),
    "zerodown.compute.exceptions": _names("""
        NotFound FlavorNotFound InstanceNotFound ComputeHostNotFound Conflict
        FlavorExists InstanceInvalidState ComputeServiceTooOld NoValidHost
        ClaimFailed VirtError InstanceNotRunning HostFitError DomainNotFound
        StoredDataInvalid
    """),
    "zerodown.compute.client": ["ApiError", "ApiUnreachable"],
    "zerodown.compute.launcher": ["ServiceFailed"],
    "zerodown.grenade.errors": ["JobFileError", "GrenadeError", "RefNotFound"],
    "zerodown.grenade.runner": ["JobFailed"],
}
PAIRS = [
    (module, name) for module, names in RELEASE_2.items() for name in names
]


def _classes() -> dict[str, type[ZerodownError]]:
    found, pending = {}, [ZerodownError]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("zerodown."):
            found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    found["ZerodownError"] = ZerodownError
    return found


def _fields(cls: type[ZerodownError]) -> dict[str, Any]:
    """A value for each field of ``cls``'s template."""
    parsed = string.Formatter().parse(cls.template)
    return {field.split("!")[0]: 1 for _, field, _, _ in parsed if field}


def _release_2_wire(module: str, name: str) -> dict[str, Any]:
    cls = _classes()[name]
    return {
        "type": name,
        "module": module,
        "message": "from release 2",
        "fields": _fields(cls),
    }


@pytest.mark.parametrize(("module", "name"), PAIRS)
def test_a_release_2_class_is_sent_under_its_release_2_module(module, name):
    cls = _classes()[name]
    wire = error_to_wire(cls(**_fields(cls)))
    assert (wire["type"], wire["module"]) == (name, module)


@pytest.mark.parametrize(("module", "name"), PAIRS)
def test_an_error_from_release_2_comes_back_as_its_class(module, name):
    again = error_from_wire(_release_2_wire(module, name), "m", "peer")
    assert type(again) is _classes()[name]


def test_either_module_finds_a_moved_class():
    cls = zerodown.compute.errors.NoValidHost
    for module in (cls.__module__, "zerodown.compute.exceptions"):
        wire = {"type": "NoValidHost", "module": module, "fields": {}}
        wire["fields"] = {"reason": "no cells"}
        again = error_from_wire(wire, "select", "scheduler")
        assert type(again) is cls and again.reason == "no cells"


def test_a_class_new_since_release_2_is_sent_under_its_own_module():
    new = {
        name: cls
        for name, cls in _classes().items()
        if not any(name in names for names in RELEASE_2.values())
    }
    assert "NotAuthenticated" in new and "StaleMessage" in new
    for cls in new.values():
        assert error_to_wire(cls(**_fields(cls)))["module"] == cls.__module__


def test_an_applications_error_is_sent_under_its_own_module():
    class Local(zerodown.compute.errors.NoValidHost):
        pass

    assert Local.wire_module == __name__
    again = error_from_wire(error_to_wire(Local(reason="x")), "m", "t")
    assert type(again) is Local
