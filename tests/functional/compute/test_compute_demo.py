"""``zerodown demo``, the README's main job, as a user runs it: on its
embedded defaults (SQLite, the embedded broker, libvirt's test driver),
and on MariaDB with RabbitMQ."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from zerodown.testing.backends import fresh_database, start_backend

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

AMQP = "amqp://guest:guest@127.0.0.1:5672//"


def _demo(tmp_path, *args):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zerodown",
            "demo",
            "--workdir",
            str(tmp_path),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # As many shells have it: the demo must not rely on a stricter one.
        umask=0o022,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _check(out):
    for name in ("web-1", "vnf-1", "vnf-2", "dpdk-1"):
        assert name in out
    assert out.count("ACTIVE") >= 5
    assert "2048 KiB" in out  # the dedicated guests' page size
    assert "0000:8" in out  # the PCI guest's device
    assert "no valid host was found" in out  # 1 GiB pages refused
    assert "deleted 5 instances: done" in out
    assert "message signing: required, with a key made" in out
    # The API checks tokens, roles and projects.
    assert "refused no token: 401 authentication required" in out
    assert "refused a member creating a flavor: 403 flavors:create" in out
    assert "refused another project's server: 404 instance" in out
    assert "conductor exit 0" in out and "api exit 0" in out


def _signed_and_private(workdir: Path) -> None:
    """Every service of the demo signs its messages (a key of its own,
    generated, and ``required``), the API checks tokens, and what it
    wrote - files with keys, the database, the broker, the replay
    stores - is its owner's alone."""
    files = sorted((workdir / "etc").glob("*.toml"))
    assert {f.stem for f in files} >= {"conductor", "scheduler", "api"}
    keys = set()
    for path in files:
        config = tomllib.loads(path.read_text())
        assert config["rpc_signing"] == "required", path
        (key,) = config["rpc_signing_keys"]
        assert re.fullmatch("[0-9a-f]{64}", key)
        keys.add(key)
    assert len(keys) == 1  # one deployment, one key
    api = tomllib.loads((workdir / "etc" / "api.toml").read_text())["api"]
    assert api["auth"] == "token"
    private = [
        *files,
        workdir / "etc" / "api-token-keys",
        workdir / "compute.db",
        workdir / "broker.db",
        *(workdir / "state").rglob("*.db"),
    ]
    modes = {str(p): stat.S_IMODE(p.stat().st_mode) for p in private}
    assert set(modes.values()) == {0o600}, modes
    for log in (workdir / "logs").glob("*.log"):
        assert "WITHOUT MESSAGE SIGNING" not in log.read_text(), log


def test_the_demo_on_its_defaults(tmp_path):
    _check(_demo(tmp_path))
    _signed_and_private(tmp_path)


def test_the_demo_on_mariadb_and_rabbitmq(tmp_path):
    backend = start_backend("mysql", os.environ)
    amqp = os.environ.get("ZERODOWN_TEST_AMQP_URL", AMQP)
    with fresh_database(backend) as database:
        _check(
            _demo(
                tmp_path,
                "--database-url",
                database.url,
                "--transport-url",
                amqp,
            )
        )
