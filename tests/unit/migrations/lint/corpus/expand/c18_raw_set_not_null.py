"""Raw SET NOT NULL in expand (squawk: adding-required-field): the old
release's inserts fail."""

from alembic import op

revision = "c18"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["drop-in-expand:error", "raw-sql:error"],
    "mysql 8.0.40": ["drop-in-expand:error", "raw-sql:error"],
    "mariadb 10.6": ["drop-in-expand:error", "raw-sql:error"],
}


def upgrade():
    op.execute("ALTER TABLE users ALTER COLUMN email SET NOT NULL")
