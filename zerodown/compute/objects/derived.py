"""UUIDs for records stored before their object had one.

Nova generates a random UUID when it loads such a record, and saves it.
Reading never writes here, so the UUID is derived from what identifies
the record instead: every reader, in every process, derives the same.
"""

from __future__ import annotations

import uuid

__all__ = ["derived_uuid"]

_NAMESPACE = uuid.UUID("5d1c3a4e-8f0b-4c59-9a3e-2f6b7d8e9c10")


def derived_uuid(kind: str, *parts: object) -> str:
    """The UUID of the ``kind`` record named by ``parts``."""
    name = "/".join([kind, *(str(p) for p in parts)])
    return str(uuid.uuid5(_NAMESPACE, name))
