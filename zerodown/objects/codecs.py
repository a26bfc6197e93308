"""Per-type value codecs: the compiled half of an object's field walk.

Every field type gets a :class:`Codec` of four plain functions - to and
from the wire form (native values the msgpack codec carries: datetimes,
addresses, sorted lists for sets) and to and from the JSON-safe primitive
that oslo.versionedobjects uses.  Decoders check types exactly (``True`` is
not an integer, a set is not a list) and raise :class:`Mismatch`, which
the caller turns into a :class:`~zerodown.objects.errors.WrongFieldType` that
names the object, version and field.

A field type outside this table can supply its own codec with a
``zerodown_codec()`` method; otherwise its o.vo ``to_primitive`` /
``from_primitive`` / ``coerce`` are used, with their errors translated.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from collections.abc import Callable
from typing import Any, cast

from oslo_versionedobjects import fields as ovo

from zerodown.objects import fields as zd

__all__ = ["Codec", "Mismatch", "codec_for"]

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

_INT = frozenset({int})
_IP_TYPES = (ipaddress.IPv4Address, ipaddress.IPv6Address)


class Mismatch(Exception):
    """Internal: a value does not fit its type (never escapes the package)."""

    def __init__(self, expected: str, got: Any) -> None:
        super().__init__(expected)
        self.expected = expected
        self.got = _show(got)


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


@dataclasses.dataclass(frozen=True)
class Codec:
    """How one field type travels; ``None`` encoders pass values through."""

    expected: str
    to_wire: Encoder | None
    from_wire: Decoder
    to_primitive: Encoder | None
    from_primitive: Decoder
    child: str | None = None
    many: bool = False
    subclasses: bool = False
    enum: frozenset[str] | None = None
    #: A type whose exact instances decode to themselves (a fast path).
    exact: type | None = None
    #: Levels of containers in a wire value (0 for a scalar, 1 for a list
    #: of scalars), when every value is plain data of exact types; None
    #: when unknown, and then the encoder looks at the value.
    height: int | None = None


def codec_for(field: ovo.Field[Any]) -> Codec:
    """The codec of ``field``'s type (its own nullability is the plan's)."""
    ftype = field._type
    hook = getattr(ftype, "zerodown_codec", None)
    if hook is not None:
        return cast(Codec, hook())
    for klass in type(ftype).__mro__:
        builder = _BUILDERS.get(klass)
        if builder is not None:
            return builder(ftype)
    return _fallback(ftype)


def _element(field: ovo.Field[Any]) -> Codec:
    codec = codec_for(field)
    if codec.child is not None:
        raise TypeError("objects inside sets or dicts are not supported")
    if not field.nullable:
        return codec
    return dataclasses.replace(
        codec,
        expected=f"{codec.expected} or null",
        to_wire=_nullable_enc(codec.to_wire),
        from_wire=_nullable_dec(codec.from_wire),
        to_primitive=_nullable_enc(codec.to_primitive),
        from_primitive=_nullable_dec(codec.from_primitive),
    )


def _nullable_enc(enc: Encoder | None) -> Encoder | None:
    if enc is None:
        return None
    return lambda v: None if v is None else enc(v)


def _nullable_dec(dec: Decoder) -> Decoder:
    return lambda v: None if v is None else dec(v)


def _exact(expected: str, kind: type) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is kind:
            return value
        raise Mismatch(expected, value)

    return decode


def _plain(expected: str, decode: Decoder, **kw: Any) -> Codec:
    return Codec(expected, None, decode, None, decode, height=0, **kw)


def _above(codec: Codec) -> int | None:
    """The height of a container of ``codec``'s values."""
    return None if codec.height is None else codec.height + 1


def _integer(ftype: Any) -> Codec:
    return _plain("an integer", _exact("an integer", int), exact=int)


def _non_negative(ftype: Any) -> Codec:
    def decode(value: Any) -> int:
        if type(value) is int and value >= 0:
            return value
        raise Mismatch("a non-negative integer", value)

    return _plain("a non-negative integer", decode)


def _float(ftype: Any) -> Codec:
    def decode(value: Any) -> float:
        kind = type(value)
        if kind is float:
            return cast(float, value)
        if kind is int:
            return float(value)
        raise Mismatch("a number", value)

    return _plain("a number", decode, exact=float)


def _boolean(ftype: Any) -> Codec:
    def decode(value: Any) -> bool:
        if value is True or value is False:
            return value
        raise Mismatch("a boolean", value)

    return _plain("a boolean", decode, exact=bool)


def _string(ftype: Any) -> Codec:
    return _plain("a string", _exact("a string", str), exact=str)


def _enum(ftype: ovo.Enum) -> Codec:
    values = frozenset(ftype.valid_values)
    expected = "one of " + ", ".join(sorted(values))

    def decode(value: Any) -> str:
        if type(value) is str and value in values:
            return value
        raise Mismatch(expected, value)

    return _plain(expected, decode, enum=values)


def _pattern(ftype: zd.UUID | zd.PCIAddress) -> Codec:
    match = ftype.PATTERN.fullmatch
    expected = f"a {type(ftype).__name__}"

    def decode(value: Any) -> str:
        if type(value) is str and match(value):
            return value
        raise Mismatch(expected, value)

    return _plain(expected, decode)


def _int_set(ftype: zd.IntSet) -> Codec:
    minimum = ftype.minimum
    expected = "a set of integers" if minimum is None else "a set of CPU ids"

    def from_list(value: Any) -> set[int]:
        if type(value) is list or type(value) is tuple:
            if not value:
                return set()
            if set(map(type, value)) == _INT:
                found = set(value)
                if len(found) == len(value) and (
                    minimum is None or min(found) >= minimum
                ):
                    return found
        raise Mismatch(expected, value)

    def from_wire(value: Any) -> set[int]:
        if type(value) is not list:
            raise Mismatch(expected, value)
        return from_list(value)

    return Codec(expected, sorted, from_wire, sorted, from_list, height=1)


def _datetime(ftype: zd.DateTime | ovo.DateTime) -> Codec:
    aware = ftype.tzinfo_aware
    expected = "an aware datetime" if aware else "a naive datetime"

    def from_wire(value: Any) -> datetime.datetime:
        if type(value) is datetime.datetime and (
            (value.tzinfo is not None) is aware
        ):
            return value
        raise Mismatch(expected, value)

    if isinstance(ftype, zd.DateTime):
        to_prim: Encoder = datetime.datetime.isoformat
    else:
        to_prim = _call_to(ftype)

    def from_primitive(value: Any) -> datetime.datetime:
        if type(value) is not str or len(value) > 64:
            raise Mismatch("an ISO 8601 timestamp", value)
        try:
            return ftype.coerce(None, "", zd.parse_isotime(value))
        except ValueError as err:
            raise Mismatch("an ISO 8601 timestamp", value) from err

    return Codec(expected, None, from_wire, to_prim, from_primitive, height=0)


def _ip_address(ftype: zd.IPAddress) -> Codec:
    expected = "an IP address"

    def from_wire(value: Any) -> Any:
        if type(value) in _IP_TYPES:
            return value
        raise Mismatch(expected, value)

    def from_primitive(value: Any) -> Any:
        try:
            return ftype.coerce(None, "", value)
        except ValueError as err:
            raise Mismatch(expected, value) from err

    return Codec(expected, None, from_wire, str, from_primitive, height=0)


def _list(ftype: ovo.List[Any]) -> Codec:
    element = ftype._element_type
    if isinstance(element._type, ovo.Object):
        child = element._type
        return Codec(
            f"a list of {child._obj_name} objects",
            None,
            _never,
            None,
            _never,
            child=child._obj_name,
            many=True,
            subclasses=child._subclasses,
        )
    codec = _element(element)
    expected = f"a list of {_plural(codec.expected)}"
    return Codec(
        expected,
        _map_list(codec.to_wire),
        _decode_list(expected, codec.from_wire, (list,)),
        _map_list(codec.to_primitive),
        _decode_list(expected, codec.from_primitive, (list, tuple)),
        enum=codec.enum,
        height=_above(codec),
    )


def _plural(text: str) -> str:
    return text.split(" ", 1)[1] + "s" if text.startswith("a") else text


def _map_list(enc: Encoder | None) -> Encoder:
    if enc is None:
        return list
    return lambda value: [enc(item) for item in value]


def _decode_list(
    expected: str, dec: Decoder, kinds: tuple[type, ...]
) -> Decoder:
    def decode(value: Any) -> list[Any]:
        if type(value) not in kinds:
            raise Mismatch(expected, value)
        return [dec(item) for item in value]

    return decode


def _set(ftype: ovo.Set[Any]) -> Codec:
    codec = _element(ftype._element_type)
    expected = f"a set of {_plural(codec.expected)}"

    def encoder(enc: Encoder | None) -> Encoder:
        def encode(value: Any) -> list[Any]:
            items = list(value) if enc is None else [enc(v) for v in value]
            try:
                return sorted(items)
            except TypeError:
                return sorted(items, key=repr)

        return encode

    def decoder(dec: Decoder, kinds: tuple[type, ...]) -> Decoder:
        def decode(value: Any) -> set[Any]:
            if type(value) not in kinds:
                raise Mismatch(expected, value)
            found = {dec(item) for item in value}
            if len(found) != len(value):
                raise Mismatch(expected + " without repeats", value)
            return found

        return decode

    return Codec(
        expected,
        encoder(codec.to_wire),
        decoder(codec.from_wire, (list,)),
        encoder(codec.to_primitive),
        decoder(codec.from_primitive, (list, tuple)),
        height=_above(codec),
    )


def _dict(ftype: ovo.Dict[Any]) -> Codec:
    codec = _element(ftype._element_type)
    expected = f"a dict of {_plural(codec.expected)}"

    def encoder(enc: Encoder | None) -> Encoder:
        if enc is None:
            return lambda value: {k: value[k] for k in sorted(value)}
        return lambda value: {k: enc(value[k]) for k in sorted(value)}

    def decoder(dec: Decoder) -> Decoder:
        def decode(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise Mismatch(expected, value)
            out = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise Mismatch("string keys", key)
                out[key] = dec(item)
            return out

        return decode

    return Codec(
        expected,
        encoder(codec.to_wire),
        decoder(codec.from_wire),
        encoder(codec.to_primitive),
        decoder(codec.from_primitive),
        height=_above(codec),
    )


def _object(ftype: ovo.Object) -> Codec:
    return Codec(
        f"a {ftype._obj_name} object",
        None,
        _never,
        None,
        _never,
        child=ftype._obj_name,
        subclasses=ftype._subclasses,
    )


def _never(value: Any) -> Any:
    raise AssertionError("object fields are decoded by the plan")


def _call_to(ftype: ovo.FieldType[Any]) -> Encoder:
    return lambda value: ftype.to_primitive(cast(Any, None), "", value)


def _fallback(ftype: ovo.FieldType[Any]) -> Codec:
    # A type without a codec travels as its o.vo primitive; o.vo's own
    # conversions raise assorted builtin errors, turned into Mismatch here.
    expected = f"a {type(ftype).__name__}"

    def decode(value: Any) -> Any:
        try:
            parsed = ftype.from_primitive(cast(Any, None), "", value)
            return ftype.coerce(None, "", parsed)
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            IndexError,
            OverflowError,
        ) as err:
            raise Mismatch(expected, value) from err

    encode = _call_to(ftype)
    return Codec(expected, encode, decode, encode, decode)


_BUILDERS: dict[type, Callable[[Any], Codec]] = {
    ovo.Integer: _integer,
    ovo.NonNegativeInteger: _non_negative,
    ovo.Float: _float,
    ovo.NonNegativeFloat: _fallback,
    ovo.Boolean: _boolean,
    ovo.String: _string,
    ovo.SensitiveString: _string,
    ovo.Enum: _enum,
    ovo.UUID: _string,
    ovo.DateTime: _datetime,
    ovo.List: _list,
    ovo.Set: _set,
    ovo.Dict: _dict,
    ovo.Object: _object,
    zd.IntSet: _int_set,
    zd.DateTime: _datetime,
    zd.UUID: _pattern,
    zd.PCIAddress: _pattern,
    zd.IPAddress: _ip_address,
}
