"""Alembic environment wired to zerodown (expand/contract phases)."""

import importlib
import os
import sys
from pathlib import Path

from alembic import context

from zerodown.migrations.env import run_migrations

# The models of the newest release; SHOP_RELEASE picks an older one (the
# walkthrough uses it to show how each release's revisions were written).
release = os.environ.get("SHOP_RELEASE", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
target_metadata = importlib.import_module(f"shop.release{release}").metadata

run_migrations(context, target_metadata=target_metadata)
