"""Alembic environment of the compute stack, wired to zerodown."""

from alembic import context

from zerodown.compute.db.models import metadata
from zerodown.migrations.env import run_migrations

run_migrations(context, target_metadata=metadata)
