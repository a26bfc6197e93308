"""Release 1: customers (with a fax number) and their orders."""

import sqlalchemy as sa

metadata = sa.MetaData()

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("fax", sa.String(30), nullable=True),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id"),
        nullable=False,
    ),
    sa.Column("total_cents", sa.Integer, nullable=False),
)


def place_order(conn: sa.Connection, name: str, total_cents: int) -> int:
    """Insert a customer and an order the way release 1 does."""
    customer_id = conn.execute(
        customers.insert().values(name=name, fax="+1 555 0100")
    ).inserted_primary_key[0]
    conn.execute(
        orders.insert().values(
            customer_id=customer_id, total_cents=total_cents
        )
    )
    return int(customer_id)


def report(conn: sa.Connection) -> list[tuple[str, str | None, int]]:
    """Every order with its customer's name and fax."""
    query = (
        sa.select(customers.c.name, customers.c.fax, orders.c.total_cents)
        .join(orders, orders.c.customer_id == customers.c.id)
        .order_by(orders.c.id)
    )
    return [tuple(row) for row in conn.execute(query)]
