"""zerodown's pytest plugin: real databases per backend, and built-in checks.

Turned on by installing zerodown (entry point ``pytest11``).  It adds:

* ``--zerodown-backends=sqlite,postgresql,mysql`` (or the environment
  variable ``ZERODOWN_TEST_BACKENDS``, or the ini option
  ``zerodown_backends``); the default is ``sqlite``.  Servers come from
  ``ZERODOWN_TEST_POSTGRESQL_URL`` / ``ZERODOWN_TEST_MYSQL_URL``, or from
  testcontainers when Docker answers.  A backend that was asked for and
  cannot be reached fails the run: it is never skipped.
* the ``zerodown_db`` fixture: a fresh, empty database, one per test and
  backend (tests that use it run once per selected backend);
* the ``zerodown_alembic_ini`` fixture (ini option ``zerodown_alembic_ini``,
  default ``alembic.ini`` in the rootdir) used by the built-in checks of
  :mod:`zerodown.testing.checks`, which a project turns on with
  ``from zerodown.testing.checks import *`` in one of its test modules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from zerodown.testing.backends import (
    BACKENDS,
    Backend,
    BackendUnavailable,
    TestDatabase,
    fresh_database,
    start_backend,
)

_STARTED = pytest.StashKey[dict[str, Backend]]()
_ERRORS = pytest.StashKey[dict[str, str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zerodown")
    group.addoption(
        "--zerodown-backends",
        default=None,
        help="comma-separated database backends for tests that use "
        f"zerodown_db ({', '.join(BACKENDS)}); default: sqlite",
    )
    parser.addini("zerodown_backends", "default database backends", default="")
    parser.addini(
        "zerodown_alembic_ini",
        "alembic.ini of the project the built-in checks examine",
        default="alembic.ini",
    )


def selected_backends(config: pytest.Config) -> list[str]:
    raw = (
        config.getoption("--zerodown-backends")
        or os.environ.get("ZERODOWN_TEST_BACKENDS")
        or config.getini("zerodown_backends")
        or "sqlite"
    )
    names = [name.strip() for name in str(raw).split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown:
        raise pytest.UsageError(
            f"unknown zerodown backend(s) {unknown}; choose from {BACKENDS}"
        )
    return names


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STARTED] = {}
    config.stash[_ERRORS] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    # Start every requested backend up front: an unreachable one must fail
    # the run loudly, before any test could pass without it.
    config = session.config
    for name in selected_backends(config):
        try:
            config.stash[_STARTED][name] = start_backend(name, os.environ)
        except BackendUnavailable as err:
            config.stash[_ERRORS][name] = str(err)


def pytest_report_header(config: pytest.Config) -> list[str]:
    started = config.stash.get(_STARTED, {})
    lines = [f"zerodown backends: {', '.join(selected_backends(config))}"]
    for name, backend in started.items():
        lines.append(f"  {name}: {_describe(backend)}")
    for name, error in config.stash.get(_ERRORS, {}).items():
        lines.append(f"  {name}: UNAVAILABLE ({error})")
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    errors = session.config.stash.get(_ERRORS, {})
    if errors:
        # A requested backend that could not be reached fails the run even
        # if no selected test needed it.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    for backend in session.config.stash.get(_STARTED, {}).values():
        backend.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, error in terminalreporter.config.stash.get(_ERRORS, {}).items():
        terminalreporter.write_line(
            f"zerodown: backend {name} FAILED: {error}", red=True
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "zerodown_db" in metafunc.fixturenames:
        names = selected_backends(metafunc.config)
        metafunc.parametrize("zerodown_backend_name", names, ids=names)


@pytest.fixture
def zerodown_db(
    request: pytest.FixtureRequest, zerodown_backend_name: str
) -> Iterator[TestDatabase]:
    """A fresh empty database on one backend, dropped after the test."""
    config = request.config
    error = config.stash[_ERRORS].get(zerodown_backend_name)
    if error:
        pytest.fail(f"backend {zerodown_backend_name} unavailable: {error}")
    backend = config.stash[_STARTED][zerodown_backend_name]
    with fresh_database(backend) as database:
        yield database


@pytest.fixture
def zerodown_alembic_ini(request: pytest.FixtureRequest) -> Path:
    """The alembic.ini the built-in checks examine (override to change)."""
    configured = Path(str(request.config.getini("zerodown_alembic_ini")))
    if not configured.is_absolute():
        configured = Path(str(request.config.rootpath)) / configured
    if not configured.exists():
        pytest.fail(f"zerodown_alembic_ini: {configured} does not exist")
    return configured


def _describe(backend: Backend) -> str:
    from sqlalchemy.engine import make_url

    if backend.server_url is None:
        return "temporary files"
    return make_url(backend.server_url).render_as_string(hide_password=True)
