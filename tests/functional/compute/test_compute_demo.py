"""``zerodown demo``, the README's main job, as a user runs it: on its
embedded defaults (SQLite, the embedded broker, libvirt's test driver),
and on MariaDB with RabbitMQ."""

from __future__ import annotations

import os
import subprocess
import sys

from zerodown.testing.backends import fresh_database, start_backend

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
    # The API checks tokens, roles and projects.
    assert "refused no token: 401 authentication required" in out
    assert "refused a member creating a flavor: 403 flavors:create" in out
    assert "refused another project's server: 404 instance" in out
    assert "conductor exit 0" in out and "api exit 0" in out


def test_the_demo_on_its_defaults(tmp_path):
    _check(_demo(tmp_path))


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
