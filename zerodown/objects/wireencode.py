"""The wire codec's encoder: one walk that makes a message canonical and
refuses what the decoder would refuse, then msgpack.

The walk (:meth:`Encoder.prepare`) turns every container into plain sorted
data at a known level, so the depth rule of :mod:`wireformat` holds
through lists, maps, sets and objects alike.  It recurses, but checks the
level before each step down, so a value deeper than ``max_depth`` (at most
128) is refused long before the Python recursion limit.  Objects and sets
become msgpack extensions here, their payloads packed as they are met;
scalar extensions (datetimes, UUIDs, addresses) are packed by msgpack's
``default`` hook.  Containers already plain and sorted are kept, not
copied.

Object data a plan made (:class:`~zerodown.objects.wireformat.
CanonicalData`) is sorted and plain already: it is packed as it is, after
one comparison of its height with the levels left.
"""

from __future__ import annotations

import datetime
import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

import msgpack

from zerodown.objects import wiretypes
from zerodown.objects.errors import UnencodableValue
from zerodown.objects.wireformat import (
    EXT_FROZENSET,
    EXT_OBJECT,
    EXT_SET,
    MAX_COLLIDABLE,
    CanonicalData,
    WireObject,
    colliding_members,
)

__all__ = ["Encoder"]

_KEYS = frozenset({str, int, bytes})
_SCALAR_EXTS: dict[type, tuple[int, Callable[[Any], bytes]]] = {
    datetime.datetime: (wiretypes.EXT_DATETIME, wiretypes.encode_datetime),
    uuid.UUID: (wiretypes.EXT_UUID, lambda value: value.bytes),
    ipaddress.IPv4Address: (wiretypes.EXT_IPV4, lambda value: value.packed),
    ipaddress.IPv6Address: (wiretypes.EXT_IPV6, wiretypes.encode_ipv6),
}
#: What prepare() passes through: plain scalars and scalar extensions.
_SCALARS = frozenset({str, int, float, bool, bytes, type(None), *_SCALAR_EXTS})
# msgpack's own extension values: -1 is refused by the decoder, and an
# ExtType would reach the wire unchecked.
_REFUSED = (msgpack.Timestamp, msgpack.ExtType)


class Encoder:
    """Encodes one message; holds the state of its walk.

    ``chains`` tracks, for the extension payloads being packed, the
    longest chain of payloads nested inside each (the decoder holds a
    chain at once, see :func:`~zerodown.objects.wireformat.chain_budget`);
    ``longest_chain`` is the message's.
    """

    __slots__ = ("chains", "longest_chain", "max_depth")

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.chains: list[int] = []
        self.longest_chain = 0

    def encode(self, value: Any) -> bytes:
        return self.pack(self.prepare(value, 0))

    def pack(self, value: Any) -> bytes:
        # strict_types: anything prepare() did not make plain (inside
        # CanonicalData, which it does not enter) goes through default().
        return msgpack.packb(  # type: ignore[no-any-return]
            value, default=self.default, strict_types=True, use_bin_type=True
        )

    # -- the walk -----------------------------------------------------------

    def prepare(self, value: Any, level: int) -> Any:
        """``value`` as plain sorted data, checked at ``level``."""
        kind = type(value)
        if kind in _SCALARS:
            return value
        handler = _HANDLERS.get(kind) or _handler_of(value)
        return handler(self, value, level)

    def enter(self, value: Any, level: int) -> int:
        """The level of the members of container ``value`` at ``level``."""
        if level >= self.max_depth:
            raise UnencodableValue(
                value_type=type(value).__name__,
                path=f"level {level}",
                reason=f"nesting deeper than {self.max_depth}",
            )
        return level + 1

    def mapping(self, value: dict[Any, Any], level: int) -> dict[Any, Any]:
        # Copy on write: a plain dict already sorted is kept as it is.
        # (dict's own methods, not a subclass's: no user code runs here.)
        inner = self.enter(value, level)
        keys = list(dict.keys(value))
        ordered = _sorted_keys(keys)
        same = type(value) is dict and keys == ordered
        if same and _SCALARS.issuperset(map(type, dict.values(value))):
            return value
        out = {}
        get = dict.__getitem__
        for key in ordered:
            item = get(value, key)
            if type(item) not in _SCALARS:
                new = self.prepare(item, inner)
                same = same and new is item
                item = new
            out[key] = item
        return value if same else out

    def sequence(self, value: Any, level: int) -> list[Any]:
        inner = self.enter(value, level)
        same = type(value) is list
        if same and _SCALARS.issuperset(map(type, value)):
            return value  # type: ignore[no-any-return]
        out = []
        for item in _items(value):
            if type(item) not in _SCALARS:
                new = self.prepare(item, inner)
                same = same and new is item
                item = new
            out.append(item)
        return value if same else out

    def canonical(self, value: CanonicalData, level: int) -> Any:
        # Its height counts its own level: containers at level .. level +
        # height - 1.  Beyond the bound, walk it for the exact answer.
        height = getattr(value, "height", None)
        if height is not None and level + height <= self.max_depth:
            return dict(value)
        return self.mapping(value, level)

    def object(self, value: WireObject, level: int) -> msgpack.ExtType:
        namespace, name, version, data, changes = value
        if not (
            type(namespace) is str
            and type(name) is str
            and type(version) is str
            and isinstance(data, dict)
        ):
            raise TypeError("an object needs str names and dict data")
        inner = self.enter(value, level)
        # The object is one level, like a map: its data's members and its
        # change names sit one below it.
        if type(data) is CanonicalData:
            data = self.canonical(data, level)
        else:
            data = self.mapping(data, level)
        if changes is not None:
            changes = [self.prepare(c, inner) for c in _items(changes)]
        fields = [namespace, name, version, data, changes]
        return self.extension(EXT_OBJECT, fields)

    def set(self, value: Any, level: int) -> msgpack.ExtType:
        inner = self.enter(value, level)
        if isinstance(value, frozenset):
            code, members = EXT_FROZENSET, list(frozenset.__iter__(value))
        else:
            code, members = EXT_SET, list(set.__iter__(value))
        if colliding_members(members) > MAX_COLLIDABLE:
            raise UnencodableValue(
                value_type=type(value).__name__,
                path=f"level {level}",
                reason=f"a set of more than {MAX_COLLIDABLE} members that "
                "are not strings, bytes or integers (the decoder refuses "
                "it: their hashes can be made to collide)",
            )
        self.chains.append(0)
        try:
            items = sorted(
                self.pack(self.prepare(item, inner)) for item in members
            )
        finally:
            below = self.chains.pop()
        payload = _array_header(len(items)) + b"".join(items)
        self.report(len(payload) + below)
        return msgpack.ExtType(code, payload)

    def extension(self, code: int, fields: list[Any]) -> msgpack.ExtType:
        self.chains.append(0)
        try:
            payload = self.pack(fields)
        finally:
            below = self.chains.pop()
        self.report(len(payload) + below)
        return msgpack.ExtType(code, payload)

    def report(self, chain: int) -> None:
        """A payload chain ending here: tell the payload around it."""
        chains = self.chains
        if chains:
            if chain > chains[-1]:
                chains[-1] = chain
        elif chain > self.longest_chain:
            self.longest_chain = chain

    # -- msgpack's hook ------------------------------------------------------

    def default(self, value: Any) -> Any:
        """Scalar extensions, and what CanonicalData may hold that strict
        msgpack does not pack itself (subclasses of plain types)."""
        found = _SCALAR_EXTS.get(type(value))
        if found is None:
            if not isinstance(value, datetime.datetime):
                return _plain_default(value)
            found = _SCALAR_EXTS[datetime.datetime]
        code, encode = found
        try:
            payload = encode(value)
        except Exception as err:
            # A tzinfo of the caller's own may raise anything from
            # utcoffset() or tzname(): still a value the codec cannot carry.
            raise ValueError(f"{type(value).__name__}: {err}") from None
        self.report(len(payload))
        return msgpack.ExtType(code, payload)


def _plain_default(value: Any) -> Any:
    for base, convert in _PLAIN_SUBCLASSES:
        if isinstance(value, base):
            return convert(value)
    # A set or object inside object data a plan did not make this way.
    raise TypeError(f"cannot encode {type(value).__name__} here")


def _sorted_keys(keys: list[Any]) -> list[Any]:
    if not _KEYS.issuperset(map(type, keys)):
        bad = next(key for key in keys if type(key) not in _KEYS)
        raise UnencodableValue(
            value_type=type(bad).__name__,
            path="a dict key",
            reason="keys must be str, int or bytes",
        )
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=_typed)


def _typed(key: Any) -> tuple[str, Any]:
    return type(key).__name__, key


def _items(value: Any) -> Any:
    # The base type's iterator, so that a subclass's __iter__ is not run.
    if isinstance(value, list):
        return list.__iter__(value)
    if isinstance(value, tuple):
        return tuple.__iter__(value)
    raise TypeError(f"cannot encode {type(value).__name__} as a list")


def _array_header(count: int) -> bytes:
    if count < 16:
        return bytes([0x90 | count])
    if count < 0x10000:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


Handler = Callable[[Encoder, Any, int], Any]

_HANDLERS: dict[type, Handler] = {
    dict: Encoder.mapping,
    list: Encoder.sequence,
    tuple: Encoder.sequence,
    CanonicalData: Encoder.canonical,
    WireObject: Encoder.object,
    set: Encoder.set,
    frozenset: Encoder.set,
}


def _refuse(encoder: Encoder, value: Any, level: int) -> Any:
    raise TypeError(f"cannot encode {type(value).__name__}")


def _refuse_value(value: Any) -> Any:
    raise TypeError(f"cannot encode {type(value).__name__}")


# Subclasses of plain types travel as their base type, by the base type's
# own conversion (an enum member's value, not its str()).  A datetime
# subclass is packed as a datetime.  Checked in this order.
_PLAIN_SUBCLASSES: tuple[tuple[type | tuple[type, ...], Any], ...] = (
    (_REFUSED, _refuse_value),
    (str, str.__str__),
    (int, int.__int__),
    (float, float.__float__),
    ((bytes, bytearray, memoryview), lambda v: bytes(memoryview(v))),
    (
        dict,
        lambda v: {k: dict.__getitem__(v, k) for k in _sorted_keys(list(v))},
    ),
    ((list, tuple), list),
)
_SUBCLASSES: tuple[tuple[type | tuple[type, ...], Handler], ...] = (
    (_REFUSED, _refuse),
    (WireObject, Encoder.object),
    (dict, Encoder.mapping),
    ((list, tuple), Encoder.sequence),
    ((set, frozenset), Encoder.set),
)


def _handler_of(value: Any) -> Handler:
    for base, handler in _SUBCLASSES:
        if isinstance(value, base):
            return handler
    # Scalars of other types: msgpack's default() converts or refuses.
    return _scalar


def _scalar(encoder: Encoder, value: Any, level: int) -> Any:
    return encoder.default(value)
