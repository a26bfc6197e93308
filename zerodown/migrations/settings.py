"""Settings of the migration engine (read through :mod:`zerodown.config`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MigrationSettings"]


@dataclass(frozen=True)
class MigrationSettings:
    """What ``[zerodown]``, ``ZERODOWN_*`` or flags may set for migrations.

    :param database_url: overrides Alembic's ``sqlalchemy.url``.
    :param lock_timeout: seconds a DDL statement may wait for its lock
        before it gives up and retries, so it never sits in the lock queue
        blocking every writer behind a long transaction.
    :param lock_retries: how often a DDL statement that timed out waiting
        for its lock is tried again before the revision fails.
    :param lock_retry_delay: first delay between those tries, in seconds;
        it doubles each time (capped at 30 s) with random jitter.
    """

    database_url: str | None = None
    lock_timeout: float = 2.0
    lock_retries: int = 10
    lock_retry_delay: float = 0.5
