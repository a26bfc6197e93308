"""Calls, casts, fanout and errors end to end over the memory transport."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from zerodown.compute.errors import CPUPinningInvalid
from zerodown.rpc import (
    RPCAPI,
    ContextFilter,
    RequestContext,
    RPCClient,
    RPCServer,
    Target,
    current_context,
    list_dead_letters,
)
from zerodown.rpc.deadletter import REFUSED
from zerodown.rpc.errors import (
    InvalidArguments,
    MessagingTimeout,
    NoSuchMethod,
    RemoteError,
    RPCDeclarationError,
    RPCVersionCapError,
    UnsupportedVersion,
)
from zerodown.rpc.protocol import Request
from zerodown.rpc.transport import Address, Message
from zerodown.testing.waiting import eventually


class ServedAPI(RPCAPI):
    """The API both endpoints serve.

    API version history:

    * 1.0 - echo(value), note(value), fail(), pin(), whoami().
    * 1.3 - listen().
    * 2.0 - Drop 1.x; echo(value, loud).
    * 2.1 - whoami() again.
    """

    TOPIC = "t"
    VERSION = "2.1"


class V1Endpoint:
    """The 1.x API: kept beside 2.x for old clients."""

    target = Target(version="1.3")
    RPC_API = ServedAPI

    def __init__(self) -> None:
        self.casts: list[object] = []
        self.done = threading.Event()

    def echo(self, context, value):
        return {"major": 1, "value": value}

    def note(self, context, value):
        self.casts.append(value)
        self.done.set()

    def fail(self, context):
        raise KeyError("boom")

    def pin(self, context):
        raise CPUPinningInvalid(cell=0, requested=[1], pinned=[1])

    def whoami(self, context):
        assert current_context() is context
        return [context.request_id, context.user_id, list(context.roles)]

    def _private(self, context):
        return "never"

    def init_host(self, context):
        """Public, but no history declares it."""
        return "never"


class V2Endpoint:
    target = Target(version="2.1")
    RPC_API = ServedAPI

    def echo(self, context, value, loud=False):
        return {"major": 2, "value": value.upper() if loud else value}


@pytest.fixture
def endpoints():
    return V1Endpoint(), V2Endpoint()


@pytest.fixture
def server(transport, endpoints):
    server = RPCServer(transport, Target(topic="t", server="h1"), endpoints)
    with server:
        yield server


def client(transport, version="1.0", **kwargs):
    return RPCClient(
        transport, Target(topic="t", version=version), timeout=2, **kwargs
    )


def test_a_server_serves_two_majors_at_once(transport, server):
    c = client(transport)
    assert c.call(None, "echo", value="x") == {"major": 1, "value": "x"}
    v2 = c.prepare(version="2.1")
    assert v2.call(None, "echo", value="x", loud=True) == {
        "major": 2,
        "value": "X",
    }


@pytest.mark.parametrize(
    ("version", "method", "error"),
    [
        ("1.4", "echo", UnsupportedVersion),
        ("3.0", "echo", UnsupportedVersion),
        ("1.0", "nosuch", NoSuchMethod),
        ("1.0", "_private", NoSuchMethod),
        ("1.0", "target", NoSuchMethod),
        ("1.0", "init_host", NoSuchMethod),
        ("1.3", "init_host", NoSuchMethod),
    ],
)
def test_undispatchable_calls_are_answered_with_typed_errors(
    transport, server, version, method, error
):
    with pytest.raises(error) as caught:
        client(transport, version).call(None, method, value=1)
    assert "1.3, 2.1" in str(caught.value)


def test_wrong_arguments_are_a_typed_error(transport, server):
    with pytest.raises(InvalidArguments, match="unexpected keyword"):
        client(transport).call(None, "echo", value=1, extra=2)
    with pytest.raises(InvalidArguments, match="missing"):
        client(transport).call(None, "echo")


def test_endpoint_errors_come_back(transport, server):
    with pytest.raises(RemoteError, match="KeyError"):
        client(transport).call(None, "fail")
    with pytest.raises(CPUPinningInvalid):
        client(transport).call(None, "pin")


def test_the_cap_refuses_before_anything_is_sent(transport, server):
    c = client(transport, version="1.0", version_cap="1.2")
    sent = transport.published
    with pytest.raises(RPCVersionCapError, match="above the version cap"):
        c.prepare(version="1.3").cast(None, "note", value=1)
    with pytest.raises(RPCVersionCapError):
        c.prepare(version="2.0").call(None, "echo", value=1)
    assert transport.published == sent
    assert c.can_send_version("1.2") and not c.can_send_version("1.3")
    assert c.call(None, "echo", value=1)["major"] == 1


def test_a_call_nobody_answers_times_out(transport):
    c = RPCClient(
        transport, Target(topic="nobody", version="1.0"), timeout=0.3
    )
    started = time.monotonic()
    with pytest.raises(MessagingTimeout):
        c.call(None, "echo", value=1)
    assert time.monotonic() - started < 2


def test_closing_a_client_ends_its_waiting_calls_at_once(transport):
    """A stopping service closes its client: calls waiting for a peer
    that is gone end then, not at their timeout."""
    c = RPCClient(transport, Target(topic="nobody", version="1.0"))
    ended: list[BaseException] = []

    def call():
        try:
            c.call(None, "echo", value=1)
        except MessagingTimeout as err:
            ended.append(err)

    caller = threading.Thread(target=call)
    caller.start()
    eventually(lambda: bool(c.replies._slots))  # the call waits for its reply
    c.close()
    caller.join(5)
    assert not caller.is_alive() and len(ended) == 1


def test_casts_to_topic_server_and_fanout(transport, endpoints, server):
    v1 = endpoints[0]
    c = client(transport)
    c.cast(None, "note", value="topic")
    c.prepare(server="h1").cast(None, "note", value="direct")
    c.prepare(fanout=True).cast(None, "note", value="everyone")
    eventually(lambda: len(v1.casts) == 3)
    assert sorted(v1.casts) == ["direct", "everyone", "topic"]


def test_fanout_reaches_every_server(transport):
    first, second = V1Endpoint(), V1Endpoint()
    with (
        RPCServer(transport, Target(topic="f", server="a"), [first]),
        RPCServer(transport, Target(topic="f", server="b"), [second]),
    ):
        c = RPCClient(transport, Target(topic="f", version="1.0"))
        c.prepare(fanout=True).cast(None, "note", value="all")
        eventually(lambda: first.casts and second.casts)
    assert first.casts == second.casts == ["all"]


def test_undispatchable_casts_go_to_the_dead_letters(transport, server):
    c = client(transport)
    c.prepare(version="3.0").cast(
        RequestContext(request_id="req-dead"), "note", value=1
    )
    c.cast(None, "nosuch")
    c.cast(None, "note", wrong=1)
    eventually(lambda: len(list_dead_letters(transport)) == 3)
    # Workers run concurrently: the order of the entries may vary.
    letters = sorted(list_dead_letters(transport), key=lambda d: d.reason)
    assert [(d.reason, d.method, d.version) for d in letters] == [
        ("InvalidArguments", "note", "1.0"),
        ("NoSuchMethod", "nosuch", "1.0"),
        ("UnsupportedVersion", "note", "3.0"),
    ]
    assert letters[2].request_id == "req-dead"
    assert letters[2].topic == "t" and letters[2].server == "h1"
    # The server keeps serving.
    assert client(transport).call(None, "echo", value=2)["value"] == 2


def test_context_travels_and_is_current_in_the_endpoint(transport, server):
    context = RequestContext(
        request_id="req-42", user_id="alice", roles=("admin", "member")
    )
    assert client(transport).call(context, "whoami") == [
        "req-42",
        "alice",
        ["admin", "member"],
    ]
    assert current_context() is None


def test_the_log_filter_adds_request_ids(transport, endpoints, caplog):
    seen = []

    class Logging(V1Endpoint):
        def echo(self, context, value):
            logging.getLogger("app").warning("echo")
            return value

    handler = logging.Handler()
    handler.addFilter(ContextFilter())
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger("app").addHandler(handler)
    try:
        with RPCServer(transport, Target(topic="l"), [Logging()]):
            c = RPCClient(transport, Target(topic="l", version="1.0"))
            c.call(RequestContext(request_id="req-log"), "echo", value=1)
    finally:
        logging.getLogger("app").removeHandler(handler)
    assert [r.request_id for r in seen] == ["req-log"]


def test_a_redelivered_duplicate_is_not_run_twice(transport, endpoints):
    v1 = endpoints[0]
    server = RPCServer(
        transport, Target(topic="d"), endpoints, workers=0
    ).start()
    try:
        message = server.protocol.request(
            Request("note", "1.0", {"value": "once"}, {}), Address("d")
        )
        for _ in range(2):
            transport.publish(Address("d"), message)
        # The copy is recognised and counted once the first has run.
        eventually(
            lambda: server.protocol.signing.stats.duplicates == 1,
            message="the copy was not recognised",
        )
    finally:
        server.stop()
    assert v1.casts == ["once"]


def test_garbage_is_refused_apart_and_the_server_keeps_serving(
    transport, server
):
    transport.publish(Address("t"), Message(b"\xc1\xc1", "junk-1"))
    transport.publish(
        Address("t"), Message(b"\x93\x01\x02\x03", "junk-2", reply_to="nope")
    )
    eventually(lambda: len(list_dead_letters(transport, address=REFUSED)) == 2)
    refused = list_dead_letters(transport, address=REFUSED)
    assert {r.reason for r in refused} == {"MalformedMessage"}
    assert list_dead_letters(transport) == []
    assert server.protocol.signing.stats.refused == {"MalformedMessage": 2}
    assert client(transport).call(None, "echo", value=3)["value"] == 3


def test_an_endpoint_must_name_the_api_it_serves(transport):
    class Anonymous:
        target = Target(version="1.0")

        def echo(self, context, value):
            return value

    with pytest.raises(RPCDeclarationError, match="RPC_API"):
        RPCServer(transport, Target(topic="a"), [Anonymous()])
