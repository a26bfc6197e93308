"""``zerodown rpc caps`` and ``zerodown rpc dead-letters``."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner
from rpc_apis import EchoNoteAPI
from widget_service import BINARY, HISTORY_V2

from zerodown.cli import main
from zerodown.rpc import (
    RPCClient,
    RPCServer,
    Target,
    get_transport,
    list_dead_letters,
)
from zerodown.rpc.deadletter import REFUSED
from zerodown.rpc.transport import Address, Message
from zerodown.services import ServiceDirectory, create_schema
from zerodown.testing.waiting import eventually


def _caps(*args: str) -> str:
    result = CliRunner().invoke(
        main,
        ["rpc", "--history", "widget_service:HISTORY_V2", *args, "caps"],
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_caps_says_what_and_why(zerodown_db):
    create_schema(zerodown_db.engine)
    directory = ServiceDirectory(zerodown_db.engine, HISTORY_V2)
    output = _caps("--database-url", zerodown_db.url)
    assert "no running widgets service" in output
    directory.register("old-1", BINARY, 1)
    directory.register("new-1", BINARY, 2)
    directory.register("gone-1", BINARY, 2)
    directory.stop("gone-1", BINARY)
    output = _caps("--database-url", zerodown_db.url)
    assert "this release is service version 2" in output
    assert "oldest running widgets is at service version 1" in output
    assert "old-1" in output and "stopped" in output
    row = next(line for line in output.splitlines() if "speaks" in line)
    assert row.split()[:3] == ["widgets", "widgets", "1.0"]


def test_caps_without_settings_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(
        main, ["rpc", "-c", str(tmp_path / "none.ini"), "caps"]
    )
    assert result.exit_code == 2
    assert "database_url is not set" in result.output


def test_dead_letters_lists_and_purges(tmp_path):
    url = f"embedded://{tmp_path / 'broker.db'}"
    transport = get_transport(url)

    class Old:
        target = Target(version="1.0")
        RPC_API = EchoNoteAPI

    try:
        with RPCServer(transport, Target(topic="cli", server="h1"), [Old()]):
            client = RPCClient(transport, Target(topic="cli", version="2.0"))
            client.cast(None, "reboot", hard=True)
            transport.publish(Address("cli"), Message(b"\xc1", "garbage-1"))
            eventually(
                lambda: (
                    list_dead_letters(transport)
                    and list_dead_letters(transport, address=REFUSED)
                ),
                message="the cast and the garbage were not set aside",
            )
    finally:
        transport.close()
    runner = CliRunner()
    refused = runner.invoke(
        main,
        ["rpc", "--transport-url", url, "dead-letters", "--refused", "--json"],
    )
    assert refused.exit_code == 0, refused.output
    entry = json.loads(refused.output.splitlines()[0])
    assert (entry["message_id"], entry["reason"]) == (
        "garbage-1",
        "MalformedMessage",
    )
    listed = runner.invoke(
        main, ["rpc", "--transport-url", url, "dead-letters", "--json"]
    )
    assert listed.exit_code == 0, listed.output
    entry = json.loads(listed.output.splitlines()[0])
    assert (entry["method"], entry["version"], entry["reason"]) == (
        "reboot",
        "2.0",
        "UnsupportedVersion",
    )
    table = runner.invoke(
        main, ["rpc", "--transport-url", url, "dead-letters", "--purge"]
    )
    assert "UnsupportedVersion" in table.output
    assert "purged 1 dead letter(s)" in table.output
    again = runner.invoke(
        main, ["rpc", "--transport-url", url, "dead-letters", "--json"]
    )
    assert again.output.strip() == ""


def test_the_command_runs_as_a_process(tmp_path):
    url = f"embedded://{tmp_path / 'broker.db'}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zerodown",
            "rpc",
            "--transport-url",
            url,
            "dead-letters",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "0 dead letter(s)" in done.stderr
