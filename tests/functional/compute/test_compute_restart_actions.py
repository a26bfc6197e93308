"""A compute that starts finds actions the API accepted and nobody
finished, and carries them out; one that stays up does so once they have
waited ``[compute] task_timeout`` seconds.

Their cast died with the queue (a transient queue does not outlive a
RabbitMQ restart), or the compute died between doing an action and
saving it: the instance would stay pausing, unpausing, rebooting or
deleting for good (seen in the release 2 -> 3 upgrade job's fault run: a
server left "pausing" after RabbitMQ restarted and its compute was
killed).  Here the compute is killed, the rows are put in the state such
a lost cast leaves (the API saves the task state, then casts), and the
compute starts again.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
import sqlalchemy as sa

from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.testing.waiting import eventually

HOST = ComputeHost("compute-1", "fake", {}, ram_allocation_ratio=1.0)


def _running(tmp_path, host: ComputeHost, **options):
    """One compute ``host`` on SQLite and the embedded broker, with a
    ``small`` flavor (a fixture's body)."""
    deployment = Deployment(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/compute.db",
        transport_url=f"embedded://{tmp_path}/broker.db",
        computes=(host,),
        topic_prefix=f"zdt-{uuid.uuid4().hex[:8]}-",
        **options,
    )
    with deployment.running():
        deployment.api.create_flavor("small", 1, 256, 1, flavorid="small")
        yield deployment


@pytest.fixture
def stack(tmp_path):
    yield from _running(tmp_path, HOST)


def _lost_cast(
    stack, server: str, task_state: str, age: float | None = None
) -> None:
    """What the API leaves when its cast never arrives: the task state,
    saved before the cast (``age`` seconds ago, if given)."""
    engine = sa.create_engine(stack.database_url)
    values = {"task": task_state, "uuid": server}
    query = "UPDATE instances SET task_state = :task"
    if age is not None:
        query += ", updated_at = :at"
        values["at"] = datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None
        ) - datetime.timedelta(seconds=age)
    statement = sa.text(query + " WHERE uuid = :uuid")
    if age is not None:
        statement = statement.bindparams(sa.bindparam("at", type_=sa.DateTime))
    try:
        with engine.begin() as connection:
            connection.execute(statement, values)
    finally:
        engine.dispose()


def _active_servers(api, names) -> dict[str, str]:
    """A server of the small flavor for each of ``names``, once ACTIVE:
    name -> id."""
    servers = {name: api.create_server(name, "small")["id"] for name in names}
    for server in servers.values():
        assert api.wait_for_status(server, "ACTIVE")["status"] == "ACTIVE"
    return servers


def test_a_started_compute_finishes_what_was_left_in_a_task_state(stack):
    api = stack.api
    servers = _active_servers(
        api, ("to-pause", "to-unpause", "to-reboot", "to-delete")
    )
    api.action(servers["to-unpause"], "pause")
    assert api.wait_for_status(servers["to-unpause"], "PAUSED")

    stack.processes["compute-1"].kill()
    _lost_cast(stack, servers["to-pause"], "pausing")
    _lost_cast(stack, servers["to-unpause"], "unpausing")
    _lost_cast(stack, servers["to-reboot"], "rebooting")
    _lost_cast(stack, servers["to-delete"], "deleting")
    stack.start_compute(HOST)

    paused = api.wait_for_status(servers["to-pause"], "PAUSED")
    assert (paused["status"], paused["task_state"]) == ("PAUSED", None)
    active = api.wait_for_status(servers["to-unpause"], "ACTIVE")
    assert (active["status"], active["task_state"]) == ("ACTIVE", None)
    rebooted = api.wait_for_server(
        servers["to-reboot"], lambda s: s["task_state"] is None
    )
    assert rebooted["status"] == "ACTIVE", rebooted
    assert api.wait_for_deleted(servers["to-delete"])
    # Each can be acted on again: nothing is left half done.
    api.action(servers["to-pause"], "unpause")
    assert (
        api.wait_for_status(servers["to-pause"], "ACTIVE")["task_state"]
        is None
    )


def test_a_cast_that_waited_for_the_compute_runs_once(stack):
    """Casts queued while the compute was down (its queue outlives it)
    reach it after its start-up carried the actions out: each copy is
    dropped, not run again, and a later request of the same action is
    not taken for one."""
    api = stack.api
    servers = _active_servers(api, ("to-pause", "to-reboot", "to-delete"))
    stack.processes["compute-1"].kill()
    api.action(servers["to-pause"], "pause")
    api.action(servers["to-reboot"], "reboot", {"type": "HARD"})
    api.delete_server(servers["to-delete"])
    compute = stack.start_compute(HOST)

    assert api.wait_for_status(servers["to-pause"], "PAUSED")["status"] == (
        "PAUSED"
    )
    assert api.wait_for_deleted(servers["to-delete"])
    rebooted = api.wait_for_server(
        servers["to-reboot"], lambda s: s["task_state"] is None
    )
    assert rebooted["status"] == "ACTIVE", rebooted
    eventually(
        lambda: compute.log.read_text().count("carried out already") == 3,
        timeout=30,
        message="the queued copies were not all dropped",
    )
    log = compute.log.read_text()
    for server in servers.values():
        assert "finishing the " in log and server in log
    # A new pause of the same server, after an unpause, runs.
    api.action(servers["to-pause"], "unpause")
    assert api.wait_for_status(servers["to-pause"], "ACTIVE")["status"] == (
        "ACTIVE"
    )
    api.action(servers["to-pause"], "pause")
    assert api.wait_for_status(servers["to-pause"], "PAUSED")["status"] == (
        "PAUSED"
    )


QUICK = ComputeHost(
    "compute-1", "fake", {}, ram_allocation_ratio=1.0, task_timeout=2.0
)


@pytest.fixture
def quick_stack(tmp_path):
    """One compute that finishes actions left 2 s in their task state."""
    yield from _running(tmp_path, QUICK, report_interval=1.0)


def test_a_compute_that_stays_up_finishes_what_its_lost_casts_left(
    quick_stack,
):
    """RabbitMQ restarted after taking the casts into the compute's
    transient queue: they are gone, and the compute never restarted.
    Past ``task_timeout`` in their task state, the compute carries the
    actions out itself, in one pass that leaves a younger one alone, and
    the younger one in its turn."""
    stack = quick_stack
    api = stack.api
    servers = _active_servers(
        api, ("to-pause", "to-reboot", "to-delete", "younger")
    )
    _lost_cast(stack, servers["younger"], "pausing", age=-3600)
    _lost_cast(stack, servers["to-pause"], "pausing", age=3600)
    _lost_cast(stack, servers["to-reboot"], "rebooting_hard", age=3600)
    _lost_cast(stack, servers["to-delete"], "deleting", age=3600)

    paused = api.wait_for_status(servers["to-pause"], "PAUSED")
    assert (paused["status"], paused["task_state"]) == ("PAUSED", None)
    rebooted = api.wait_for_server(
        servers["to-reboot"], lambda s: s["task_state"] is None
    )
    assert rebooted["status"] == "ACTIVE", rebooted
    assert api.wait_for_deleted(servers["to-delete"])
    younger = api.get_server(servers["younger"])
    assert (younger["status"], younger["task_state"]) == ("ACTIVE", "pausing")
    log = stack.processes["compute-1"].log.read_text()
    assert log.count("in its task state for more than 2s") == 3, log

    _lost_cast(stack, servers["younger"], "pausing", age=3600)
    assert api.wait_for_status(servers["younger"], "PAUSED")["status"] == (
        "PAUSED"
    )
    # Each can be acted on again: nothing is left half done.
    api.action(servers["to-pause"], "unpause")
    assert api.wait_for_status(servers["to-pause"], "ACTIVE")["status"] == (
        "ACTIVE"
    )
