"""Alembic environment wired to zerodown (expand/contract phases)."""

import runpy
from logging.config import fileConfig
from pathlib import Path

from alembic import context

from zerodown.migrations.env import run_migrations

config = context.config
if config.config_file_name and config.attributes.get("configure_logger", 1):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# The models of release 2 (by path: "app" is too common a package name).
models = Path(__file__).resolve().parents[1] / "app" / "models.py"
target_metadata = runpy.run_path(str(models))["metadata"]

run_migrations(context, target_metadata=target_metadata)
