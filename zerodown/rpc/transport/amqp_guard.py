"""Make py-amqp read whatever a peer sends without raising.

py-amqp decodes a delivery's properties and its method arguments inside
``drain_events``, before any callback of ours runs.  Some peer-controlled
bytes make that decoding raise: a ``message_id``, ``reply_to`` or
``correlation_id`` that is not UTF-8, a header timestamp out of range,
an exchange or routing key that is not UTF-8 (anything goes through a
fanout exchange).  The exception would end the consuming loop, and the
message, never acknowledged, would come back to do it again.

:func:`install` wraps the two places (once per process):

* a content header that does not decode becomes properties holding only
  ``zd_unreadable`` (the reason); the message reaches the server, which
  refuses it like any unreadable message and acknowledges it;
* method arguments of plain fields (short strings, integers, bits) with
  text that is not UTF-8 are read again with the bad bytes escaped.

Nothing changes for input py-amqp already reads.
"""

from __future__ import annotations

import struct
import threading
from typing import Any

__all__ = ["UNREADABLE", "install"]

#: The property that says why a delivery's header could not be read.
UNREADABLE = "zd_unreadable"

_LOCK = threading.Lock()
_INSTALLED = False
# Method-argument letters this module reads itself: bit, octet, short,
# long, long long, short string, long string.
_PLAIN = frozenset("boBlLsS")


def install() -> None:
    """Wrap py-amqp's decoding of peer input (idempotent)."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        import amqp.abstract_channel  # type: ignore[import-untyped]
        import amqp.basic_message  # type: ignore[import-untyped]

        message = amqp.basic_message.Message
        message._load_properties = _tolerant_properties(
            message._load_properties
        )
        channels = amqp.abstract_channel
        channels.loads = _tolerant_loads(channels.loads)
        _INSTALLED = True


def _tolerant_properties(original: Any) -> Any:
    def load_properties(
        self: Any, class_id: int, buf: Any, offset: int
    ) -> Any:
        try:
            return original(self, class_id, buf, offset)
        except Exception as err:
            # Any bytes at all: the delivery goes on, marked unreadable.
            self.properties = {
                UNREADABLE: f"{type(err).__name__}: {err}"[:200]
            }
            return offset

    return load_properties


def _tolerant_loads(original: Any) -> Any:
    def loads(format: Any, buf: Any, offset: int) -> Any:
        try:
            return original(format, buf, offset)
        except UnicodeDecodeError:
            letters = format.decode() if isinstance(format, bytes) else format
            if not set(letters) <= _PLAIN:
                raise
            return _read_plain(letters, bytes(buf), offset)

    return loads


def _read_plain(
    letters: str, buf: bytes, offset: int
) -> tuple[list[Any], int]:
    """AMQP method arguments of plain fields, text escaped where it is
    not UTF-8 (the layout of AMQP 0-9-1, section 4.2.5)."""
    values: list[Any] = []
    bits, bit_count = 0, 0
    for letter in letters:
        if letter == "b":
            if not bit_count:
                bits, bit_count = buf[offset], 8
                offset += 1
            values.append(bool(bits & 1))
            bits, bit_count = bits >> 1, bit_count - 1
            continue
        bit_count = 0
        if letter in "sS":
            size_format = ">B" if letter == "s" else ">I"
            (size,) = struct.unpack_from(size_format, buf, offset)
            offset += struct.calcsize(size_format)
            text = buf[offset : offset + size]
            values.append(text.decode("utf-8", "surrogateescape"))
            offset += size
        else:
            number_format = {"o": ">B", "B": ">H", "l": ">I", "L": ">Q"}
            (value,) = struct.unpack_from(number_format[letter], buf, offset)
            values.append(value)
            offset += struct.calcsize(number_format[letter])
    return values, offset
