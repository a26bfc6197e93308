"""Settings from zerodown's configuration, and transports by URL."""

from __future__ import annotations

import pytest

from zerodown.config import load_config
from zerodown.exceptions import ConfigError
from zerodown.rpc import MemoryTransport, RPCSettings, get_transport
from zerodown.rpc.transport import TransportOptions, embedded_path
from zerodown.rpc.transport.broker import KombuTransport


def test_settings_come_from_the_environment(tmp_path):
    config = load_config(
        environ={
            "ZERODOWN_TRANSPORT_URL": "memory://",
            "ZERODOWN_RPC_SIGNING_KEYS": f"{'n' * 20},{'o' * 20}",
            "ZERODOWN_RPC_MAX_MESSAGE_SIZE": "1024",
            "ZERODOWN_RPC_TIMEOUT": "2.5",
        }
    )
    settings = config.settings(RPCSettings)
    assert settings.rpc_signing_keys == ("n" * 20, "o" * 20)
    assert settings.rpc_timeout == 2.5
    protocol = settings.protocol()
    assert protocol.max_size == 1024
    signer = protocol.signing.signer
    assert signer is not None and len(signer.keys) == 2
    assert protocol.signing.mode.value == "required"
    assert isinstance(settings.transport(), MemoryTransport)


def test_short_signing_keys_are_a_configuration_error():
    with pytest.raises(ConfigError, match="16 bytes"):
        RPCSettings(rpc_signing_keys=("short",)).protocol()


def test_no_keys_is_an_error_unless_signing_is_off_in_words():
    with pytest.raises(ConfigError, match="rpc_signing = off"):
        RPCSettings().protocol()
    with pytest.raises(ConfigError, match="not one of"):
        RPCSettings(rpc_signing="maybe").protocol()
    assert RPCSettings(rpc_signing="off").protocol().signing.signer is None
    permissive = RPCSettings(
        rpc_signing="permissive", rpc_signing_keys=("k" * 16,)
    )
    assert permissive.protocol().signing.mode.value == "permissive"


def test_amqp_urls_fail_over_in_order_and_hide_passwords():
    transport = get_transport(
        "rabbit://u:secret@a:5672//;amqp://u:secret@b:5672//"
    )
    assert isinstance(transport, KombuTransport)
    assert transport.urls == [
        "amqp://u:secret@a:5672//",
        "amqp://u:secret@b:5672//",
    ]
    assert "secret" not in transport.display_url
    assert transport.ssl is None


def test_tls_settings_pass_through_to_kombu():
    transport = get_transport(
        "amqps://u:p@rabbit:5671//",
        TransportOptions(ssl_ca_file="/ca.pem", ssl_cert_file="/c.pem"),
    )
    assert isinstance(transport, KombuTransport)
    assert transport.ssl["ca_certs"] == "/ca.pem"
    assert transport.ssl["certfile"] == "/c.pem"
    assert get_transport("amqps://u:p@rabbit//").ssl is True


def test_embedded_urls_name_a_file(tmp_path):
    assert embedded_path(f"embedded://{tmp_path}/b.db") == f"{tmp_path}/b.db"
    with pytest.raises(ConfigError):
        embedded_path("embedded://")


def test_unknown_schemes_are_refused_without_leaking_credentials():
    with pytest.raises(ConfigError) as caught:
        get_transport("kafka://user:secret@host")
    assert "secret" not in str(caught.value)
