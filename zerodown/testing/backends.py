"""Real databases for tests: one fresh database per test, on every backend.

A backend gets its server from a URL (``ZERODOWN_TEST_POSTGRESQL_URL``,
``ZERODOWN_TEST_MYSQL_URL``); where none is given and a Docker engine
answers, it starts one with testcontainers.  A backend that was asked for
and cannot be reached raises :class:`BackendUnavailable`: the plugin turns
that into a failed run, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendUnavailable",
    "TestDatabase",
    "start_backend",
]


class BackendUnavailable(RuntimeError):
    """A requested test backend cannot be reached."""


@dataclass
class TestDatabase:
    """A fresh, empty database that one test owns."""

    __test__ = False  # not a pytest test class despite its name

    backend: str
    url: str
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url, future=True)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class Backend:
    """A database server that hands out fresh databases."""

    name: ClassVar[str]
    env_var: ClassVar[str | None] = None
    registry: ClassVar[dict[str, type[Backend]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:  # abstract intermediates have no name
            Backend.registry[cls.name] = cls

    def __init__(self, server_url: str | None = None) -> None:
        self.server_url = server_url
        self._stop: Callable[[], None] | None = None

    def check(self) -> None:
        """Raise :class:`BackendUnavailable` unless the server answers."""

    def create(self) -> TestDatabase:
        raise NotImplementedError

    def drop(self, database: TestDatabase) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()

    def _admin(self) -> sa.Engine:
        assert self.server_url is not None
        return sa.create_engine(
            self.server_url, isolation_level="AUTOCOMMIT", future=True
        )

    def _connect_or_fail(self) -> None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as err:
            raise BackendUnavailable(
                f"{self.name} at {_safe(self.server_url)} does not answer: "
                f"{err.__class__.__name__}: {str(err).splitlines()[0]}"
            ) from err
        finally:
            engine.dispose()


class SQLiteBackend(Backend):
    name = "sqlite"

    def create(self) -> TestDatabase:
        handle, path = tempfile.mkstemp(prefix="zd_", suffix=".sqlite")
        os.close(handle)
        return TestDatabase("sqlite", f"sqlite:///{path}")

    def drop(self, database: TestDatabase) -> None:
        database.dispose()
        path = make_url(database.url).database
        if path:
            with contextlib.suppress(FileNotFoundError):
                Path(path).unlink()


class _ServerBackend(Backend):
    """A server backend: CREATE DATABASE per test, DROP afterwards."""

    drop_sql: ClassVar[str]

    def check(self) -> None:
        self._connect_or_fail()

    def create(self) -> TestDatabase:
        name = f"zd_test_{uuid.uuid4().hex[:12]}"
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
        finally:
            engine.dispose()
        url = make_url(self.server_url or "").set(database=name)
        return TestDatabase(self.name, url.render_as_string(False))

    def drop(self, database: TestDatabase) -> None:
        database.dispose()
        name = make_url(database.url).database
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(self.drop_sql.format(name=name)))
        finally:
            engine.dispose()


class PostgreSQLBackend(_ServerBackend):
    name = "postgresql"
    env_var = "ZERODOWN_TEST_POSTGRESQL_URL"
    drop_sql = "DROP DATABASE IF EXISTS {name} WITH (FORCE)"


class MySQLBackend(_ServerBackend):
    name = "mysql"
    env_var = "ZERODOWN_TEST_MYSQL_URL"
    drop_sql = "DROP DATABASE IF EXISTS {name}"


BACKENDS = ("sqlite", "postgresql", "mysql")


def start_backend(name: str, environ: Mapping[str, str]) -> Backend:
    """Return a reachable backend called ``name`` or raise."""
    try:
        cls = Backend.registry[name]
    except KeyError:
        raise BackendUnavailable(
            f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}"
        ) from None
    url = environ.get(cls.env_var) if cls.env_var else None
    backend = cls(url)
    if cls.env_var and not url:
        _start_container(backend)
    backend.check()
    return backend


def _start_container(backend: Backend) -> None:
    if not _docker_answers():
        raise BackendUnavailable(
            f"{backend.name} was requested but {backend.env_var} is not set "
            "and no Docker engine answers to start one with testcontainers"
        )
    container: Any
    if backend.name == "postgresql":
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", driver="psycopg")
    else:
        from testcontainers.mysql import MySqlContainer

        container = MySqlContainer("mariadb:11", username="root")
    container.start()
    url = make_url(container.get_connection_url())
    if backend.name == "mysql":
        url = url.set(drivername="mysql+pymysql")
    backend.server_url = url.render_as_string(False)
    backend._stop = container.stop


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        return bool(client.ping())
    except Exception:  # any failure means "no usable engine"
        return False


def _safe(url: str | None) -> str:
    if not url:
        return "<no url>"
    parsed: URL = make_url(url)
    return parsed.render_as_string(hide_password=True)


@contextlib.contextmanager
def fresh_database(backend: Backend) -> Iterator[TestDatabase]:
    database = backend.create()
    try:
        yield database
    finally:
        backend.drop(database)
