"""Two releases in separate processes, over RabbitMQ and the embedded
broker: the new client caps itself at the old server's version, backports
objects before sending, lifts the cap as soon as the old server leaves,
and an old server without that knowledge gets its objects backported by
the conductor."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rpc_processes import ServiceProcess
from widget_service import BINARY, release

from zerodown.objects.serializer import ObjectSerializer
from zerodown.rpc import RequestContext
from zerodown.rpc.errors import RPCVersionCapError
from zerodown.services import ServiceDirectory, create_schema
from zerodown.services.errors import ServiceTooOld
from zerodown.testing.waiting import eventually


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'services.db'}"
    create_schema(sa.create_engine(url))
    return url


@pytest.fixture
def processes(topic):
    started: list[ServiceProcess] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture
def spawn(processes, broker_url, topic, db_url):
    def start(rel: str, host: str, role: str = "server", **extra: str):
        args = [
            "--release",
            rel,
            "--role",
            role,
            "--url",
            broker_url,
            "--host",
            host,
            "--db",
            db_url,
            "--topic",
            topic if role == "server" else f"{topic}-conductor",
        ]
        for key, value in extra.items():
            args += [f"--{key}", value]
        process = ServiceProcess(*args)
        processes.append(process)
        return process

    return start


def _widget(rel, **values):
    reg = rel.registry
    knob = reg["Knob"](turns=2)
    return reg["Widget"](id=1, name="w", knobs=[knob], **values)


def _client(rel, transport, db_url, topic, **kwargs):
    directory = ServiceDirectory(sa.create_engine(db_url), rel.history)
    return rel.api(
        transport,
        topic=topic,
        serializer=ObjectSerializer(rel.registry),
        services=directory,
        timeout=15,
        **kwargs,
    )


def test_new_client_old_server_then_the_cap_rises_by_itself(
    spawn, transport, topic, db_url
):
    v2 = release("v2")
    old = spawn("v1", "old-1")
    api = _client(
        v2, transport, db_url, topic, version_cap="auto", refresh_interval=120
    )
    try:
        assert api.cap.current() == "1.0"
        seen = api.describe(
            RequestContext(request_id="req-mixed"), _widget(v2, color="red")
        )
        # Backported by the sender: no conductor round trip.
        assert seen == {
            "release": "v1",
            "version": "1.0",
            "fields": ["id", "knobs", "name"],
            "indirection_calls": 0,
            "request_id": "req-mixed",
        }
        with pytest.raises(RPCVersionCapError):
            api.paint(None, _widget(v2), "blue")

        spawn("v2", "new-1")
        assert api.cap.current() == "1.0"  # the old one is still live
        old.stop()
        eventually(
            lambda: api.cap.current() is None,
            message=lambda: f"the cap stayed: {api.cap.decision}",
        )
        # The interval is two minutes: the stop notice lifted the cap.
        painted = api.paint(None, _widget(v2), "blue")
        assert painted.color == "blue"
        assert type(painted) is v2.registry["Widget"]
    finally:
        api.close()


def test_old_server_asks_the_conductor_to_backport(
    spawn, transport, topic, db_url
):
    spawn("v2", "conductor-1", role="conductor")
    spawn("v1", "old-1", conductor=f"{topic}-conductor")
    v2 = release("v2")
    api = _client(v2, transport, db_url, topic)  # no cap: sends Widget 1.1
    try:
        seen = api.describe(None, _widget(v2, color="red"))
    finally:
        api.close()
    assert seen["version"] == "1.0"
    assert seen["fields"] == ["id", "knobs", "name"]
    assert seen["indirection_calls"] == 1


def test_old_client_new_server(spawn, transport, topic, db_url):
    spawn("v2", "new-1")
    v1 = release("v1")
    api = _client(v1, transport, db_url, topic, version_cap="v1")
    try:
        seen = api.describe(None, _widget(v1))
    finally:
        api.close()
    # The new registry reads the old object and upgrades it.
    assert seen["release"] == "v2"
    assert seen["version"] == "1.1"


def test_a_release_too_old_for_the_deployment_refuses_to_start(db_url):
    engine = sa.create_engine(db_url)
    v1, v2 = release("v1"), release("v2")
    strict = type(v2.history)(
        "widgets", *v2.history.entries, oldest_supported=2
    )
    ServiceDirectory(engine, strict).register("new-1", BINARY)
    with pytest.raises(ServiceTooOld, match="supports services from"):
        ServiceDirectory(engine, v1.history).register("old-1", BINARY)
