"""The wire codec's decoder: msgpack with an extension hook, then a walk
that checks what msgpack cannot.

msgpack hands each extension payload to :class:`ExtHook` as a fresh copy;
an object or set is decoded by unpacking that copy, so nested extensions
hold a chain of copies at once.  The hook bounds the chain
(:func:`~zerodown.objects.wireformat.chain_budget`) rather than avoiding
it: a legitimate message nests objects one or two deep, and the bound
keeps a message of ``n`` bytes at ``n`` plus the element limit however
deep an attacker nests.

:func:`check` walks the decoded tree for the level rule, dict keys and
msgpack's own timestamp extension (-1, which msgpack decodes without the
hook).  Messages larger than the element limit are scanned before msgpack
sees them (:mod:`wirescan`), which checks the same things, so the walk is
for the small ones.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import msgpack

from zerodown.objects import wiretypes
from zerodown.objects.errors import MalformedPayload
from zerodown.objects.wireformat import (
    EXT_FROZENSET,
    EXT_OBJECT,
    EXT_SET,
    MAX_COLLIDABLE,
    Limits,
    WireObject,
    chain_budget,
    colliding_members,
)

__all__ = ["ExtHook", "as_buffer", "check"]

Buffer = bytes | bytearray | memoryview

_KEYS = frozenset({str, int, bytes})
# What the walk stops at: containers, and msgpack's Timestamp (to refuse).
_NESTED = frozenset(
    {list, dict, tuple, set, frozenset, WireObject, msgpack.Timestamp}
)


def as_buffer(data: Any) -> Buffer:
    """``data`` as a buffer of bytes whose ``len`` counts bytes.

    :raises MalformedPayload: for anything else, such as a memoryview of
        an ``array('I')`` (whose length counts 4-byte items).
    """
    if isinstance(data, (bytes, bytearray)):
        return data
    if isinstance(data, memoryview) and data.itemsize == 1 and data.ndim == 1:
        return data.cast("B") if data.c_contiguous else data.tobytes()
    raise MalformedPayload(
        reason=f"{type(data).__name__} is not bytes "
        "(nor a memoryview of bytes)"
    )


class ExtHook:
    """Decodes the extension types of one message.

    ``depth`` counts the extensions being decoded inside each other: a
    guard against recursion (the level rule itself is checked on the
    result); ``live`` is the bytes of their payloads, held at once.
    """

    __slots__ = ("budget", "depth", "limits", "live")

    def __init__(self, limits: Limits, size: int) -> None:
        self.limits = limits
        self.budget = chain_budget(size, limits)
        self.depth = 0
        self.live = 0

    def unpack(self, data: Buffer) -> Any:
        return msgpack.unpackb(
            data,
            ext_hook=self,
            raw=False,
            strict_map_key=False,
            timestamp=0,
        )

    def __call__(self, code: int, payload: bytes) -> Any:
        decoder = _DECODERS.get(code)
        if decoder is None:
            raise MalformedPayload(reason=f"unknown extension type {code}")
        size = len(payload)
        self.live += size
        self.depth += 1
        try:
            self._check_chain()
            return decoder(self, payload)
        finally:
            self.live -= size
            self.depth -= 1

    def _check_chain(self) -> None:
        # Objects may sit at levels up to max_depth - 1, so max_depth of
        # them and a scalar extension inside can nest legitimately.
        if self.depth > self.limits.max_depth + 1:
            raise MalformedPayload(
                reason=f"nesting deeper than {self.limits.max_depth}"
            )
        if self.live > self.budget:
            raise MalformedPayload(
                reason=f"extension payloads nested inside each other hold "
                f"more than {self.budget} bytes"
            )


def _bad(what: str) -> MalformedPayload:
    return MalformedPayload(reason=f"bad {what} extension payload")


def _decode_set(kind: type) -> Callable[[ExtHook, bytes], Any]:
    def decode_set(hook: ExtHook, payload: bytes) -> Any:
        items = hook.unpack(payload)
        if type(items) is not list:
            raise _bad("set")
        if colliding_members(items) > MAX_COLLIDABLE:
            raise MalformedPayload(
                reason=f"a set holds more than {MAX_COLLIDABLE} members "
                "that are not strings, bytes or integers"
            )
        limit = hook.limits.max_depth
        return kind(_hashable(item, limit) for item in items)

    return decode_set


def _hashable(item: Any, levels: int) -> Any:
    # Tuples were sent as lists; a set element must be hashable again.
    # (``levels`` only bounds the recursion: check() applies the rule.)
    if type(item) is list:
        if levels <= 0:
            raise MalformedPayload(reason="set elements nest too deep")
        return tuple(_hashable(i, levels - 1) for i in item)
    if type(item) is dict:
        raise _bad("set")
    return item


def _decode_object(hook: ExtHook, payload: bytes) -> WireObject:
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
    def decode_scalar(hook: ExtHook, payload: bytes) -> Any:
        try:
            return decode(payload)
        except (ValueError, OverflowError, struct.error):
            raise _bad(name) from None

    return decode_scalar


_DECODERS: dict[int, Callable[[ExtHook, bytes], Any]] = {
    **{
        code: _scalar(name, decode)
        for code, (name, decode) in wiretypes.DECODERS.items()
    },
    EXT_SET: _decode_set(set),
    EXT_FROZENSET: _decode_set(frozenset),
    EXT_OBJECT: _decode_object,
}


def check(value: Any, max_depth: int) -> None:
    """Apply the level rule and the dict key rule to a decoded message.

    Level by level, not recursive: the walk itself cannot reach the
    recursion limit, and it holds one pointer per container of two levels
    (a stack of (item, level) pairs cost 64 bytes per container).
    """
    level = [value] if type(value) in _NESTED else []
    depth = 0
    while level:
        if depth >= max_depth:
            raise MalformedPayload(reason=f"nesting deeper than {max_depth}")
        below: list[Any] = []
        push = below.append
        for item in level:
            kind = type(item)
            if kind is WireObject:
                # One level, like a map: its values and change names are
                # below it.
                if item.changes is not None:
                    _push_nested(item.changes, push)
                item, kind = item.data, dict
            if kind is dict:
                if not _KEYS.issuperset(map(type, item)):
                    raise _bad_key(item)
                item = item.values()
            elif kind is msgpack.Timestamp:
                raise MalformedPayload(reason="unknown extension type -1")
            for x in item:
                if type(x) in _NESTED:
                    push(x)
        level = below
        depth += 1


def _push_nested(items: list[Any], push: Callable[[Any], None]) -> None:
    for x in items:
        if type(x) in _NESTED:
            push(x)


def _bad_key(mapping: dict[Any, Any]) -> MalformedPayload:
    key = next(k for k in mapping if type(k) not in _KEYS)
    return MalformedPayload(reason=f"a {type(key).__name__} dict key")
