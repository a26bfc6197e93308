"""Alembic environment of the compute stack, wired to zerodown."""

from logging.config import fileConfig

from alembic import context

from zerodown.compute.db.models import metadata
from zerodown.migrations import run_migrations

config = context.config
if config.config_file_name and config.attributes.get("configure_logger", 1):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

run_migrations(context, target_metadata=metadata)
