"""Alembic environment wired to zerodown (expand/contract phases)."""

import importlib
import os
import sys
from logging.config import fileConfig
from pathlib import Path

from alembic import context

from zerodown.migrations.env import run_migrations

config = context.config
if config.config_file_name and config.attributes.get("configure_logger", 1):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# The models of the newest release; SHOP_RELEASE picks an older one (the
# walkthrough uses it to show how each release's revisions were written).
release = os.environ.get("SHOP_RELEASE", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
target_metadata = importlib.import_module(f"shop.release{release}").metadata

run_migrations(context, target_metadata=target_metadata)
