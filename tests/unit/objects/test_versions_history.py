"""Version strings and histories: the ladder a class declares."""

from __future__ import annotations

import dataclasses

import pytest

from zerodown.objects import Change, History, ObjectRegistry, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.errors import (
    ObjectDeclarationError,
    UnrepresentableValue,
)
from zerodown.objects.history import Refusal, StepContext
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


def test_a_history_serves_one_class():
    history = History(Change("1.0", "initial", added=["a"]))
    history.bind("Thing", ["a"])
    history.bind("Thing", ["a"])  # the same class again (a re-import)
    with pytest.raises(
        ObjectDeclarationError, match="history already bound to Thing"
    ) as err:
        history.bind("Other", ["a"])
    assert err.value.object == "Other"


def test_declaration_errors_name_the_object():
    with pytest.raises(ObjectDeclarationError) as err:
        History().bind("Thing", [])
    assert str(err.value) == "Thing: the history is empty"
    with pytest.raises(ObjectDeclarationError) as err:
        History()._check_ladder([])
    assert str(err.value) == "?: the history is empty"
    with pytest.raises(ObjectDeclarationError) as err:
        History(Change("1.0", "x", added=["a"])).bind("Thing", ["b"])
    assert str(err.value) == (
        "Thing: history and fields disagree: fields no version adds: b; "
        "added but not declared: a"
    )
    with pytest.raises(ObjectDeclarationError) as err:
        History(Change("1.0", "x"), Change("1.2", "y")).bind("Thing", [])
    assert str(err.value) == (
        "Thing: history version 1.2 should be 1.1: versions count up by "
        "one from 1.0"
    )


def test_histories_agree_when_every_field_is_added_once():
    history = History(Change("1.0", "x"))
    history.bind("Thing", [])
    assert history.fields_at((1, 0)) == frozenset()
    assert repr(_history()) == "History(1.0, 1.1, 1.2, 1.3)"
    assert _history().versions == ((1, 0), (1, 1), (1, 2), (1, 3))


def test_a_refusal_cannot_date_values_to_the_first_version():
    history = History(Change("1.0", "x", added=["m"]), Change("1.1", "y"))
    for version in [(1, 0), (1, 2)]:
        with pytest.raises(ObjectDeclarationError) as err:
            history.bind(
                "Thing",
                ["m"],
                [Refusal("m", frozenset({"v"}), False, version)],
            )
        assert str(err.value) == (
            f"Thing: m dates values to {format_version(version)}, which is "
            "not a later version in its history"
        )


def _list_enum_history():
    history = History(
        Change("1.0", "initial", added=["modes", "mode"]),
        Change("1.1", "turbo"),
        Change("1.2", "eco"),
    )
    history.bind(
        "Thing",
        ["modes", "mode"],
        [
            Refusal("modes", frozenset({"turbo"}), True, (1, 1)),
            Refusal("mode", frozenset({"turbo"}), False, (1, 1)),
            Refusal("modes", frozenset({"eco"}), True, (1, 2)),
        ],
    )
    return history


def test_list_enums_are_checked_item_by_item():
    history = _list_enum_history()
    for data in [
        {"modes": None, "mode": None},
        {"modes": ["slow", None]},
        {},
    ]:
        before = dict(data)
        history.backport(data, (1, 2), (1, 0))
        assert data == before
    with pytest.raises(UnrepresentableValue) as err:
        history.backport({"modes": ["slow", "turbo"]}, (1, 2), (1, 0))
    assert (err.value.field, err.value.value) == ("modes", "turbo")
    assert "the value exists since 1.1" in str(err.value)
    with pytest.raises(UnrepresentableValue, match=r"since 1\.2"):
        history.backport({"modes": ["eco"]}, (1, 2), (1, 1))
    history.backport({"modes": ["turbo"]}, (1, 2), (1, 1))
    assert history.too_new((1, 0)) == {
        "modes": frozenset({"turbo", "eco"}),
        "mode": frozenset({"turbo"}),
    }
    assert history.too_new((1, 1)) == {"modes": frozenset({"eco"})}


def test_has_steps_sees_only_the_steps_on_the_way():
    def step(data, ctx):
        pass

    history = History(
        Change("1.0", "initial", added=["a"]),
        Change("1.1", "b", added=["b"], backport=step),
        Change("1.2", "c", added=["c"]),
    )
    history.bind("Thing", ["a", "b", "c"])
    assert not history.has_steps((1, 2), (1, 1))
    assert history.has_steps((1, 2), (1, 0))
    assert history.has_steps((1, 1), (1, 0))
    assert not history.has_steps((1, 2), (1, 1))  # cached


def test_a_step_context_knows_the_conversion():
    seen = []
    history = History(
        Change("1.0", "initial", added=["a"]),
        Change("1.1", "b", added=["b"], backport=lambda d, c: seen.append(c)),
        Change("1.2", "c", backport=lambda d, c: seen.append(c)),
    )
    history.bind("Thing", ["a", "b"])
    history.backport({"a": 1, "b": 2}, (1, 2), (1, 0))
    assert [(c.object, c.source, c.target) for c in seen] == [
        ("Thing", "1.2", "1.0")
    ] * 2
    assert seen[0] is seen[1]


@pytest.mark.parametrize(
    "value",
    [
        Change("1.0", "x", added=["a"]),
        Refusal("m", frozenset({"v"}), False, (1, 1)),
        StepContext("Thing", "1.1", "1.0"),
    ],
)
def test_changes_refusals_and_contexts_are_immutable(value):
    field = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, "changed")
    assert Change("1.0", "x", added=["a", "b"]).added == ("a", "b")


def test_older_data_reads_added_fields_as_their_default():
    history = History(
        Change("1.0", "initial", added=["a"]),
        Change("1.1", "more", added=["tags", "meta", "n", "flag", "x", "y"]),
    )
    history.bind(
        "Thing",
        {
            "a": f.IntegerField(),
            "tags": f.ListOfStringsField(default=[]),
            "meta": f.DictOfStringsField(default={}),
            "n": f.IntegerField(nullable=True),
            "flag": f.BooleanField(default=False),
            "x": f.IntegerField(),
            "y": f.ListOfStringsField(default=["set"]),
        },
    )
    one, two = {"a": 1}, {"a": 2, "tags": ["kept"]}
    history.upgrade(one, (1, 0), (1, 1))
    history.upgrade(two, (1, 0), (1, 1))
    assert one == {"a": 1, "tags": [], "meta": {}, "n": None, "flag": False}
    assert two["tags"] == ["kept"]
    one["tags"].append("t")
    three = {"a": 3}
    history.upgrade(three, (1, 0), (1, 1))
    assert three["tags"] == []
    same = {"a": 4}
    history.upgrade(same, (1, 1), (1, 1))
    assert same == {"a": 4}


def test_an_upgrade_step_knows_the_conversion():
    seen = []
    history = History(
        Change("1.0", "initial", added=["a"]),
        Change("1.1", "b", upgrade=lambda d, c: seen.append(c)),
    )
    history.bind("Thing", ["a"])
    history.upgrade({"a": 1}, (1, 0), (1, 1))
    assert [(c.object, c.source, c.target) for c in seen] == [
        ("Thing", "1.0", "1.1")
    ]


def test_a_disagreement_lists_every_field_on_each_side():
    with pytest.raises(ObjectDeclarationError) as err:
        History(Change("1.0", "x", added=["a"])).bind("T", ["a", "c", "b"])
    assert str(err.value).endswith(
        "fields no version adds: b, c; added but not declared: -"
    )
    with pytest.raises(ObjectDeclarationError) as err:
        History(Change("1.0", "x", added=["a", "z", "y"])).bind("T", ["a"])
    assert str(err.value).endswith(
        "fields no version adds: -; added but not declared: y, z"
    )


def test_a_field_that_says_nothing_of_nullability_is_left_unset():
    history = History(
        Change("1.0", "initial", added=["a"]), Change("1.1", "x", added=["x"])
    )
    history.bind("Thing", {"a": f.IntegerField(), "x": object()})
    data = {"a": 1}
    history.upgrade(data, (1, 0), (1, 1))
    assert data == {"a": 1}
