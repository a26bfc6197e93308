"""The wire codec: msgpack, one layer, deterministic, strict on input.

:func:`encode` turns a message - dicts, lists, scalars, bytes and the types
below, with objects already turned into :class:`WireObject` by
``obj_to_wire`` or the serializer - into bytes; :func:`decode` turns bytes
back.  The same value always gives the same bytes: dict keys are sorted,
set elements are sorted by their encoding.

Types carried losslessly, as msgpack extension types:

==== =========================================================
code type
==== =========================================================
1    :class:`datetime.datetime` - microseconds, ``fold``, naive, fixed
     offsets with their names, and IANA zones by key
2    :class:`uuid.UUID` (16 bytes)
3    :class:`ipaddress.IPv4Address` (4 bytes)
4    :class:`ipaddress.IPv6Address` (16 bytes and the scope id)
5, 6 ``set`` / ``frozenset``
16   :class:`WireObject` - a versioned object
-1   msgpack's own timestamp: refused, like any code not listed here
     (zerodown never writes it, and a second encoding of datetimes
     would break "the same value, the same bytes")
==== =========================================================

Tuples travel as lists; subclasses of ``str``, ``int``, ``float`` and
``bytes`` (enum members among them) as their base type's value.  Dict
keys must be ``str``, ``int`` or ``bytes``.

:class:`Limits` bound a message's size, its nesting (lists, maps, sets and
objects alike) and its number of elements, and the two directions agree:
:func:`encode` refuses what :func:`decode` would.  Decoding costs memory
in proportion to the message, not to its depth, and a message is refused
in time proportional to the bytes read (see :mod:`wireformat` for the
rules and :mod:`wirescan` for how large messages are checked before they
are built).

Decoding never runs code and never builds a class outside this list: the
result is plain data, and :class:`WireObject` is hydrated into an object
only by a registry.  Any bytes that are not a valid message - truncated,
oversized, nested too deep, holding too many elements, an unknown
extension type, a bad key or extension payload - raise
:class:`~zerodown.objects.errors.MalformedPayload` and nothing else; encoding
raises :class:`~zerodown.objects.errors.UnencodableValue` and nothing else.
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack

from zerodown.objects import wirescan
from zerodown.objects.errors import MalformedPayload, UnencodableValue
from zerodown.objects.wiredecode import Buffer, ExtHook, as_buffer, check
from zerodown.objects.wireencode import Encoder
from zerodown.objects.wireformat import (
    DEFAULT_LIMITS,
    Limits,
    WireObject,
    chain_budget,
)

# The extension codes, where they have always been read from.
from zerodown.objects.wireformat import EXT_DATETIME as EXT_DATETIME
from zerodown.objects.wireformat import EXT_FROZENSET as EXT_FROZENSET
from zerodown.objects.wireformat import EXT_IPV4 as EXT_IPV4
from zerodown.objects.wireformat import EXT_IPV6 as EXT_IPV6
from zerodown.objects.wireformat import EXT_OBJECT as EXT_OBJECT
from zerodown.objects.wireformat import EXT_SET as EXT_SET
from zerodown.objects.wireformat import EXT_UUID as EXT_UUID

__all__ = ["DEFAULT_LIMITS", "Limits", "WireObject", "decode", "encode"]

# Errors msgpack and the payload decoders raise for bad input (msgpack's
# own are ValueErrors but for OutOfData); RecursionError for a caller
# already near the recursion limit.
_DECODE_ERRORS = (
    ValueError,
    TypeError,
    OverflowError,
    KeyError,
    struct.error,
    RecursionError,
    BufferError,
    msgpack.UnpackException,
)
_ENCODE_ERRORS = (TypeError, ValueError, OverflowError, RecursionError)


def encode(value: Any, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Encode ``value``; the same value always gives the same bytes.

    :raises UnencodableValue: for a type the codec does not carry, a dict
        key that is not ``str``/``int``/``bytes``, an integer beyond 64
        bits, or a message :func:`decode` would refuse with the same
        ``limits``: nested deeper than ``max_depth``, larger than
        ``max_size``, holding more than the element limit.
    """
    encoder = Encoder(limits.max_depth)
    try:
        out = encoder.encode(value)
    except UnencodableValue:
        raise
    except _ENCODE_ERRORS as err:
        raise _unencodable(value, str(err) or type(err).__name__) from None
    if len(out) > limits.max_size:
        reason = f"{len(out)} bytes exceed the limit of {limits.max_size}"
        raise _unencodable(value, reason)
    chain = encoder.longest_chain
    if chain > len(out) and chain > chain_budget(len(out), limits):
        reason = "extensions nested inside each other hold too many bytes"
        raise _unencodable(value, reason)
    if len(out) > limits.element_limit:
        # As many elements as bytes at most: only a large message can
        # hold too many, and only then is it worth counting.
        try:
            wirescan.scan(out, limits)
        except MalformedPayload as err:
            raise _unencodable(value, err.fields["reason"]) from None
    return out


def _unencodable(value: Any, reason: str) -> UnencodableValue:
    return UnencodableValue(
        value_type=type(value).__name__, path="the message", reason=reason
    )


def decode(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Decode one message.

    ``data`` is ``bytes``, ``bytearray`` or a one-dimensional memoryview
    of bytes.

    :raises MalformedPayload: for anything that is not a valid message
        within ``limits``; no other exception escapes.
    """
    try:
        return _decode(as_buffer(data), limits)
    except MalformedPayload:
        raise
    except _DECODE_ERRORS as err:
        raise MalformedPayload(reason=_reason(err)) from None


def _decode(buffer: Buffer, limits: Limits) -> Any:
    size = len(buffer)
    if size > limits.max_size:
        raise MalformedPayload(
            reason=f"{size} bytes exceed the limit of {limits.max_size}"
        )
    # Small messages are walked after decoding; a message that may hold
    # more elements than allowed is scanned before anything is built.
    scanned = size > limits.element_limit
    if scanned:
        wirescan.scan(buffer, limits)
    value = ExtHook(limits, size).unpack(buffer)
    if not scanned:
        check(value, limits.max_depth)
    return value


def _reason(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text[:120]
