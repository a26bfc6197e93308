"""The ``zerodown_services`` table: who runs, at which version, still up.

One row per ``(host, binary)``.  A service is *live* when it has
heartbeated within the down time, is not forced down and has not stopped.
``supports_from`` is the oldest service version its release still talks
to, so an older release can tell, before it starts, that the deployment
has moved past it.  ``rpc_signing``, ``rpc_unsigned`` and ``rpc_refused``
are what the service's RPC servers last reported of message signing (its
mode, the unsigned messages it accepted and the messages it refused since
it started), so an operator can see when a fleet may move to
``required``; they are nullable and optional (a table made before them
works without them).

The table is plain SQLAlchemy Core; :func:`create_schema` creates it, or a
project's own migrations do (its name starts with ``zerodown_``, which
zerodown's autogenerate leaves alone).
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["METADATA", "OPTIONAL_COLUMNS", "SERVICES", "create_schema"]

METADATA = sa.MetaData()

SERVICES = sa.Table(
    "zerodown_services",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("binary", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("supports_from", sa.Integer, nullable=False),
    sa.Column("last_seen_up", sa.DateTime, nullable=True),
    sa.Column(
        "forced_down", sa.Boolean, nullable=False, server_default=sa.false()
    ),
    sa.Column("stopped_at", sa.DateTime, nullable=True),
    sa.Column("rpc_signing", sa.String(16), nullable=True),
    sa.Column("rpc_unsigned", sa.BigInteger, nullable=True),
    sa.Column("rpc_refused", sa.BigInteger, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint(
        "host", "binary", name="uq_zerodown_services_host_binary"
    ),
)


#: Columns a table made by an older zerodown may lack.
OPTIONAL_COLUMNS = frozenset({"rpc_signing", "rpc_unsigned", "rpc_refused"})


def create_schema(engine: sa.Engine) -> None:
    """Create the table if it does not exist."""
    METADATA.create_all(engine, checkfirst=True)
