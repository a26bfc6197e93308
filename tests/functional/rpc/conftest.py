"""RPC over real brokers: RabbitMQ and the embedded broker.

RabbitMQ comes from ``ZERODOWN_TEST_AMQP_URL`` (default: the local one,
guest/guest).  If it does not answer, these tests fail - they are never
skipped.  Each test uses topics of its own and deletes its queues.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

import zerodown.objects  # noqa: F401  (o.vo without its eventlet warning)
from zerodown.rpc import Transport, get_transport
from zerodown.rpc.transport.kombu_util import close_quietly, new_connection

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get("ZERODOWN_TEST_AMQP_URL", DEFAULT_AMQP)
    conn = new_connection(url, connect_timeout=5)
    try:
        conn.ensure_connection(max_retries=2, interval_start=1)
    except Exception as err:  # any failure to connect fails the run
        pytest.fail(f"RabbitMQ at {url.split('@')[-1]} is unreachable: {err}")
    finally:
        close_quietly(conn)
    return url


@pytest.fixture(params=["rabbitmq", "embedded"])
def broker_url(request, tmp_path) -> str:
    if request.param == "rabbitmq":
        return request.getfixturevalue("amqp_url")
    return f"embedded://{tmp_path / 'broker.db'}"


@pytest.fixture
def topic(request, broker_url) -> Iterator[str]:
    name = f"zdt-{uuid.uuid4().hex[:10]}"
    yield name
    if broker_url.startswith("amqp"):
        delete_queues(broker_url, name)


@pytest.fixture
def rabbit_topic(amqp_url) -> Iterator[str]:
    """A topic of its own, for tests that run on RabbitMQ only."""
    name = f"zdt-{uuid.uuid4().hex[:10]}"
    yield name
    delete_queues(amqp_url, name)


@pytest.fixture
def transport(broker_url) -> Iterator[Transport]:
    made = get_transport(broker_url)
    yield made
    made.close()


#: Server names the tests use; their queues are deleted after each test.
HOSTS = ("old-1", "new-1", "conductor-1", "h1", "h2", "s1")


def delete_queues(url: str, prefix: str) -> None:
    """Delete a test's queues and exchanges on RabbitMQ (best effort;
    RabbitMQ deletes a queue that does not exist without complaint)."""
    names = [
        f"{base}{suffix}"
        for base in (prefix, f"{prefix}-conductor")
        for suffix in ("", *(f".{host}" for host in HOSTS))
    ]
    conn = new_connection(url)
    try:
        channel = conn.channel()
        for name in names:
            channel.queue_delete(queue=name)
        for base in (prefix, f"{prefix}-conductor"):
            channel.exchange_delete(exchange=f"{base}_fanout")
    except Exception:  # leftovers are harmless; never fail a test on them
        pass
    finally:
        close_quietly(conn)
