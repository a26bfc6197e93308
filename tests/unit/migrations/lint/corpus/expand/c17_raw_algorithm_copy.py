"""Raw SQL that asks for ALGORITHM=COPY: writes wait for the copy."""

from alembic import op

revision = "c17"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["drop-in-expand:error", "raw-sql:error"],
    "mysql 8.0.40": [
        "drop-in-expand:error",
        "mysql-copy-or-shared-lock:error",
        "raw-sql:error",
    ],
    "mariadb 10.6": [
        "drop-in-expand:error",
        "mysql-copy-or-shared-lock:error",
        "raw-sql:error",
    ],
}


def upgrade():
    op.execute("ALTER TABLE users MODIFY nickname VARCHAR(80), ALGORITHM=COPY")
