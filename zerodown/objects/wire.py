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
==== =========================================================

Tuples travel as lists.  Dict keys must be ``str``, ``int`` or ``bytes``.

Decoding never runs code and never builds a class outside this list: the
result is plain data, and :class:`WireObject` is hydrated into an object
only by a registry.  Any bytes that are not a valid message - truncated,
oversized, nested too deep, an unknown extension type, a bad key or
extension payload - raise :class:`~zerodown.exceptions.MalformedPayload`
and nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime
import struct
from collections.abc import Callable
from typing import Any, NamedTuple

import msgpack

from zerodown.exceptions import MalformedPayload, UnencodableValue
from zerodown.objects import wiretypes

__all__ = ["DEFAULT_LIMITS", "Limits", "WireObject", "decode", "encode"]

EXT_DATETIME = wiretypes.EXT_DATETIME
EXT_UUID = wiretypes.EXT_UUID
EXT_IPV4 = wiretypes.EXT_IPV4
EXT_IPV6 = wiretypes.EXT_IPV6
EXT_SET = 5
EXT_FROZENSET = 6
EXT_OBJECT = 16


class WireObject(NamedTuple):
    """A versioned object as data: what travels and what a registry reads.

    ``data`` maps field names to wire-form values; child objects in it are
    ``[name, version, data]`` lists (plus ``changes`` when some are set).
    """

    namespace: str
    name: str
    version: str
    data: dict[str, Any]
    changes: list[str] | None = None


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds on what :func:`decode` accepts (and :func:`encode` makes)."""

    #: Largest message in bytes.
    max_size: int = 16 * 1024 * 1024
    #: Deepest nesting of lists, dicts, sets and objects.
    max_depth: int = 64


DEFAULT_LIMITS = Limits()

_SCALARS = frozenset({str, int, float, bool, bytes, type(None)})
_KEYS = frozenset({str, int, bytes})


# -- encoding ---------------------------------------------------------------


def encode(value: Any, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Encode ``value``; the same value always gives the same bytes.

    :raises UnencodableValue: for a type the codec does not carry, a dict
        key that is not ``str``/``int``/``bytes``, an integer beyond 64
        bits, nesting deeper than ``limits.max_depth`` or a result larger
        than ``limits.max_size``.
    """
    try:
        out: bytes = _pack(_prepare(value, 0, limits.max_depth))
    except UnencodableValue:
        raise
    except (TypeError, ValueError, OverflowError) as err:
        raise UnencodableValue(
            value_type=type(value).__name__, path="the message", reason=err
        ) from None
    if len(out) > limits.max_size:
        raise UnencodableValue(
            value_type=type(value).__name__,
            path="the message",
            reason=f"{len(out)} bytes exceed the limit of {limits.max_size}",
        )
    return out


def _pack(value: Any) -> bytes:
    return msgpack.packb(  # type: ignore[no-any-return]
        value, default=_default, strict_types=True, use_bin_type=True
    )


def _prepare(value: Any, depth: int, max_depth: int) -> Any:
    # Canonicalise the generic part of a message: sorted plain dicts and
    # lists.  Object data is canonical already (its plan sorts it).
    kind = type(value)
    if kind in _SCALARS or kind is WireObject:
        return value
    if depth >= max_depth:
        raise UnencodableValue(
            value_type=kind.__name__,
            path=f"depth {depth}",
            reason=f"nesting deeper than {max_depth}",
        )
    if isinstance(value, dict):
        return {
            key: _prepare(value[key], depth + 1, max_depth)
            for key in _sorted_keys(value)
        }
    if isinstance(value, (list, tuple)):
        return [_prepare(item, depth + 1, max_depth) for item in value]
    return value


def _sorted_keys(mapping: dict[Any, Any]) -> list[Any]:
    for key in mapping:
        if type(key) not in _KEYS:
            raise UnencodableValue(
                value_type=type(key).__name__,
                path="a dict key",
                reason="keys must be str, int or bytes",
            )
    try:
        return sorted(mapping)
    except TypeError:
        return sorted(mapping, key=lambda k: (type(k).__name__, k))


def _default(value: Any) -> Any:
    encoder = _ENCODERS.get(type(value))
    if encoder is not None:
        return encoder(value)
    for base, convert in _SUBCLASSES:
        if isinstance(value, base):
            return convert(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _object_ext(obj: WireObject) -> msgpack.ExtType:
    fields = [obj.namespace, obj.name, obj.version, obj.data, obj.changes]
    return msgpack.ExtType(EXT_OBJECT, _pack(fields))


def _set_ext(code: int) -> Callable[[Any], msgpack.ExtType]:
    def encode_set(value: set[Any] | frozenset[Any]) -> msgpack.ExtType:
        items = sorted(_pack(item) for item in value)
        return msgpack.ExtType(
            code, _array_header(len(items)) + b"".join(items)
        )

    return encode_set


def _array_header(count: int) -> bytes:
    if count < 16:
        return bytes([0x90 | count])
    if count < 0x10000:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def _scalar_ext(code: int, encode: Callable[[Any], bytes]) -> Any:
    return lambda value: msgpack.ExtType(code, encode(value))


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    **{
        kind: _scalar_ext(code, encode)
        for kind, (code, encode) in wiretypes.ENCODERS.items()
    },
    WireObject: _object_ext,
    set: _set_ext(EXT_SET),
    frozenset: _set_ext(EXT_FROZENSET),
    tuple: list,
}
# Subclasses of plain types (str enums, o.vo's coerced containers) travel
# as their base type.
_SUBCLASSES: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (bool, bool),
    (str, str),
    (int, int),
    (float, float),
    (bytes, bytes),
    (list, list),
    (tuple, list),
    (dict, lambda d: {k: d[k] for k in _sorted_keys(d)}),
    (set, _set_ext(EXT_SET)),
    (frozenset, _set_ext(EXT_FROZENSET)),
    (datetime.datetime, _scalar_ext(EXT_DATETIME, wiretypes.encode_datetime)),
)


# -- decoding ---------------------------------------------------------------


def decode(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Decode one message.

    :raises MalformedPayload: for anything that is not a valid message
        within ``limits``; no other exception escapes.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MalformedPayload(reason=f"{type(data).__name__} is not bytes")
    if len(data) > limits.max_size:
        raise MalformedPayload(
            reason=f"{len(data)} bytes exceed the limit of {limits.max_size}"
        )
    hook = _ExtHook(limits)
    try:
        value = hook.unpack(data)
    except MalformedPayload:
        raise
    except (ValueError, TypeError, OverflowError, KeyError) as err:
        raise MalformedPayload(reason=_reason(err)) from None
    _check(value, limits.max_depth)
    return value


def _reason(err: Exception) -> str:
    text = str(err) or type(err).__name__
    return text[:120]


class _ExtHook:
    """Decodes extension types of one message; counts object nesting."""

    __slots__ = ("depth", "limits")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.depth = 0

    def unpack(self, data: bytes) -> Any:
        return msgpack.unpackb(
            data,
            ext_hook=self,
            raw=False,
            strict_map_key=False,
            timestamp=3,
        )

    def __call__(self, code: int, payload: bytes) -> Any:
        decoder = _DECODERS.get(code)
        if decoder is None:
            raise MalformedPayload(reason=f"unknown extension type {code}")
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                raise MalformedPayload(
                    reason=f"nesting deeper than {self.limits.max_depth}"
                )
            return decoder(self, payload)
        finally:
            self.depth -= 1


def _bad(what: str) -> MalformedPayload:
    return MalformedPayload(reason=f"bad {what} extension payload")


def _decode_set(kind: type) -> Callable[[_ExtHook, bytes], Any]:
    def decode_set(hook: _ExtHook, payload: bytes) -> Any:
        items = hook.unpack(payload)
        if type(items) is not list:
            raise _bad("set")
        return kind(_hashable(item, hook.depth, hook.limits) for item in items)

    return decode_set


def _hashable(item: Any, depth: int, limits: Limits) -> Any:
    # Tuples were sent as lists; a set element must be hashable again.
    if type(item) is list:
        if depth >= limits.max_depth:
            raise MalformedPayload(reason="set elements nest too deep")
        return tuple(_hashable(i, depth + 1, limits) for i in item)
    if type(item) is dict:
        raise _bad("set")
    return item


def _decode_object(hook: _ExtHook, payload: bytes) -> WireObject:
    fields = hook.unpack(payload)
    if type(fields) is list and len(fields) == 5:
        namespace, name, version, data, changes = fields
        if (
            type(namespace) is str
            and type(name) is str
            and type(version) is str
            and type(data) is dict
            and (changes is None or type(changes) is list)
        ):
            return WireObject(namespace, name, version, data, changes)
    raise _bad("object")


def _scalar(name: str, decode: Callable[[bytes], Any]) -> Any:
    def decode_scalar(hook: _ExtHook, payload: bytes) -> Any:
        try:
            return decode(payload)
        except (ValueError, OverflowError, struct.error):
            raise _bad(name) from None

    return decode_scalar


_DECODERS: dict[int, Callable[[_ExtHook, bytes], Any]] = {
    **{
        code: _scalar(name, decode)
        for code, (name, decode) in wiretypes.DECODERS.items()
    },
    EXT_SET: _decode_set(set),
    EXT_FROZENSET: _decode_set(frozenset),
    EXT_OBJECT: _decode_object,
}
_NESTED = frozenset({list, dict, tuple, set, frozenset, WireObject})


def _check(value: Any, max_depth: int) -> None:
    # Bound the nesting of the decoded tree and check dict keys, so code
    # that walks a message recursively cannot be driven into the stack
    # limit.  Iterative: the check itself must not recurse.
    if type(value) not in _NESTED:
        return
    stack = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth >= max_depth:
            raise MalformedPayload(reason=f"nesting deeper than {max_depth}")
        kind = type(item)
        if kind is WireObject:
            if item.changes is not None:
                push((item.changes, depth + 1))
            item, kind = item.data, dict
        if kind is dict:
            for key, x in item.items():
                if type(key) not in _KEYS:
                    raise MalformedPayload(
                        reason=f"a {type(key).__name__} dict key"
                    )
                if type(x) in _NESTED:
                    push((x, depth + 1))
        else:
            for x in item:
                if type(x) in _NESTED:
                    push((x, depth + 1))
