"""Versioned objects for rolling upgrades, on oslo.versionedobjects.

Declare an object with its fields and version history, register it, and
send it with the msgpack wire codec; older peers get it backported, older
data is upgraded on read, and a checked-in manifest of fingerprints catches
a field change without a version bump.  See ``docs/objects.md``.

Modules: :mod:`~zerodown.objects.fields` (field types),
:mod:`~zerodown.objects.oslo` (o.vo's serializer and fixture),
:mod:`~zerodown.objects.wire` (codec), :mod:`~zerodown.objects.manifest`
(fingerprints), :mod:`~zerodown.objects.verify` (backport verification,
needs hypothesis).
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # oslo.versionedobjects imports oslo.messaging, whose eventlet backend
    # warns at import that eventlet is deprecated; zerodown runs neither.
    warnings.filterwarnings("ignore", message=r"(?s).*eventlet")
    # eventlet imports dnspython, whose DNSSEC code warns at import that
    # cryptography deprecates DSA (when cryptography is installed, as
    # OpenStack's clients install it).
    warnings.filterwarnings("ignore", module=r"dns\.")
    import oslo_versionedobjects.base  # noqa: F401

from zerodown.objects import fields
from zerodown.objects.base import ZerodownObject
from zerodown.objects.history import Change, History, StepContext
from zerodown.objects.oslo import OsloSerializer
from zerodown.objects.registry import ObjectRegistry, RegistryView
from zerodown.objects.serializer import ObjectSerializer
from zerodown.objects.wire import Limits, WireObject

__all__ = [
    "Change",
    "History",
    "Limits",
    "ObjectRegistry",
    "ObjectSerializer",
    "OsloSerializer",
    "RegistryView",
    "StepContext",
    "WireObject",
    "ZerodownObject",
    "fields",
]
