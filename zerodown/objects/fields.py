"""Field types for zerodown objects: oslo.versionedobjects' and a few more.

The o.vo field classes are re-exported so that one import serves a whole
object declaration.  The types defined here fill the gaps a resource model
meets:

* :class:`IntSet` / :class:`CPUSet` - sets of integers whose primitive is a
  *sorted* list, so equal sets always encode to the same bytes (o.vo's
  ``Set`` emits them in hash order);
* :class:`VersionedEnum` - an enum that knows since which object version
  each value exists; backports refuse a value the target cannot represent;
* :class:`DateTime` - microseconds and the UTC offset survive the primitive
  (o.vo's ``isotime`` drops microseconds);
* :class:`UUID` - validated and normalised, never just warned about;
* :class:`IPAddress` - the standard library's :mod:`ipaddress` types;
* :class:`PCIAddress` - ``dddd:bb:ss.f``.

``SetOfIntegersField`` and ``ListOfSetsOfIntegersField`` are rebound to the
sorted :class:`IntSet` so that code ported from o.vo becomes deterministic.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects.fields import (
    AutoTypedField,
    BooleanField,
    DictOfIntegersField,
    DictOfNullableStringsField,
    DictOfStringsField,
    DictProxyField,
    Enum,
    Field,
    FieldType,
    FloatField,
    IntegerField,
    List,
    ListOfIntegersField,
    ListOfObjectsField,
    ListOfStringsField,
    NonNegativeFloatField,
    NonNegativeIntegerField,
    ObjectField,
    SetOfStringsField,
    StringField,
    UnspecifiedDefault,
)

from zerodown.objects.versions import parse_version

__all__ = [
    "UUID",
    "AutoTypedField",
    "BooleanField",
    "CPUSet",
    "CPUSetField",
    "DateTime",
    "DateTimeField",
    "DictOfIntegersField",
    "DictOfNullableStringsField",
    "DictOfStringsField",
    "DictProxyField",
    "EnumField",
    "Field",
    "FieldType",
    "FloatField",
    "IPAddress",
    "IPAddressField",
    "IntSet",
    "IntSetField",
    "IntegerField",
    "ListOfCPUSetsField",
    "ListOfEnumsField",
    "ListOfIntegersField",
    "ListOfObjectsField",
    "ListOfSetsOfIntegersField",
    "ListOfStringsField",
    "NonNegativeFloatField",
    "NonNegativeIntegerField",
    "ObjectField",
    "PCIAddress",
    "PCIAddressField",
    "SetOfIntegersField",
    "SetOfStringsField",
    "StringField",
    "UUIDField",
    "UnspecifiedDefault",
    "VersionedEnum",
]

Obj = ovo_base.VersionedObject | None
IPAddressValue = ipaddress.IPv4Address | ipaddress.IPv6Address


class IntSet(FieldType[set[int]]):
    """A set of integers, at least ``minimum`` when one is given."""

    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = minimum

    def coerce(self, obj: Obj, attr: str, value: Any) -> set[int]:
        if not isinstance(value, (set, frozenset)):
            raise ValueError(
                f"{attr} needs a set of integers, not {type(value).__name__}"
            )
        for item in value:
            if type(item) is not int:
                raise ValueError(f"{attr} holds {item!r}, not an integer")
            if self.minimum is not None and item < self.minimum:
                raise ValueError(f"{attr} holds {item}, below {self.minimum}")
        return set(value)

    def to_primitive(self, obj: Any, attr: str, value: set[int]) -> object:
        return sorted(value)

    def from_primitive(self, obj: Any, attr: str, value: Any) -> set[int]:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{attr} needs a list, not {type(value)}")
        return self.coerce(obj, attr, set(value))

    def stringify(self, value: set[int]) -> str:
        return "set([{}])".format(",".join(str(v) for v in sorted(value)))

    def get_schema(self) -> dict[str, Any]:
        items: dict[str, Any] = {"type": ["integer"]}
        if self.minimum is not None:
            items["minimum"] = self.minimum
        return {"type": ["array"], "uniqueItems": True, "items": items}


class CPUSet(IntSet):
    """A set of CPU ids: non-negative integers."""

    def __init__(self) -> None:
        super().__init__(minimum=0)


class VersionedEnum(Enum):
    """An enum whose later values know the object version that added them.

    ``since`` maps a value to the first version of the *owning object*
    that may carry it; a backport to an older version refuses the value
    with :class:`~zerodown.objects.errors.UnrepresentableValue`.
    """

    def __init__(
        self,
        valid_values: Collection[str],
        since: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(valid_values)
        self.since = dict(since or {})
        for value, version in self.since.items():
            if value not in valid_values:
                raise ValueError(f"since names {value!r}, not a valid value")
            parse_version(version)


class DateTime(FieldType[datetime.datetime]):
    """A datetime whose primitive keeps microseconds and the UTC offset.

    A naive value is taken as UTC unless ``tzinfo_aware`` is false, as in
    oslo.versionedobjects.
    """

    def __init__(self, tzinfo_aware: bool = True) -> None:
        self.tzinfo_aware = tzinfo_aware

    def coerce(self, obj: Obj, attr: str, value: Any) -> datetime.datetime:
        if isinstance(value, str):
            value = parse_isotime(value)
        if not isinstance(value, datetime.datetime):
            raise ValueError(f"{attr} needs a datetime, not {type(value)}")
        if value.tzinfo is None and self.tzinfo_aware:
            return value.replace(tzinfo=datetime.timezone.utc)
        if not self.tzinfo_aware:
            return value.replace(tzinfo=None)
        return value

    def to_primitive(
        self, obj: Any, attr: str, value: datetime.datetime
    ) -> object:
        return value.isoformat()

    def from_primitive(
        self, obj: Any, attr: str, value: Any
    ) -> datetime.datetime:
        if not isinstance(value, str):
            raise ValueError(f"{attr} needs an ISO 8601 string")
        return self.coerce(obj, attr, parse_isotime(value))

    def stringify(self, value: datetime.datetime) -> str:
        return value.isoformat()

    def get_schema(self) -> dict[str, Any]:
        return {"type": ["string"], "format": "date-time"}


def parse_isotime(text: str) -> datetime.datetime:
    """Parse an ISO 8601 timestamp, accepting a trailing ``Z``."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(text)


class UUID(FieldType[str]):
    """A UUID kept as its canonical lowercase string."""

    # Each group spelled out: the same strings as ``(?:[0-9a-f]{4}-){3}``
    # matched in 60% of its time (a repeated group is costly in ``re``).
    PATTERN = re.compile(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    )

    def coerce(self, obj: Obj, attr: str, value: Any) -> str:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str) and len(value) <= 64:
            try:
                return str(uuid.UUID(value))
            except ValueError:
                pass
        raise ValueError(f"{attr} needs a UUID, not {value!r:.80}")

    def get_schema(self) -> dict[str, Any]:
        return {"type": ["string"], "format": "uuid"}


class IPAddress(FieldType[IPAddressValue]):
    """An IPv4 or IPv6 address from :mod:`ipaddress`."""

    def coerce(self, obj: Obj, attr: str, value: Any) -> IPAddressValue:
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return value
        if isinstance(value, str) and len(value) <= 64:
            try:
                return ipaddress.ip_address(value)
            except ValueError:
                pass
        raise ValueError(f"{attr} needs an IP address, not {value!r:.80}")

    def to_primitive(self, obj: Any, attr: str, value: IPAddressValue) -> str:
        return str(value)

    def from_primitive(self, obj: Any, attr: str, value: Any) -> Any:
        return self.coerce(obj, attr, value)

    def get_schema(self) -> dict[str, Any]:
        return {"type": ["string"], "format": "ip-address"}


class PCIAddress(FieldType[str]):
    """A PCI address ``domain:bus:slot.function`` in lowercase hex."""

    PATTERN = re.compile(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]")

    def coerce(self, obj: Obj, attr: str, value: Any) -> str:
        if isinstance(value, str) and self.PATTERN.fullmatch(value.lower()):
            return value.lower()
        raise ValueError(f"{attr} needs a PCI address, not {value!r:.80}")

    def get_schema(self) -> dict[str, Any]:
        return {"type": ["string"], "pattern": self.PATTERN.pattern}


class IntSetField(AutoTypedField[set[int]]):
    AUTO_TYPE = IntSet()


class CPUSetField(AutoTypedField[set[int]]):
    AUTO_TYPE = CPUSet()


class ListOfSetsOfIntegersField(AutoTypedField[list[set[int]]]):
    AUTO_TYPE = List(IntSet())


class ListOfCPUSetsField(AutoTypedField[list[set[int]]]):
    AUTO_TYPE = List(CPUSet())


SetOfIntegersField = IntSetField


class EnumField(AutoTypedField[str]):
    """An enum field; ``since`` dates values added after the first version.

    ::

        "cpu_policy": EnumField(
            ["dedicated", "shared", "mixed"], since={"mixed": "1.6"},
            nullable=True, default=None,
        )
    """

    def __init__(
        self,
        valid_values: Collection[str],
        *,
        since: Mapping[str, str] | None = None,
        nullable: bool = False,
        default: Any = UnspecifiedDefault,
        read_only: bool = False,
    ) -> None:
        self.AUTO_TYPE = VersionedEnum(valid_values, since)
        super().__init__(
            nullable=nullable, default=default, read_only=read_only
        )


class ListOfEnumsField(AutoTypedField[list[str]]):
    """A list of enum values, with ``since`` as for :class:`EnumField`."""

    def __init__(
        self,
        valid_values: Collection[str],
        *,
        since: Mapping[str, str] | None = None,
        nullable: bool = False,
        default: Any = UnspecifiedDefault,
    ) -> None:
        self.AUTO_TYPE = List(VersionedEnum(valid_values, since))
        super().__init__(nullable=nullable, default=default)


class DateTimeField(AutoTypedField[datetime.datetime]):
    def __init__(self, tzinfo_aware: bool = True, **kwargs: Any) -> None:
        self.AUTO_TYPE = DateTime(tzinfo_aware=tzinfo_aware)
        super().__init__(**kwargs)


class UUIDField(AutoTypedField[str]):
    AUTO_TYPE = UUID()


class IPAddressField(AutoTypedField[IPAddressValue]):
    AUTO_TYPE = IPAddress()


class PCIAddressField(AutoTypedField[str]):
    AUTO_TYPE = PCIAddress()
