"""Message bodies to bytes and back: a codec is two functions.

The default, :class:`WireCodec`, is zerodown's object wire format
(:mod:`zerodown.objects.wire`): msgpack in one layer, deterministic, with
versioned objects, sets, datetimes, UUIDs and IP addresses carried
losslessly, and one typed error for any malformed input.  A codec never
runs code or builds classes from input; objects are hydrated later, by a
registry, in the serializer.
"""

from __future__ import annotations

from typing import Any, Protocol

from zerodown.objects import wire

__all__ = ["Codec", "WireCodec"]


class Codec(Protocol):
    """Turns message bodies into bytes and back."""

    def encode(self, value: Any) -> bytes:
        """:raises UnencodableValue: for a value it cannot carry."""

    def decode(self, data: bytes) -> Any:
        """:raises MalformedPayload: for bytes that are not a body."""


class WireCodec:
    """:mod:`zerodown.objects.wire` as a :class:`Codec`.

    The message size limit is enforced around the codec (see
    :class:`~zerodown.rpc.protocol.Protocol`); ``max_depth`` bounds nesting.
    """

    def __init__(self, max_size: int, max_depth: int = 64) -> None:
        self.limits = wire.Limits(max_size=max_size, max_depth=max_depth)

    def encode(self, value: Any) -> bytes:
        return wire.encode(value, limits=self.limits)

    def decode(self, data: bytes) -> Any:
        return wire.decode(data, limits=self.limits)
