"""Instance faults (``instance_faults``): why an instance is in ERROR.

Functions of a connection, run in the caller's transaction
(:class:`~zerodown.compute.db.api.ComputeDB`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from zerodown.compute.db.models import INSTANCE_FAULTS
from zerodown.services import utcnow

__all__ = ["add", "latest"]


def add(conn: sa.Connection, uuid: str, code: int, message: str) -> None:
    conn.execute(
        INSTANCE_FAULTS.insert().values(
            instance_uuid=uuid,
            code=code,
            message=message,
            created_at=utcnow(),
        )
    )


def latest(conn: sa.Connection, uuid: str) -> dict[str, Any] | None:
    """The instance's latest fault, as ``{code, message, created}``."""
    row = conn.execute(
        sa.select(INSTANCE_FAULTS)
        .where(INSTANCE_FAULTS.c.instance_uuid == uuid)
        .order_by(INSTANCE_FAULTS.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {
        "code": row.code,
        "message": row.message,
        "created": row.created_at.isoformat(),
    }
