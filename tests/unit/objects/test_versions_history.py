"""Version strings and histories: the ladder a class declares."""

from __future__ import annotations

import pytest

from zerodown.objects import Change, History, ObjectRegistry, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.errors import (
    ObjectDeclarationError,
    UnrepresentableValue,
)
from zerodown.objects.history import Refusal
from zerodown.objects.versions import (
    format_version,
    is_canonical,
    parse_version,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("1.0", (1, 0)), ("2.14", (2, 14)), ("1.5.3", (1, 5)), ("0.0", (0, 0))],
)
def test_versions_parse_and_ignore_the_z_part(text, parsed):
    assert parse_version(text) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "1.",
        "01.2",
        "1.02",
        "a.b",
        "1.2.3.4",
        " 1.2",
        "1.2 ",
        "9999.1",
        1.5,
        None,
    ],
)
def test_malformed_versions_are_refused(text):
    with pytest.raises(ValueError):
        parse_version(text)


def test_canonical_versions():
    assert is_canonical("1.5") and not is_canonical("1.5.0")
    assert format_version((3, 12)) == "3.12"


def _history() -> History:
    history = History(
        Change("1.0", "initial", added=["a", "b"]),
        Change("1.1", "c", added=["c"]),
        Change("1.2", "no field change"),
        Change("1.3", "d and e", added=["d", "e"]),
    )
    history.bind("Thing", ["a", "b", "c", "d", "e"])
    return history


def test_fields_of_each_version_accumulate():
    history = _history()
    assert history.fields_at((1, 0)) == {"a", "b"}
    assert history.fields_at((1, 2)) == {"a", "b", "c"}
    assert history.fields_at((1, 3)) == {"a", "b", "c", "d", "e"}
    assert history.added_in("d") == (1, 3)
    assert history.first == (1, 0) and history.latest == (1, 3)


def test_a_backport_drops_exactly_the_later_fields():
    history = _history()
    data = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    history.backport(data, (1, 3), (1, 1))
    assert data == {"a": 1, "b": 2, "c": 3}
    history.backport(data, (1, 1), (1, 0))
    assert data == {"a": 1, "b": 2}


def test_steps_run_newest_first_before_their_fields_drop():
    seen = []

    def step(version):
        def run(data, ctx):
            seen.append((version, sorted(data), ctx.source, ctx.target))

        return run

    history = History(
        Change("1.0", "initial", added=["a"]),
        Change("1.1", "b", added=["b"], backport=step("1.1")),
        Change("1.2", "c", added=["c"], backport=step("1.2")),
    )
    history.bind("Thing", ["a", "b", "c"])
    history.backport({"a": 1, "b": 2, "c": 3}, (1, 2), (1, 0))
    assert seen == [
        ("1.2", ["a", "b", "c"], "1.2", "1.0"),
        ("1.1", ["a", "b"], "1.2", "1.0"),
    ]


def test_upgrade_steps_run_oldest_first():
    seen = []
    history = History(
        Change("1.0", "initial", added=["a"]),
        Change(
            "1.1", "b", added=["b"], upgrade=lambda d, c: seen.append("1.1")
        ),
        Change(
            "1.2", "c", added=["c"], upgrade=lambda d, c: seen.append("1.2")
        ),
    )
    history.bind("Thing", ["a", "b", "c"])
    history.upgrade({"a": 1}, (1, 0), (1, 2))
    assert seen == ["1.1", "1.2"]
    seen.clear()
    history.upgrade({"a": 1, "b": 2}, (1, 1), (1, 2))
    assert seen == ["1.2"]


def test_enum_values_are_refused_below_their_version():
    history = History(
        Change("1.0", "initial", added=["mode"]),
        Change("1.1", "turbo"),
    )
    history.bind(
        "Thing",
        ["mode"],
        [Refusal("mode", frozenset({"turbo"}), False, (1, 1))],
    )
    ok = {"mode": "eco"}
    history.backport(ok, (1, 1), (1, 0))
    assert ok == {"mode": "eco"}
    with pytest.raises(UnrepresentableValue) as err:
        history.backport({"mode": "turbo"}, (1, 1), (1, 0))
    assert (err.value.object, err.value.version, err.value.field) == (
        "Thing",
        "1.0",
        "mode",
    )
    assert err.value.value == "turbo"
    assert history.too_new((1, 0)) == {"mode": frozenset({"turbo"})}
    assert history.too_new((1, 1)) == {}


def test_a_step_refuses_through_its_context():
    def refuse(data, ctx):
        if data.get("a", 0) < 0:
            ctx.refuse("a", data["a"], "negative sizes came later")

    history = History(
        Change("1.0", "initial", added=["a"]),
        Change("1.1", "negative a", backport=refuse),
    )
    history.bind("Thing", ["a"])
    with pytest.raises(
        UnrepresentableValue, match="negative sizes came later"
    ):
        history.backport({"a": -1}, (1, 1), (1, 0))


@pytest.mark.parametrize(
    ("changes", "fields", "problem"),
    [
        ((), [], "empty"),
        ((Change("1.1", "x", added=["a"]),), ["a"], "should be 1.0"),
        (
            (Change("1.0", "x", added=["a"]), Change("1.2", "y")),
            ["a"],
            "should be 1.1",
        ),
        (
            (Change("1.0", "x", added=["a"]), Change("2.1", "y")),
            ["a"],
            "should be 1.1",
        ),
        (
            (Change("1.0", "x", added=["a"]), Change("1.1", "y", added=["a"])),
            ["a"],
            "added twice",
        ),
        (
            (Change("1.0", "x", added=["a"]),),
            ["a", "b"],
            "fields no version adds: b",
        ),
        ((Change("1.0", "x", added=["a", "z"]),), ["a"], "declared: z"),
        ((Change("one", "x"),), [], "not an X.Y"),
    ],
)
def test_a_bad_history_is_a_declaration_error(changes, fields, problem):
    with pytest.raises(ObjectDeclarationError, match=problem):
        History(*changes).bind("Thing", fields)


def test_registration_checks_the_history_against_version_and_fields():
    registry = ObjectRegistry("test.history")

    class NoHistory(ZerodownObject):
        fields = {"a": f.IntegerField()}

    with pytest.raises(ObjectDeclarationError, match="declares no history"):
        registry.register(NoHistory)

    class WrongVersion(ZerodownObject):
        VERSION = "1.2"
        history = History(Change("1.0", "initial", added=["a"]))
        fields = {"a": f.IntegerField()}

    with pytest.raises(ObjectDeclarationError, match=r"history ends at 1\.0"):
        registry.register(WrongVersion)

    class BadSince(ZerodownObject):
        VERSION = "1.0"
        history = History(Change("1.0", "initial", added=["m"]))
        fields = {"m": f.EnumField(["x", "y"], since={"y": "1.4"})}

    with pytest.raises(ObjectDeclarationError, match="not a later version"):
        registry.register(BadSince)
    assert len(registry) == 0
