"""What the wire codec's encoder, decoder and scanner share: extension
codes, :class:`WireObject`, :class:`CanonicalData` and :class:`Limits`.

The rules stated here hold on both sides, so that the encoder refuses
exactly what the decoder would:

- **levels**: the message itself is at level 0; the members of a
  container at level ``d`` are at level ``d + 1``.  Lists, maps, sets,
  frozensets and objects are containers; an object's members are its
  field values (and its change names), a set's its elements.  A container
  may sit at levels ``0 .. max_depth - 1``.
- **elements**: every msgpack item counts once - each scalar, each map
  key, each list and map, and each extension with the items of an
  object's or set's payload (an object's field list, namespace, name,
  version, data map and changes) - and a string, binary or scalar
  extension one more per :data:`BYTES_PER_ELEMENT` bytes of its payload.
  Every element takes at least one byte, so a message holds at most as
  many elements as it has bytes.
- **extension payloads**: decoding an extension copies its payload, and
  an object or set inside another is decoded while the outer payload is
  held.  The payloads held at once (the chain from the outermost
  extension to the one being decoded) may add up to at most the
  message's size plus its element limit in bytes: a chain is mostly the
  message once, and nesting the bulk of it several levels deep is what
  an attack looks like.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import uuid
from typing import Any, NamedTuple

from zerodown.objects.wiretypes import (
    EXT_DATETIME,
    EXT_IPV4,
    EXT_IPV6,
    EXT_UUID,
)

__all__ = [
    "BYTES_PER_ELEMENT",
    "DEFAULT_LIMITS",
    "EXT_DATETIME",
    "EXT_FROZENSET",
    "EXT_IPV4",
    "EXT_IPV6",
    "EXT_OBJECT",
    "EXT_SET",
    "EXT_UUID",
    "MAX_DEPTH",
    "CanonicalData",
    "Limits",
    "WireObject",
    "chain_budget",
    "colliding_members",
    "plain_height",
]

EXT_SET = 5
EXT_FROZENSET = 6
EXT_OBJECT = 16

#: Without an explicit ``max_elements``, one element is allowed for this
#: many bytes of ``max_size``; and a string, binary or scalar extension
#: weighs one element more per this many bytes.  Decoded, an element costs
#: at most about 116 bytes (an empty set, 232 bytes for its two elements),
#: and a string at most 5 bytes a byte (4 a character, and the UTF-8 being
#: decoded): a message within its element limit stays within about 7.3
#: times the size limit.  Real messages of the compute stack have one
#: element per 7 bytes.
BYTES_PER_ELEMENT = 16
#: The deepest ``Limits.max_depth`` allowed.
MAX_DEPTH = 128


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


class CanonicalData(dict[str, Any]):
    """Object data as a plan makes it (``obj_to_wire().data``): keys
    sorted, values plain data of exact types, and at most ``height``
    levels of containers (1 for scalars only, counting its own).

    The encoder packs it without looking inside, which keeps a walk over
    every value off the hot path; treat it as a snapshot and build a new
    dict to change it.  ``height`` is an upper bound: the encoder walks
    the data when the bound alone would put it too deep, or when the
    height is missing.
    """

    __slots__ = ("height",)
    height: int


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds on what :func:`~zerodown.objects.wire.decode` accepts and
    :func:`~zerodown.objects.wire.encode` makes."""

    #: Largest message in bytes.
    max_size: int = 16 * 1024 * 1024
    #: Deepest level a container may sit at (see the module docstring).
    max_depth: int = 64
    #: Most elements a message may hold; ``None``: one per
    #: :data:`BYTES_PER_ELEMENT` bytes of ``max_size``.
    max_elements: int | None = None

    def __post_init__(self) -> None:
        # Both sides walk nesting recursively, a few frames a level:
        # MAX_DEPTH keeps that within Python's default recursion limit
        # (and msgpack's own 511 levels a pack, 1024 an unpack).
        if not 1 <= self.max_depth <= MAX_DEPTH:
            raise ValueError(f"max_depth must be within 1..{MAX_DEPTH}")
        if self.max_size < 1 or (
            self.max_elements is not None and self.max_elements < 1
        ):
            raise ValueError("max_size and max_elements must be positive")

    @property
    def element_limit(self) -> int:
        """``max_elements``, or the one derived from ``max_size``."""
        if self.max_elements is not None:
            return self.max_elements
        return self.max_size // BYTES_PER_ELEMENT


DEFAULT_LIMITS = Limits()


#: The most members of a set whose hashes a peer can make collide.
#: Python randomises the hashes of ``str`` and ``bytes``; an ``int``'s is
#: itself modulo 2**61 - 1, so at most about a dozen 64-bit integers
#: share one.  A tuple's, a frozenset's or a UUID's can be made equal for
#: as many members as a message holds, and building such a set costs the
#: square of their number: a set holds at most this many of them.
MAX_COLLIDABLE = 32
# What travels as one of these (an enum of str, an IntEnum) is one on
# the other side.
_RANDOM_HASH = (str, bytes, int, type(None))


def colliding_members(members: Any) -> int:
    """How many of ``members`` have hashes a peer could make collide."""
    return sum(1 for m in members if not isinstance(m, _RANDOM_HASH))


def chain_budget(size: int, limits: Limits) -> int:
    """Bytes of extension payloads a message of ``size`` bytes may hold
    at once while it is decoded."""
    return size + limits.element_limit


_PLAIN_SCALARS = frozenset(
    {
        str,
        int,
        float,
        bool,
        bytes,
        type(None),
        datetime.datetime,
        uuid.UUID,
        ipaddress.IPv4Address,
        ipaddress.IPv6Address,
    }
)
_KEYS = frozenset({str, int, bytes})


def plain_height(value: Any, cap: int = 64) -> int | None:
    """The levels of containers in ``value`` if it is data a plan may
    vouch for - scalars, lists, and dicts with sorted ``str``/``int``/
    ``bytes`` keys, all of exact types, at most ``cap`` levels - or
    ``None``."""
    if type(value) in _PLAIN_SCALARS:
        return 0
    if cap <= 0:
        return None
    if type(value) is dict:
        if not _sorted_plain_keys(value):
            return None
        items: Any = value.values()
    elif type(value) is list:
        items = value
    else:
        return None
    if _PLAIN_SCALARS.issuperset(map(type, items)):
        return 1
    height = 0
    for item in items:
        if type(item) not in _PLAIN_SCALARS:
            below = plain_height(item, cap - 1)
            if below is None:
                return None
            height = max(height, below)
    return height + 1


def _sorted_plain_keys(mapping: dict[Any, Any]) -> bool:
    keys = list(mapping)
    if not _KEYS.issuperset(map(type, keys)):
        return False
    try:
        return keys == sorted(keys)
    except TypeError:
        return False
