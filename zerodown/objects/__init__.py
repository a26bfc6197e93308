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

from zerodown.objects.ovo_import import import_ovo

# Before anything imports o.vo: without all of oslo.messaging.
import_ovo()

from zerodown.objects import fields  # noqa: E402
from zerodown.objects.base import ZerodownObject  # noqa: E402
from zerodown.objects.history import Change, History, StepContext  # noqa: E402
from zerodown.objects.oslo import OsloSerializer  # noqa: E402
from zerodown.objects.registry import ObjectRegistry, RegistryView  # noqa: E402
from zerodown.objects.serializer import ObjectSerializer  # noqa: E402
from zerodown.objects.wire import Limits, WireObject  # noqa: E402

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
