"""Errors of versioned objects and their wire, all under :class:`ObjectError`::

    ObjectError                       1   versioned objects and their wire
    ├── MalformedPayload              1   bytes that are not a message
    │   └── InvalidPrimitive          1   data that breaks its object's
    │       │                             schema at its version
    │       ├── MissingField              an envelope key is missing
    │       ├── UnknownField              a field that version lacks
    │       └── WrongFieldType            a value of the wrong type
    ├── UnencodableValue              1   a value the codec cannot carry
    ├── UnknownObject                 1   a name the registry lacks
    ├── IncompatibleVersion           1   a version this side cannot read
    ├── InvalidTargetVersion          1   a backport to a newer version
    ├── UnrepresentableValue          1   a backport refused: the target
    │                                     cannot carry the value
    ├── UnknownObjectMethod           1   no such remotable method
    ├── ObjectDeclarationError        1   a class contradicts its history
    ├── ManifestMismatch              1   fingerprints differ from the
    │                                     checked-in manifest
    └── BackportVerificationFailed    1   a backport lost or broke data

Release 2 defined them in :mod:`zerodown.exceptions`; they keep that
module on the wire (``wire_module``, see there).
"""

from __future__ import annotations

from zerodown.exceptions import ZerodownError

__all__ = [
    "BackportVerificationFailed",
    "IncompatibleVersion",
    "InvalidPrimitive",
    "InvalidTargetVersion",
    "MalformedPayload",
    "ManifestMismatch",
    "MissingField",
    "ObjectDeclarationError",
    "ObjectError",
    "UnencodableValue",
    "UnknownField",
    "UnknownObject",
    "UnknownObjectMethod",
    "UnrepresentableValue",
    "WrongFieldType",
]

#: Where release 2 defined these classes: its peers look them up there.
_RELEASE_2 = "zerodown.exceptions"


class ObjectError(ZerodownError, wire_module=_RELEASE_2):
    template = "object error: {problem}"


class MalformedPayload(ObjectError, wire_module=_RELEASE_2):
    """Input that does not decode: the wire codec's one error type."""

    template = "malformed payload: {reason}"


class InvalidPrimitive(MalformedPayload, wire_module=_RELEASE_2):
    template = "{object} {version}: {reason}"


class MissingField(InvalidPrimitive, wire_module=_RELEASE_2):
    template = "{object} {version}: the primitive lacks {field!r}"


class UnknownField(InvalidPrimitive, wire_module=_RELEASE_2):
    template = "{object} {version} has no field {field!r}{where}"


class WrongFieldType(InvalidPrimitive, wire_module=_RELEASE_2):
    template = (
        "{object} {version}: field {field!r} needs {expected}, got {got}"
    )


class UnencodableValue(ObjectError, wire_module=_RELEASE_2):
    template = "cannot encode {value_type} at {path}: {reason}"


class UnknownObject(ObjectError, wire_module=_RELEASE_2):
    template = (
        "{name!r} (version {version}) is not an object of registry "
        "{namespace!r}"
    )


class IncompatibleVersion(ObjectError, wire_module=_RELEASE_2):
    template = (
        "{object} {version} cannot be read here: this side knows "
        "{object} up to {supported}"
    )


class InvalidTargetVersion(ObjectError, wire_module=_RELEASE_2):
    template = (
        "{object} is at version {current}; it cannot be sent as the newer "
        "{version}"
    )


class UnrepresentableValue(ObjectError, wire_module=_RELEASE_2):
    template = (
        "{object} {version} cannot represent {field}={value!r}: {reason}"
    )


class UnknownObjectMethod(ObjectError, wire_module=_RELEASE_2):
    template = "{object} has no remotable method {method!r}"


class ObjectDeclarationError(ObjectError, wire_module=_RELEASE_2):
    template = "{object}: {problem}"


class ManifestMismatch(ObjectError, wire_module=_RELEASE_2):
    """Objects changed without a version bump, or the file is stale.

    ``changes`` lists one line a difference.
    """

    template = "{count} object(s) differ from {path}: {summary}"


class BackportVerificationFailed(ObjectError, wire_module=_RELEASE_2):
    template = "backport of {object} to {version} failed: {problem}"
