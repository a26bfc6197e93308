"""Payloads of the wire codec's scalar extension types.

Each type has a code, an encoder ``value -> bytes`` and a decoder
``bytes -> value`` that raises :class:`ValueError` on a bad payload (the
codec turns it into :class:`~zerodown.objects.errors.MalformedPayload`).

A datetime is its wall-clock time (seconds since 1970-01-01 as a signed
64-bit integer, then microseconds) and a byte holding ``fold`` and the kind
of its time zone: none, a fixed offset (in microseconds, with its name if it
has one of its own), or an IANA zone by key.  Any other ``tzinfo`` travels
as the fixed offset it has at that moment, and so does a ``ZoneInfo`` that
is not the one its key loads here (``ZoneInfo.from_file``, ``no_cache``),
whose key the receiver would read as another zone or not at all.

The encoders refuse (:class:`ValueError`) what their decoders would: an
empty offset name, an IPv6 scope outside ``[A-Za-z0-9_.-]{1,32}``.  A zone
key is read only if it names a loadable zone: a key naming a directory of
the tz database, a file that is not a zone, or nothing raises
:class:`ValueError` like any other bad payload.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import struct
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any, TypeGuard

__all__ = [
    "DECODERS",
    "ENCODERS",
    "EXT_DATETIME",
    "EXT_IPV4",
    "EXT_IPV6",
    "EXT_UUID",
]

EXT_DATETIME = 1
EXT_UUID = 2
EXT_IPV4 = 3
EXT_IPV6 = 4

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=datetime.timezone.utc)
_HEAD = struct.Struct(">qIB")
_OFFSET = struct.Struct(">q")
_ZONE_KEY = re.compile(r"[A-Za-z0-9_+-]{1,30}(?:/[A-Za-z0-9_+-]{1,30}){0,3}")
_SCOPE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_NAIVE, _FIXED, _ZONE = 0, 1, 2
_UTC = _OFFSET.pack(0)


def encode_datetime(value: datetime.datetime) -> bytes:
    wall = (value.toordinal() - _EPOCH_ORDINAL) * 86400 + (
        value.hour * 3600 + value.minute * 60 + value.second
    )
    tz = value.tzinfo
    if tz is None:
        kind, rest = _NAIVE, b""
    elif tz is datetime.timezone.utc:
        # What _fixed_offset() gives UTC, without its lookups: most
        # datetimes a service sends are in UTC.
        kind, rest = _FIXED, _UTC
    elif _is_loaded_zone(tz):
        kind, rest = _ZONE, tz.key.encode()
    else:
        kind, rest = _FIXED, _fixed_offset(value, tz)
    head = _HEAD.pack(wall, value.microsecond, kind | (value.fold << 7))
    return head + rest


def _is_loaded_zone(tz: datetime.tzinfo) -> TypeGuard[zoneinfo.ZoneInfo]:
    # Only the zone ZoneInfo(key) gives travels by key: the receiver
    # loads that key, and another instance with the same key may hold
    # other rules.
    if type(tz) is not zoneinfo.ZoneInfo or not tz.key:
        return False
    return _ZONE_KEY.fullmatch(tz.key) is not None and _zone(tz.key) is tz


def _fixed_offset(value: datetime.datetime, tz: datetime.tzinfo) -> bytes:
    offset = value.utcoffset() or datetime.timedelta(0)
    name = tz.tzname(value) if isinstance(tz, datetime.timezone) else None
    default_name = datetime.timezone(offset).tzname(None)
    if name == "":
        # Read back, an empty label is no label: the default name.
        raise ValueError("a time zone with an empty name")
    label = b"" if name in (None, default_name) else str(name).encode()
    micros = offset // datetime.timedelta(microseconds=1)
    return _OFFSET.pack(micros) + label


def decode_datetime(payload: bytes) -> datetime.datetime:
    if len(payload) < _HEAD.size:
        raise ValueError("short datetime")
    wall, micros, kind = _HEAD.unpack_from(payload)
    if micros >= 1_000_000:
        raise ValueError("microseconds out of range")
    # (days, seconds, microseconds) positionally: keywords cost as much
    # again as the arithmetic.
    since = datetime.timedelta(0, wall, micros)
    rest = bytes(payload[_HEAD.size :])
    if kind == _FIXED and rest == _UTC:
        # What the encoder's UTC shortcut wrote: one addition, where the
        # general path builds a zone and a second datetime.
        return _EPOCH_UTC + since
    tz = _decode_tz(kind & 0x7F, rest)
    return (_EPOCH + since).replace(tzinfo=tz, fold=kind >> 7)


def _decode_tz(kind: int, rest: bytes) -> datetime.tzinfo | None:
    if kind == _NAIVE and not rest:
        return None
    if kind == _FIXED and len(rest) >= _OFFSET.size:
        (micros,) = _OFFSET.unpack_from(rest)
        offset = datetime.timedelta(microseconds=micros)
        label = rest[_OFFSET.size :].decode()
        if label:
            return datetime.timezone(offset, label)
        return datetime.timezone(offset)
    if kind == _ZONE:
        key = rest.decode()
        if _ZONE_KEY.fullmatch(key):
            zone = _zone(key)
            if zone is not None:
                return zone
            raise ValueError(f"unknown time zone {key!r}")
    raise ValueError("bad time zone")


def _zone(key: str) -> zoneinfo.ZoneInfo | None:
    """The zone ``key`` loads, or ``None``.

    A key that matches the pattern can still name a directory of the tz
    database (``America``: ``IsADirectoryError``), a file that is not a
    zone (``leapseconds``: ``ValueError``) or nothing.
    """
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, OSError, ValueError):
        return None


def decode_uuid(payload: bytes) -> uuid.UUID:
    if len(payload) != 16:
        raise ValueError("a UUID has 16 bytes")
    return uuid.UUID(bytes=bytes(payload))


def decode_ipv4(payload: bytes) -> ipaddress.IPv4Address:
    if len(payload) != 4:
        raise ValueError("an IPv4 address has 4 bytes")
    return ipaddress.IPv4Address(bytes(payload))


def encode_ipv6(value: ipaddress.IPv6Address) -> bytes:
    scope = value.scope_id or ""
    if scope and not _SCOPE.fullmatch(scope):
        raise ValueError(f"an IPv6 scope the decoder refuses: {scope!r:.40}")
    return value.packed + scope.encode()


def decode_ipv6(payload: bytes) -> ipaddress.IPv6Address:
    if len(payload) < 16:
        raise ValueError("an IPv6 address has 16 bytes")
    address = ipaddress.IPv6Address(bytes(payload[:16]))
    scope = bytes(payload[16:]).decode()
    if not scope:
        return address
    if not _SCOPE.fullmatch(scope):
        raise ValueError("bad IPv6 scope")
    return ipaddress.IPv6Address(f"{address}%{scope}")


#: ``type -> (code, encoder)``.
ENCODERS: dict[type, tuple[int, Callable[[Any], bytes]]] = {
    datetime.datetime: (EXT_DATETIME, encode_datetime),
    uuid.UUID: (EXT_UUID, lambda value: value.bytes),
    ipaddress.IPv4Address: (EXT_IPV4, lambda value: value.packed),
    ipaddress.IPv6Address: (EXT_IPV6, encode_ipv6),
}
#: ``code -> (name, decoder)``.
DECODERS: dict[int, tuple[str, Callable[[bytes], Any]]] = {
    EXT_DATETIME: ("datetime", decode_datetime),
    EXT_UUID: ("UUID", decode_uuid),
    EXT_IPV4: ("IPv4 address", decode_ipv4),
    EXT_IPV6: ("IPv6 address", decode_ipv6),
}
