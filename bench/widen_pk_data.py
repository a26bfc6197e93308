"""The widening benchmark's database: a Nova-like ``instances`` table whose
key is a 32-bit integer (PostgreSQL ``serial``, MariaDB ``INT
AUTO_INCREMENT``), filled server-side, and how to check it afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import bench_database

DATABASE = "zerodown_bench_widen"
TABLE = "instances"
BIG = 2**31 + 11  # an id a 32-bit key cannot hold


@dataclass
class Backend(bench_database.Backend):
    """The widening benchmark's database on one server."""

    database: str = DATABASE
    #: The one-statement widening, and the query of the key's type.
    naive_sql: ClassVar[str]
    key_type_sql: ClassVar[str]


class PostgreSQL(Backend, bench_database.PostgreSQLServer):
    naive_sql = f"ALTER TABLE {TABLE} ALTER COLUMN id TYPE bigint"
    key_type_sql = (
        "SELECT data_type FROM information_schema.columns WHERE "
        f"table_name = '{TABLE}' AND column_name = 'id'"
    )

    def fill_sql(self, rows: int) -> list[str]:
        return [
            f"CREATE TABLE {TABLE} (id serial PRIMARY KEY, uuid char(36) "
            "NOT NULL, host varchar(255) NOT NULL, vcpus int NOT NULL, "
            "memory_mb int NOT NULL, numa_topology text NOT NULL, "
            "updated_at timestamp NOT NULL)",
            f"INSERT INTO {TABLE} (uuid, host, vcpus, memory_mb, "
            "numa_topology, updated_at) SELECT md5(n::text)::uuid::text, "
            "'seed-' || n, 1 + mod(n, 8), 512 * (1 + mod(n, 16)), "
            "repeat('{\"cells\": []} ', 16), now() "
            f"FROM generate_series(1, {rows}) AS n",
            f"VACUUM ANALYZE {TABLE}",
            "CHECKPOINT",
        ]


class MariaDB(Backend, bench_database.MariaDBServer):
    naive_sql = f"ALTER TABLE {TABLE} MODIFY id BIGINT NOT NULL AUTO_INCREMENT"
    key_type_sql = (
        "SELECT data_type FROM information_schema.columns WHERE "
        f"table_schema = DATABASE() AND table_name = '{TABLE}' AND "
        "column_name = 'id'"
    )

    def fill_sql(self, rows: int) -> list[str]:
        return [
            f"CREATE TABLE {TABLE} (id INT AUTO_INCREMENT PRIMARY KEY, "
            "uuid char(36) NOT NULL, host varchar(255) NOT NULL, vcpus int "
            "NOT NULL, memory_mb int NOT NULL, numa_topology text NOT NULL, "
            "updated_at timestamp NOT NULL)",
            f"INSERT INTO {TABLE} (uuid, host, vcpus, memory_mb, "
            "numa_topology, updated_at) SELECT UUID(), CONCAT('seed-', seq), "
            "1 + MOD(seq, 8), 512 * (1 + MOD(seq, 16)), "
            "REPEAT('{\"cells\": []} ', 16), NOW() "
            f"FROM seq_1_to_{rows}",
            f"ANALYZE TABLE {TABLE}",
        ]


BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls for cls in (PostgreSQL, MariaDB)
}


def verify(
    backend: Backend,
    rows: int,
    inserted: dict[int, str],
    updated: dict[int, str],
) -> dict[str, object]:
    """Every seeded row and every write the writers saw commit, with its
    id, and a key that takes a 64-bit value."""
    engine = backend.engine()
    problems: list[str] = []
    with engine.connect() as conn:
        hosts = dict(
            conn.exec_driver_sql(f"SELECT id, host FROM {TABLE}").fetchall()
        )
        key_type = conn.exec_driver_sql(backend.key_type_sql).scalar_one()
        for row in range(1, rows + 1):
            expected = updated.get(row, f"seed-{row}")
            if hosts.get(row) != expected:
                problems.append(
                    f"row {row}: {hosts.get(row)!r} != {expected!r}"
                )
        for row, host in inserted.items():
            expected = updated.get(row, host)
            if hosts.get(row) != expected:
                problems.append(
                    f"new {row}: {hosts.get(row)!r} != {expected!r}"
                )
        extra = len(hosts) - rows - len(inserted)
        if extra:
            problems.append(f"{extra} rows nobody wrote")
        conn.exec_driver_sql(
            f"INSERT INTO {TABLE} (id, uuid, host, vcpus, memory_mb, "
            f"numa_topology, updated_at) VALUES ({BIG}, 'big', 'big', 1, 1, "
            "'{}', CURRENT_TIMESTAMP)"
        )
    engine.dispose()
    return {
        "rows": len(hosts),
        "key_type": str(key_type).lower(),
        "big_id_inserted": True,
        "problems": problems[:10],
        "problem_count": len(problems),
    }
