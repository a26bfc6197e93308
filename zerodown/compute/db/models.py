"""The compute stack's tables (filled in by the compute stack's issue)."""

import sqlalchemy as sa

metadata = sa.MetaData()
