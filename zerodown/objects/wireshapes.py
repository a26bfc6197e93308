"""The wire codec's worst messages, and what decoding them costs.

Shipped beside the codec for its memory test and ``bench/objects.py``:
each shape builds the most expensive message of its kind that fits a
:class:`~zerodown.objects.wireformat.Limits`, either filling the size limit
(most are then refused, before anything is built) or as large as the
limits still accept.  :func:`decode_peak` measures the Python memory a
decode allocates at its peak (``tracemalloc``: deterministic, unlike RSS),
:func:`decode_seconds` its time.

Costs per element, decoded (CPython 3.11, 64-bit): an empty set 232 bytes
for its two elements (the extension and its list), a map of one entry
232 for three, an empty map 72, a list 64, an int beyond the small ones
40, a 2-character string 64, an IPv4 address 96.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import tracemalloc
from collections.abc import Callable

import msgpack

from zerodown.objects import wire
from zerodown.objects.errors import MalformedPayload
from zerodown.objects.wireformat import (
    BYTES_PER_ELEMENT,
    EXT_FROZENSET,
    EXT_OBJECT,
    EXT_SET,
    Limits,
)

__all__ = [
    "REFUSAL_MS_PER_MIB",
    "SHAPES",
    "Measurement",
    "decode_cpu_seconds",
    "decode_peak",
    "decode_seconds",
]

#: What refusing a message may cost, in CPU milliseconds per MiB of the
#: message: a refusal reads no further than its reason, as it goes, and
#: builds nothing it then throws away.  Decoding what is accepted costs
#: 50 to 1,000 ms per MiB (strings to sets); the scan refuses the shapes
#: below at up to 10 (lists of small ints nested, read until the element
#: limit), most of them after a few bytes.
REFUSAL_MS_PER_MIB = 25.0

Builder = Callable[[Limits], bytes]


@dataclasses.dataclass(frozen=True)
class Measurement:
    """What decoding one message cost."""

    size: int
    #: Bytes allocated at the peak, above what was allocated before.
    peak: int
    #: The reason it was refused, or None.
    refused: str | None


def decode_peak(data: bytes, limits: Limits) -> Measurement:
    """Decode ``data`` under ``tracemalloc``; its peak allocation."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    refused, value = None, None
    try:
        value = wire.decode(data, limits=limits)
    except MalformedPayload as err:
        refused = str(err.fields["reason"])
    peak = tracemalloc.get_traced_memory()[1] - before
    if not was_tracing:
        tracemalloc.stop()
    del value  # (after the measurement: freeing it is not the decode's)
    return Measurement(len(data), peak, refused)


def decode_seconds(data: bytes, limits: Limits, rounds: int = 3) -> float:
    """The best of ``rounds`` wall-clock times of decoding ``data``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        with contextlib.suppress(MalformedPayload):
            wire.decode(data, limits=limits)
        best = min(best, time.perf_counter() - start)
    return best


def decode_cpu_seconds(data: bytes, limits: Limits, rounds: int = 3) -> float:
    """The least CPU time (this process's) of ``rounds`` decodes of
    ``data``: other processes on a busy machine do not count."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        with contextlib.suppress(MalformedPayload):
            wire.decode(data, limits=limits)
        best = min(best, time.process_time() - start)
    return best


# -- the shapes ---------------------------------------------------------------


def _array(count: int, item: bytes) -> bytes:
    return b"\xdd" + count.to_bytes(4, "big") + item * count


def _filling(item: bytes) -> Builder:
    # As many items as fit the size limit: refused for their number.
    return lambda limits: _array((limits.max_size - 5) // len(item), item)


def _accepted(item: bytes, elements: int) -> Builder:
    # As many items (of ``elements`` elements each) as the limit admits.
    def build(limits: Limits) -> bytes:
        count = (limits.element_limit - 1) // elements
        return _array(min(count, (limits.max_size - 5) // len(item)), item)

    return build


def _nested(code: int, depth: int, fill: float) -> Builder:
    # ``depth`` objects or frozensets inside each other around a binary
    # that makes the message ``fill`` of the size limit (or of the element
    # limit's worth of bytes, when ``fill`` is 0).
    def build(limits: Limits) -> bytes:
        size = int(limits.max_size * fill) or limits.element_limit
        body = _wrap(code, b"x" * max(0, size - 24 * depth - 64))
        for _ in range(depth - 1):
            body = _wrap(code, msgpack.ExtType(code, body))
        return _pack(msgpack.ExtType(code, body))

    return build


def _wrap(code: int, inner: object) -> bytes:
    if code == EXT_OBJECT:
        return _pack(["ns", "X", "1.0", {"c": inner}, None])
    return _pack([inner])


def _pack(value: object) -> bytes:
    return msgpack.packb(value)  # type: ignore[no-any-return]


def _deep_lists(limits: Limits) -> bytes:
    pad = limits.max_size - 1005
    return b"\x91" * 1000 + b"\xc6" + pad.to_bytes(4, "big") + b"x" * pad


def _open_lists(limits: Limits) -> bytes:
    # Lists inside lists, each holding many small ints before the next:
    # what msgpack's list hook would only see once everything is built.
    per = max(1, limits.element_limit // 16)
    level = b"\xdd" + (per + 1).to_bytes(4, "big") + b"\xe0" * per
    count = min(1000, (limits.max_size - 1) // len(level))
    return level * count + b"\xc0"


def _many_keys(limits: Limits) -> bytes:
    count = (limits.max_size - 5) // 6
    entries = b"".join(
        b"\xce" + i.to_bytes(4, "big") + b"\xc0" for i in range(count)
    )
    return b"\xdf" + count.to_bytes(4, "big") + entries


def _false_claims(limits: Limits) -> bytes:
    claim = b"\xdd" + (limits.max_size // 2).to_bytes(4, "big")
    return claim * 1000 + b"\xc0" * (limits.max_size - 5000)


def _blob(head: int, text: bytes) -> Builder:
    def build(limits: Limits) -> bytes:
        size = limits.max_size - 5
        body = b"a" * (size - len(text)) + text
        return bytes([head]) + size.to_bytes(4, "big") + body

    return build


def _string_and_sets(limits: Limits) -> bytes:
    # One object with a long non-ASCII string and the empty sets the
    # element limit leaves: the two costliest things, mixed.
    sets = limits.element_limit // 2 - 64
    left = (limits.element_limit - 2 * sets - 64) * BYTES_PER_ELEMENT
    text = "a" * max(0, left - 4) + "\U0001f600"
    empty = msgpack.ExtType(EXT_SET, b"\x90")
    fields = ["ns", "X", "1.0", {"s": text, "z": [empty] * sets}, None]
    return _pack(msgpack.ExtType(EXT_OBJECT, _pack(fields)))


_EMPTY_SET = bytes([0xD4, EXT_SET, 0x90])

#: name -> builder, in the order the benchmark prints them.
SHAPES: dict[str, Builder] = {
    "63 nested objects": _nested(EXT_OBJECT, 63, 1.0),
    "63 nested objects, small": _nested(EXT_OBJECT, 63, 0.0),
    "63 nested frozensets": _nested(EXT_FROZENSET, 63, 1.0),
    "1000 nested lists": _deep_lists,
    "lists of small ints, nested": _open_lists,
    "empty maps": _filling(b"\x80"),
    "empty maps, accepted": _accepted(b"\x80", 1),
    "maps of one entry": _filling(b"\x81\x01\xc0"),
    "maps of one entry, accepted": _accepted(b"\x81\x01\xc0", 3),
    "empty lists": _filling(b"\x90"),
    "empty sets": _filling(_EMPTY_SET),
    "empty sets, accepted": _accepted(_EMPTY_SET, 2),
    "2-character strings": _filling(b"\xa2ab"),
    "2-character strings, accepted": _accepted(b"\xa2ab", 1),
    "small negative ints": _filling(b"\xe0"),
    "small negative ints, accepted": _accepted(b"\xe0", 1),
    "float32s": _filling(b"\xca\x3f\x80\x00\x01"),
    "IPv4 addresses": _filling(b"\xd6\x03\x01\x02\x03\x04"),
    "IPv4 addresses, accepted": _accepted(b"\xd6\x03\x01\x02\x03\x04", 1),
    "a map of many int keys": _many_keys,
    "arrays claiming more than present": _false_claims,
    "a long string": _blob(0xDB, b""),
    "a long non-ASCII string": _blob(0xDB, "\U0001f600".encode()),
    "a big binary": _blob(0xC6, b""),
    "a long string and empty sets": _string_and_sets,
}
