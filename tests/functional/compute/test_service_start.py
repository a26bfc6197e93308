"""A compute service's start, as an operator meets it through ``zerodown
compute run``: a file without signing keys is refused unless it says
``rpc_signing = "off"`` in words, an ``off`` service warns at every
start, and the files the stack creates - the database, the embedded
broker's file and each server's replay store, with their journals - are
readable by their owner only, whatever the umask (issue 12, section 3).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from zerodown.compute.deploy import deploy_schema
from zerodown.compute.launcher import ServiceProcess, write_config
from zerodown.rpc.signing import generate_key

REFUSED = "rpc_signing_keys is not set"
WARNING = "WITHOUT MESSAGE SIGNING"


@pytest.fixture
def open_umask():
    """A umask that leaves new files readable by everyone (0644), as
    many shells have it: zerodown must not rely on a stricter one."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _settings(tmp_path: Path, **extra: object) -> dict[str, object]:
    return {
        "host": "node-1",
        "database_url": f"sqlite:///{tmp_path / 'db' / 'compute.db'}",
        "transport_url": f"embedded://{tmp_path / 'broker' / 'broker.db'}",
        "state_path": str(tmp_path / "state"),
        **extra,
    }


def _run(config: Path, binary: str) -> subprocess.CompletedProcess[str]:
    command = ["compute", "run", binary, "--config", str(config)]
    return subprocess.run(
        [sys.executable, "-m", "zerodown", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("binary", ["conductor", "scheduler", "compute"])
def test_a_service_without_keys_refuses_to_start(tmp_path, binary):
    config = write_config(tmp_path / f"{binary}.toml", _settings(tmp_path))
    done = _run(config, binary)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "READY" not in done.stdout
    assert REFUSED in done.stderr
    assert "rpc_signing = off" in done.stderr  # how to run without keys


def test_a_mode_it_does_not_know_refuses_to_start(tmp_path):
    settings = _settings(
        tmp_path, rpc_signing="sometimes", rpc_signing_keys=[generate_key()]
    )
    done = _run(write_config(tmp_path / "c.toml", settings), "conductor")
    assert done.returncode == 2
    assert "'sometimes' is not one of required, permissive, off" in (
        done.stderr
    )


def _start_twice(tmp_path: Path, settings: dict[str, object]) -> list[str]:
    """Start the conductor, stop it, start it again; each start's log."""
    (tmp_path / "db").mkdir()  # SQLite makes no directories
    deploy_schema(tmp_path / "etc", str(settings["database_url"]))
    config = write_config(tmp_path / "conductor.toml", settings)
    logs = []
    for start in (1, 2):
        log = tmp_path / f"conductor-{start}.log"
        service = ServiceProcess("conductor", "conductor", config, log)
        try:
            service.start()
        finally:
            assert service.stop() == 0, service.tail()
        logs.append(log.read_text())
    return logs


def test_off_in_words_starts_and_warns_at_every_start(tmp_path, open_umask):
    logs = _start_twice(tmp_path, _settings(tmp_path, rpc_signing="off"))
    for log in logs:
        assert log.count(WARNING) >= 1, log
        assert 'rpc_signing = "off"' in log
    _private_files(tmp_path)


def test_a_signing_service_does_not_warn(tmp_path, open_umask):
    settings = _settings(tmp_path, rpc_signing_keys=[generate_key()])
    for log in _start_twice(tmp_path, settings):
        assert WARNING not in log
    _private_files(tmp_path)


def _private_files(tmp_path: Path) -> None:
    """The database, the broker's file and the replay stores (and their
    journals) are 0600; their directories, made by zerodown, 0700."""
    made = {
        path
        for directory in ("db", "broker", "state")
        for path in (tmp_path / directory).iterdir()
    }
    names = {p.name for p in made}
    assert {"compute.db", "broker.db"} <= names, names
    assert any(n.startswith("replay-") for n in names), names
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in made}
    assert set(modes.values()) == {0o600}, modes
    for directory in ("broker", "state"):
        mode = stat.S_IMODE((tmp_path / directory).stat().st_mode)
        assert mode == 0o700, (directory, oct(mode))
    config = tmp_path / "conductor.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
