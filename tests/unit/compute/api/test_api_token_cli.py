"""``zerodown compute token ...`` as an operator runs it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from zerodown.cli import main
from zerodown.compute.api.keys import load_keys
from zerodown.compute.api.tokens import verify


def _zerodown(*args):
    return CliRunner().invoke(main, list(args))


def _api_file(tmp_path, **api):
    lines = [f'{k} = "{v}"' for k, v in api.items()]
    path = tmp_path / "api.toml"
    path.write_text("[api]\n" + "\n".join(lines) + "\n")
    return str(path)


def test_keys_then_tokens(tmp_path):
    keys = tmp_path / "keys"
    added = _zerodown("compute", "token", "add-key", str(keys))
    assert added.exit_code == 0, added.output
    config = _api_file(
        tmp_path, auth="token", token_key_file=keys, token_audience="dc-1"
    )
    made = _zerodown(
        "compute", "token", "create", "--config", config,
        "--project", "p1", "--user", "alice", "--role", "admin",
        "--expires", "12h", "--format", "json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    out = json.loads(made.output)
    claims = verify(load_keys(keys, "dc-1"), out["token"])
    assert claims.to_json() == out["claims"]
    assert (claims.project, claims.user, claims.roles) == (
        "p1",
        "alice",
        ("admin",),
    )
    assert claims.expires_at - claims.issued_at == 12 * 3600
    assert out["expires"].endswith("+00:00")
    bare = _zerodown(
        "compute", "token", "create", "--config", config,
        "--project", "p1", "--user", "bob",
    )  # fmt: skip
    assert bare.exit_code == 0
    assert verify(load_keys(keys, "dc-1"), bare.output.strip()).roles == (
        "member",
    )


def test_rotation_commands(tmp_path):
    keys = str(tmp_path / "keys")
    for command in ("add-key", "add-key", "promote-key", "retire-key"):
        done = _zerodown("compute", "token", command, keys)
        assert done.exit_code == 0, done.output
    assert len(load_keys(keys, "a").keys) == 1
    refused = _zerodown("compute", "token", "retire-key", keys)
    assert refused.exit_code == 2
    assert "cannot retire a key" in refused.output


def test_mistakes_are_usage_errors(tmp_path):
    keys = tmp_path / "keys"
    _zerodown("compute", "token", "add-key", str(keys))
    config = _api_file(tmp_path, auth="token", token_key_file=keys)
    base = ["compute", "token", "create", "--config", config, "--user", "u"]
    for extra, message in [
        (["--project", "p", "--expires", "30d"], "1 s to 7 days"),
        (["--project", "p q"], "project 'p q'"),
        (["--project", "p", "--role", "root"], "'root' is not one of"),
    ]:
        done = _zerodown(*base, *extra)
        assert done.exit_code == 2, done.output
        assert message in done.output
    keys.chmod(0o644)
    done = _zerodown(*base, "--project", "p")
    assert done.exit_code == 2 and "chmod 600" in done.output
    none = _api_file(tmp_path, auth="none")
    done = _zerodown("compute", "token", "create", "--config", none,
                     "--project", "p", "--user", "u")  # fmt: skip
    assert done.exit_code == 2 and 'auth = "none"' in done.output
