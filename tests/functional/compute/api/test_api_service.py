"""The API service and its ``[api]`` file: no way to start it that lets
everyone in unless the file says so in words, and then it says so too."""

from __future__ import annotations

import http.client
import json
import logging
import subprocess
import sys
import threading

import pytest
from compute_samples import deployed_db

from zerodown.compute import conf, service
from zerodown.compute.launcher import write_config


def _settings(tmp_path, api):
    """An API's file: everything but ``[api]`` as plain as can be."""
    return {
        "host": "api-test",
        "database_url": f"sqlite:///{tmp_path}/compute.db",
        "transport_url": "memory://",
        "rpc_signing_keys": ["api-test-signing-key-0123456789"],
        "state_path": str(tmp_path / "state"),
        "api": {"listen": "127.0.0.1:0", **api},
    }


def _run(tmp_path, api):
    path = write_config(tmp_path / "api.toml", _settings(tmp_path, api))
    command = ["compute", "run", "api", "--config", str(path)]
    return subprocess.run(
        [sys.executable, "-m", "zerodown", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("api", "says"),
    [
        ({}, 'says nothing about authentication: set auth = "token"'),
        ({"auth": "token"}, "needs token_key_file"),
        (
            {"auth": "token", "token_key_file": "/nonexistent/keys"},
            "token key file /nonexistent/keys: No such file",
        ),
        ({"auth": "tokens"}, "choose 'token' or 'none'"),
    ],
)
def test_an_api_that_cannot_tell_who_asks_refuses_to_start(
    tmp_path, api, says
):
    done = _run(tmp_path, api)
    assert done.returncode == 2, done.stderr
    assert "READY" not in done.stdout
    assert says in done.stderr


def test_a_key_file_open_to_others_stops_the_api(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("k" * 40 + "\n")
    keys.chmod(0o644)
    done = _run(tmp_path, {"auth": "token", "token_key_file": str(keys)})
    assert done.returncode == 2
    assert f"run chmod 600 {keys}" in done.stderr


def _get(url, path, method="GET", body=None):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/json"} if body else {}
    conn.request(method, path, json.dumps(body) if body else None, headers)
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, json.loads(data), dict(answer.getheaders())


def test_auth_none_serves_everyone_and_says_so(tmp_path, caplog):
    deployed_db(tmp_path, f"sqlite:///{tmp_path}/compute.db").engine.dispose()
    config = conf.parse(_settings(tmp_path, {"auth": "none"}))
    stop, ready = threading.Event(), threading.Event()
    lines: list[str] = []

    def on_ready(line: str) -> None:
        lines.append(line)
        ready.set()

    caplog.set_level(logging.WARNING, "zerodown.compute.api")
    thread = threading.Thread(
        target=service.run,
        args=("api", config),
        kwargs={"stop": stop, "ready": on_ready},
    )
    thread.start()
    try:
        assert ready.wait(30), "the API did not start"
        url = lines[0].split()[-1]
        status, body, headers = _get(url, "/")
        assert (status, body["zerodown:auth"]) == (200, "none")
        flavor = {"name": "f", "id": "f", "vcpus": 1, "ram": 1, "disk": 1}
        status, _, headers = _get(url, "/flavors", "POST", {"flavor": flavor})
        assert status == 200
        assert headers["X-Zerodown-Auth"] == "none"
    finally:
        stop.set()
        thread.join(30)
    warnings = [r.getMessage() for r in caplog.records]
    assert any('auth = "none"' in w and "admin" in w for w in warnings)
