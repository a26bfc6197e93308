"""Reading ``hw:`` flavor extra specs and ``hw_`` image properties.

A flavor carries strings (``{"hw:cpu_sockets": "2"}``); an image carries
typed :class:`~zerodown.compute.objects.ImageMetaProps` fields
(``hw_cpu_sockets=2``).  :class:`Settings` reads both under one name, so a
caller asks for ``"cpu_sockets"`` and gets the flavor's and the image's
value, each ``None`` when unset.
"""

from __future__ import annotations

import re
from typing import Any

from zerodown.compute.errors import InvalidExtraSpec
from zerodown.compute.objects import Flavor, ImageMetaProps
from zerodown.compute.objects.cpuspec import parse_cpu_spec

__all__ = [
    "FLAVOR",
    "IMAGE",
    "MEMPAGES_ANY",
    "MEMPAGES_LARGE",
    "MEMPAGES_SMALL",
    "Settings",
    "parse_cpu_mask",
    "parse_page_size",
]

#: ``hw:mem_page_size`` keywords, stored in ``InstanceNUMACell.pagesize``
#: as these negative numbers until a host cell resolves them (Nova's).
MEMPAGES_SMALL = -1
MEMPAGES_LARGE = -2
MEMPAGES_ANY = -3
_PAGE_KEYWORDS = {
    "small": MEMPAGES_SMALL,
    "large": MEMPAGES_LARGE,
    "any": MEMPAGES_ANY,
}
# 2048, 2048K, 2M, 2MB, 2MiB, 1G, 1GiB: KiB without a unit; the unit's
# letter in either case, but a lower-case b would mean bits.
_PAGE_SIZE = re.compile(r"^(\d+)\s*(?:([KkMmGgTt])(?:i?B)?)?$")
_UNIT_KIB = {"K": 1, "M": 1024, "G": 1024**2, "T": 1024**3}

FLAVOR = "flavor extra spec"
IMAGE = "image property"


class Settings:
    """The flavor's ``hw:<name>`` and the image's ``hw_<name>``."""

    __slots__ = ("_image", "_specs", "flavor")

    def __init__(
        self, flavor: Flavor, image: ImageMetaProps | None = None
    ) -> None:
        self.flavor = flavor
        specs = (
            flavor.extra_specs if flavor.obj_attr_is_set("extra_specs") else {}
        )
        self._specs: dict[str, str] = dict(specs or {})
        self._image = image

    @property
    def vcpus(self) -> int:
        return int(self.flavor.vcpus)

    @property
    def memory_mb(self) -> int:
        return int(self.flavor.memory_mb)

    def spec(self, name: str) -> str | None:
        """The flavor's ``hw:<name>``, ``None`` when unset or empty."""
        return self._specs.get("hw:" + name) or None

    def raw_spec(self, key: str) -> str | None:
        """A flavor extra spec by its full key."""
        return self._specs.get(key)

    def prop(self, name: str) -> Any:
        """The image's ``hw_<name>``, ``None`` when unset."""
        image = self._image
        attr = "hw_" + name
        if image is None or not image.obj_attr_is_set(attr):
            return None
        return getattr(image, attr)

    def pair(self, name: str) -> tuple[str | None, Any]:
        return self.spec(name), self.prop(name)

    def spec_int(self, name: str, minimum: int = 0) -> int | None:
        """``hw:<name>`` as an integer of at least ``minimum``.

        :raises InvalidExtraSpec: for anything else.
        """
        value = self.spec(name)
        if value is None:
            return None
        return _integer(FLAVOR, "hw:" + name, value, minimum)

    def prop_int(self, name: str, minimum: int = 0) -> int | None:
        value = self.prop(name)
        if value is None:
            return None
        return _integer(IMAGE, "hw_" + name, value, minimum)


def _integer(source: str, key: str, value: Any, minimum: int) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise InvalidExtraSpec(
            source=source, key=key, value=value, reason="not an integer"
        )
    number = int(text)
    if number < minimum:
        raise InvalidExtraSpec(
            source=source,
            key=key,
            value=value,
            reason=f"must be at least {minimum}",
        )
    return number


def parse_page_size(source: str, key: str, value: str) -> int:
    """A page size request as Nova stores it: ``MEMPAGES_*`` for the
    keywords, else the size in KiB.

    Sizes are KiB without a unit, or carry one of K, M, G, T with an
    optional ``B``/``iB`` (``2048``, ``2M``, ``2MB``, ``1GiB``).  Nova
    also reads bit units (``2Mb`` is 256 KiB); no page comes in bits, so
    they are refused here.

    :raises InvalidExtraSpec: for anything else, and for a size of 0.
    """
    text = value.strip()
    keyword = _PAGE_KEYWORDS.get(text.lower())
    if keyword is not None:
        return keyword
    match = _PAGE_SIZE.match(text)
    if match is None or int(match.group(1)) == 0:
        raise InvalidExtraSpec(
            source=source,
            key=key,
            value=value,
            reason="expected small, large, any or a size such as 2MB",
        )
    unit = (match.group(2) or "K").upper()
    return int(match.group(1)) * _UNIT_KIB[unit]


def parse_cpu_mask(source: str, key: str, mask: str, vcpus: int) -> set[int]:
    """The guest CPUs of a mask such as ``"0-3"`` or ``"^0"``; a mask that
    starts with ``^`` excludes from all ``vcpus``.

    :raises InvalidExtraSpec: for a mask that does not parse.
    """
    spec = mask.strip()
    if spec.startswith("^"):
        spec = f"0-{vcpus - 1},{spec}"
    try:
        return parse_cpu_spec(spec)
    except ValueError as err:
        raise InvalidExtraSpec(
            source=source, key=key, value=mask, reason=str(err)
        ) from None
