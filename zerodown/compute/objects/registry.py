"""The compute stack's object registry and its checked-in manifest."""

from __future__ import annotations

from pathlib import Path

from zerodown.objects import ObjectRegistry

__all__ = ["MANIFEST", "REGISTRY"]

#: Every compute object; ``zerodown objects manifest`` checks them.
REGISTRY = ObjectRegistry("zerodown.compute")

#: The fingerprints of the objects at their current versions.
MANIFEST = Path(__file__).with_name("manifest.txt")
