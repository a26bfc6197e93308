"""The compute stack's configuration file."""

from __future__ import annotations

import pytest

from zerodown.compute import conf
from zerodown.compute.launcher import write_config
from zerodown.exceptions import ConfigError


def test_a_written_file_reads_back(tmp_path):
    path = write_config(
        tmp_path / "c.toml",
        {
            "host": "node-1",
            "database_url": "sqlite:////tmp/x.db",
            "transport_url": "embedded:////tmp/b.db",
            "service": {"heartbeat_interval": 1, "down_after": 5.0},
            "api": {"listen": "127.0.0.1:0", "threads": 4},
            "compute": {
                "driver": "fake",
                "cpu_allocation_ratio": 2.0,
                "driver_options": {"cpu_dedicated_set": "2-7"},
            },
            "pci": {"alias": [{"name": "nic", "vendor_id": "8086"}]},
        },
    )
    config = conf.load(path, environ={})
    assert config.host == "node-1"
    assert config.service.heartbeat_interval == 1.0
    assert config.service.down_after == 5.0
    assert config.api.threads == 4
    assert config.compute.cpu_allocation_ratio == 2.0
    assert config.compute.driver_options == {"cpu_dedicated_set": "2-7"}
    assert config.pci_aliases == ({"name": "nic", "vendor_id": "8086"},)
    assert config.require_database() == "sqlite:////tmp/x.db"


def test_environment_then_flags_override_the_file(tmp_path):
    path = write_config(tmp_path / "c.toml", {"database_url": "sqlite://"})
    config = conf.load(
        path,
        environ={"ZERODOWN_DATABASE_URL": "postgresql://db/x"},
        transport_url="amqp://rabbit//",
        host=None,
    )
    assert config.database_url == "postgresql://db/x"
    assert config.transport_url == "amqp://rabbit//"
    flagged = conf.load(path, environ={}, database_url="mysql://db/y")
    assert flagged.database_url == "mysql://db/y"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"databse_url": "x"}, "unknown setting 'databse_url'"),
        ({"service": {"heartbeat": 1}}, "unknown setting 'heartbeat'"),
        ({"service": {"down_after": "soon"}}, "down_after must be float"),
        ({"api": {"threads": True}}, "threads must be int"),
        ({"api": {"threads": -1}}, "must not be negative"),
        ({"service": 3}, "must be a table"),
        ({"pci": {"alias": "nic"}}, "array of tables"),
        ({"pci": {"whitelist": []}}, "takes only 'alias'"),
        ({"compute": {"driver_options": 1}}, "must be a table"),
        ({"rpc_signing_keys": "k" * 32}, "array of strings"),
        ({"rpc_signing_keys": [1]}, "array of strings"),
        ({"rpc_signing": 1}, "rpc_signing must be str"),
        ({"rpc_max_message_size": "big"}, "must be int"),
        ({"rpc_message_lifetime": -1}, "must not be negative"),
    ],
)
def test_mistakes_name_the_setting(data, message):
    with pytest.raises(ConfigError, match=message):
        conf.parse(data)


def test_unreadable_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        conf.load(tmp_path / "missing.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("host = \n")
    with pytest.raises(ConfigError, match="is not TOML"):
        conf.load(broken, environ={})


def test_services_with_a_database_need_its_url():
    with pytest.raises(ConfigError, match="database_url is not set"):
        conf.ComputeConfig().require_database()


def test_signing_is_required_unless_turned_off_in_words(tmp_path):
    with pytest.raises(ConfigError, match="rpc_signing = off"):
        conf.parse({}).signing()
    with pytest.raises(ConfigError, match="not one of"):
        conf.parse({"rpc_signing": "sometimes"}).signing()
    with pytest.raises(ConfigError, match="16 bytes"):
        conf.parse({"rpc_signing_keys": ["short"]}).signing()
    assert conf.parse({"rpc_signing": "off"}).signing().signer is None
    keyed = conf.parse({"rpc_signing_keys": ["k" * 32, "o" * 32]}).signing()
    assert keyed.mode.value == "required"
    assert keyed.signer is not None and len(keyed.signer.keys) == 2
    permissive = conf.parse(
        {"rpc_signing": "permissive", "rpc_signing_keys": ["k" * 32]}
    )
    assert permissive.signing().mode.value == "permissive"


def test_a_written_file_is_private(tmp_path):
    path = write_config(
        tmp_path / "etc" / "c.toml", {"rpc_signing_keys": ["k" * 32]}
    )
    assert path.stat().st_mode & 0o777 == 0o600
    assert conf.load(path, environ={}).rpc_signing_keys == ("k" * 32,)


# -- [api] auth ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "mode"),
    [
        ({"auth": "token", "token_key_file": "/etc/k"}, "token"),
        ({"token_key_file": "/etc/k"}, "token"),
        ({"auth": "none"}, "none"),
    ],
)
def test_the_api_says_how_it_authenticates(api, mode):
    assert conf.parse({"api": api}).api.auth_mode() == mode


@pytest.mark.parametrize(
    ("api", "message"),
    [
        ({}, 'says nothing about authentication: set auth = "token"'),
        ({"auth": ""}, "says nothing about authentication"),
        ({"auth": "token"}, "needs token_key_file"),
        ({"auth": "none", "token_key_file": "/etc/k"}, "contradicts"),
    ],
)
def test_an_api_that_cannot_tell_who_asks_does_not_start(api, message):
    config = conf.parse({"api": api})  # other services read it fine
    with pytest.raises(ConfigError, match=message):
        config.api.auth_mode()


@pytest.mark.parametrize(
    ("api", "message"),
    [
        ({"auth": "keystone"}, "choose 'token' or 'none'"),
        ({"auth": True}, "auth must be str"),
        ({"token_key_file": "keys"}, "must be an absolute path"),
        ({"token_audience": ""}, "1 to 255 characters"),
        ({"token_keys": ["x"]}, "unknown setting 'token_keys'"),
    ],
)
def test_bad_auth_settings_name_themselves(api, message):
    with pytest.raises(ConfigError, match=message):
        conf.parse({"api": api})


def test_a_file_with_keys_open_to_others_is_refused(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('rpc_signing_keys = ["' + "k" * 32 + '"]\n')
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        conf.load(path, environ={})
    path.chmod(0o600)
    assert conf.load(path, environ={}).rpc_signing_keys == ("k" * 32,)
