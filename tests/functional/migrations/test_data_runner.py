"""The data-migration runner on every backend: batches, resume, isolation."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from datarows import (
    bump,
    bump_pairs,
    engine,
    label_items,
    make_items,
    make_pairs,
    rows,
)

from zerodown.migrations import data
from zerodown.migrations.data import (
    BatchDone,
    DataMigrationSettings,
    KeysetBackfill,
    Status,
    Stop,
    data_migration,
)
from zerodown.migrations.errors import InvalidDataMigration

FIXED = DataMigrationSettings(migrate_batch_size=50)


@pytest.fixture
def conn(zerodown_db):
    eng = engine(zerodown_db.url)
    with eng.connect() as connection:
        yield connection
    eng.dispose()


def test_every_row_is_migrated_once(conn):
    make_items(conn, 230)
    make_pairs(conn, 120)
    events = []
    result = data.run(
        conn, [bump(), bump_pairs()], FIXED, on_event=events.append
    )
    assert result.exit_code == 0 and result.stopped is Stop.DONE
    assert [(o.name, o.status, o.found, o.done) for o in result.outcomes] == [
        ("bump", Status.COMPLETE, 230, 230),
        ("bump_pairs", Status.COMPLETE, 120, 120),
    ]
    assert {(c, t == i) for i, c, t, _ in rows(conn)} == {(1, True)}
    assert {r[2] for r in rows(conn, "pairs")} == {1}
    batches = [e for e in events if isinstance(e, BatchDone)]
    assert [b.done for b in batches if b.name == "bump"] == [50] * 4 + [30, 0]
    assert batches[-1].complete
    again = data.run(conn, [bump(), bump_pairs()], FIXED)
    assert again.exit_code == 0 and again.done == 0
    assert {o.batches for o in again.outcomes} == {0}  # complete: not called
    assert {r[1] for r in rows(conn)} == {1}


def test_state_rows_record_progress(conn):
    make_items(conn, 60)
    data.run(conn, [bump(), label_items], FIXED, max_count=80)
    states = {s.name: s for s in data.pending(conn)}
    assert states["label_items"].kind == "code"
    assert states["label_items"].cursor == {"after": 20}
    assert (states["label_items"].found, states["label_items"].done) == (
        20,
        20,
    )
    conn.rollback()
    data.run(conn, [bump(), label_items], FIXED)
    assert data.pending(conn) == []


def test_max_count_stops_and_a_second_run_resumes(conn):
    make_items(conn, 300)
    first = data.run(conn, [bump(), label_items], FIXED, max_count=120)
    assert first.exit_code == 1 and first.stopped is Stop.MAX_COUNT
    assert first.done == 120
    assert [o.status for o in first.outcomes] == [Status.PENDING] * 2
    assert sum(c for _, c, _, _ in rows(conn)) == 120
    second = data.run(conn, [bump(), label_items], FIXED, max_count=1000)
    assert second.exit_code == 0
    assert (second.outcomes[0].done, second.outcomes[1].done) == (180, 300)
    assert {(c, label) for _, c, _, label in rows(conn)} == {(2, "seen")}


def test_a_failing_migration_is_isolated_and_resumes_once_fixed(conn):
    make_items(conn, 120)
    make_pairs(conn, 40)
    calls = itertools.count()

    @data_migration(name="flaky")
    def flaky(ctx, max_count):
        if next(calls) == 1:
            ctx.connection.exec_driver_sql(
                "UPDATE items SET counter = counter + 100"
            )
            raise RuntimeError("boom")
        return label_items(ctx, max_count)

    result = data.run(conn, [flaky, bump_pairs()], FIXED)
    assert result.exit_code == 2
    failed, other = result.outcomes
    assert (
        failed.status is Status.FAILED and "RuntimeError: boom" in failed.error
    )
    assert (failed.done, failed.batches) == (50, 1)
    assert other.status is Status.COMPLETE and other.done == 40
    state = {s.name: s for s in data.pending(conn)}["flaky"]
    assert state.status == "failed" and "boom" in state.last_error
    conn.rollback()
    # The failing batch was rolled back whole: only the first batch shows.
    assert [r[1] for r in rows(conn)] == [1] * 50 + [0] * 70
    fixed = data.run(conn, [flaky, bump_pairs()], FIXED)
    assert fixed.exit_code == 0 and fixed.outcomes[0].done == 70
    assert {r[1] for r in rows(conn)} == {1}


def test_found_but_not_migratable_stalls_without_failing(conn):
    calls = []

    @data_migration(name="stuck")
    def stuck(ctx, max_count):
        calls.append(max_count)
        return 5, 0

    result = data.run(conn, [stuck], FIXED)
    assert result.outcomes[0].status is Status.STALLED
    assert result.exit_code == 0 and len(calls) == 1
    assert [s.status for s in data.pending(conn)] == ["pending"]


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("nothing", "returns (found, done)"),
        ((1, -1), "returns (found, done)"),
        ("cursor", "not JSON"),
    ],
)
def test_a_broken_migration_fails_with_a_reason(conn, returned, message):
    @data_migration(name="broken")
    def broken(ctx, max_count):
        if returned == "cursor":
            ctx.cursor["at"] = object()
            return 1, 1
        return returned

    result = data.run(conn, [broken])
    assert result.exit_code == 2
    assert message in result.outcomes[0].error


def test_max_duration_stops_between_batches(conn):
    make_items(conn, 500)
    ticks = itertools.count()
    settings = DataMigrationSettings(
        migrate_batch_size=10, migrate_max_duration=5.0
    )
    result = data.run(conn, [bump()], settings, clock=lambda: next(ticks))
    assert result.stopped is Stop.MAX_DURATION and result.exit_code == 1
    assert 0 < result.done < 500


def test_the_batch_size_adapts(conn):
    make_items(conn, 2000)
    events = []
    settings = DataMigrationSettings(
        migrate_initial_batch_size=10, migrate_batch_time=10.0
    )
    data.run(conn, [bump()], settings, on_event=events.append)
    sizes = [e.batch_size for e in events if isinstance(e, BatchDone)]
    assert sizes[:5] == [10, 20, 40, 80, 160]  # doubling at most
    assert {r[1] for r in rows(conn)} == {1}


def test_online_backfills_are_registered_resolved_and_finished(conn):
    make_items(conn, 75)
    spec = {"table": "items", "assignments": "counter = counter + 1"}
    with conn.begin():  # the expand revision's transaction
        data.register_online(conn, "online:items", spec, "rev1")
        data.register_online(conn, "online:items", spec, "rev1")  # again
    assert data.online_spec(conn, "online:items") == spec

    def resolver(stored, connection):
        return KeysetBackfill(
            name="online:items",
            table=stored["table"],
            key=("id",),
            assignments=stored["assignments"],
        )

    found = data.discover(conn, resolver=resolver)
    conn.rollback()
    assert [(d.name, d.kind, d.revision) for d in found] == [
        ("online:items", "online", "rev1")
    ]
    assert data.run(conn, found, FIXED, max_count=50).exit_code == 1
    with conn.begin():
        data.register_online(conn, "online:items", spec, "rev1")
    assert data.run(conn, found, FIXED).outcomes[0].done == 25
    assert {r[1] for r in rows(conn)} == {1}  # re-registering kept progress
    with conn.begin():
        data.finish_online(conn, "online:items")  # contract ran
    assert data.discover(conn, resolver=resolver) == []
    conn.rollback()
    with conn.begin():
        data.forget_online(conn, "online:items")  # expand rolled back
    assert data.online_spec(conn, "online:items") is None


def test_an_online_backfill_that_does_not_resolve_fails_alone(conn):
    make_items(conn, 10)
    with conn.begin():
        data.register_online(conn, "online:gone", {"table": "gone"}, "rev1")

    def resolver(stored, connection):
        raise LookupError(f"no table {stored['table']}")

    found = [
        *data.discover(conn, resolver=resolver),
        data.Discovered(bump(), "code"),
    ]
    result = data.run(conn, found)
    assert [o.status for o in result.outcomes] == [
        Status.FAILED,
        Status.COMPLETE,
    ]
    assert "no table gone" in result.outcomes[0].error


def test_remaining_asks_each_migration_and_changes_nothing(conn):
    make_items(conn, 30)
    left = data.remaining(conn, [bump(), label_items])
    assert [(r.name, r.found) for r in left] == [
        ("bump", 1),
        ("label_items", 1),
    ]
    assert "still finds rows" in str(left[0])
    assert {r[1] for r in rows(conn)} == {0}
    data.run(conn, [bump()])
    with conn.begin():  # inside a transaction: a savepoint
        assert [
            r.name for r in data.remaining(conn, [bump(), label_items])
        ] == ["label_items"]
        conn.exec_driver_sql("SELECT 1")  # the transaction still works
    data.run(conn, [label_items])
    assert data.remaining(conn, [bump(), label_items]) == []


def test_a_probe_that_fails_is_reported():
    class Broken:
        name = "broken"

        def __call__(self, ctx, max_count):
            raise ValueError("nope")

    eng = engine("sqlite://")
    with eng.connect() as connection:
        (left,) = data.remaining(connection, [Broken()])
    assert left.error == "ValueError: nope" and "fails" in str(left)


def test_names_are_unique_across_sources(conn, tmp_path, monkeypatch):
    module = tmp_path / "dm_dupes.py"
    module.write_text(
        "from zerodown.migrations.data import data_migration\n"
        "@data_migration(name='bump')\n"
        "def one(ctx, n):\n    return 0, 0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import types

    revision = types.ModuleType("rev")
    revision.data_migrations = [bump()]
    with pytest.raises(InvalidDataMigration, match="declared twice"):
        data.discover(conn, [("r1", revision)], ["dm_dupes"])
    with pytest.raises(InvalidDataMigration, match="does not import"):
        data.discover(conn, modules=["dm_no_such_module"])
    revision.data_migrations = "bump"
    with pytest.raises(InvalidDataMigration, match="must be a list"):
        data.discover(conn, [("r1", revision)])


def test_the_state_table_exists_on_every_backend(conn):
    data.run(conn, [label_items])
    columns = {
        c["name"]
        for c in sa.inspect(conn).get_columns("zerodown_data_migrations")
    }
    assert {
        "name",
        "kind",
        "spec",
        "revision",
        "cursor",
        "found",
        "done",
        "status",
        "last_error",
        "updated_at",
    } <= columns


@pytest.mark.parametrize("durable", [False, True])
def test_batches_commit_without_waiting_for_the_wal_unless_asked(
    conn, zerodown_db, durable
):
    if zerodown_db.backend != "postgresql":
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    seen = []

    @data_migration(name="look")
    def look(ctx, max_count):
        seen.append(
            ctx.connection.exec_driver_sql("SHOW synchronous_commit").scalar()
        )
        return 0, 0

    settings = DataMigrationSettings(migrate_synchronous_commit=durable)
    data.run(conn, [look], settings)
    assert seen == ["on" if durable else "off"]
    assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_two_runners_at_once_share_the_work_without_overlap(zerodown_db):
    import threading

    eng = engine(zerodown_db.url)
    with eng.connect() as conn:
        make_items(conn, 600)
        data.run(conn, [bump()], FIXED, max_count=1)  # the state row
    results = []

    def runner():
        with eng.connect() as conn:
            results.append(data.run(conn, [bump()], FIXED))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with eng.connect() as conn:
        assert {r[1] for r in rows(conn)} == {1}
    eng.dispose()
    assert sum(r.done for r in results) == 599
    assert [r.exit_code for r in results] == [0, 0]
