"""Alembic environment wired to zerodown (expand/contract phases)."""

from alembic import context

from zerodown.migrations.env import run_migrations

# Point autogenerate at your models' MetaData, for example:
#     from myapp.models import Base
#     target_metadata = Base.metadata
target_metadata = None

run_migrations(context, target_metadata=target_metadata)
