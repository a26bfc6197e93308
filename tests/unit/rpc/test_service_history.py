from __future__ import annotations

import pytest

from zerodown.exceptions import ConfigError
from zerodown.services import ServiceHistory, ServiceVersion
from zerodown.services.errors import UnknownServiceVersion

HISTORY = ServiceHistory(
    "shop",
    ServiceVersion(
        4,
        "first release",
        rpc={"compute": "1.0", "conductor": "1.0"},
        objects={"Widget": "1.0", "Knob": "1.0"},
    ),
    ServiceVersion(5, "compute 1.1", rpc={"compute": "1.1"}),
    ServiceVersion(6, "Widget 1.1", objects={"Widget": "1.1"}),
    ServiceVersion(7, "marks a feature, nothing on the wire"),
    aliases={"Alpha": 4, "beta": 6},
    oldest_supported="alpha",
)


def test_lookups_see_everything_stated_up_to_a_version():
    assert HISTORY.rpc_version(4, "compute") == "1.0"
    assert HISTORY.rpc_version(7, "compute") == "1.1"
    assert HISTORY.rpc_version(7, "conductor") == "1.0"
    assert HISTORY.rpc_version(7, "scheduler") is None
    assert HISTORY.object_versions(5) == {"Widget": "1.0", "Knob": "1.0"}
    assert HISTORY.object_versions(6) == {"Widget": "1.1", "Knob": "1.0"}
    assert HISTORY.api_versions("compute") == [(4, "1.0"), (5, "1.1")]
    assert (HISTORY.first, HISTORY.current, HISTORY.oldest_supported) == (
        4,
        7,
        4,
    )


def test_versions_resolve_from_numbers_digits_and_aliases():
    assert HISTORY.resolve(5) == 5
    assert HISTORY.resolve("6") == 6
    assert HISTORY.resolve("BETA") == 6
    assert HISTORY.entry(5).change == "compute 1.1"


@pytest.mark.parametrize("value", [3, 8, "gamma", "-1"])
def test_unknown_versions_are_typed_errors(value):
    with pytest.raises(UnknownServiceVersion, match="it knows 4 to 7"):
        HISTORY.resolve(value)


def test_a_history_without_objects_knows_no_manifest():
    plain = ServiceHistory("p", ServiceVersion(1, "x", rpc={"a": "1.0"}))
    assert plain.object_versions(1) is None


@pytest.mark.parametrize(
    ("entries", "kwargs", "problem"),
    [
        ((), {}, "empty"),
        (
            (ServiceVersion(1, "a"), ServiceVersion(3, "b")),
            {},
            "count up by one",
        ),
        ((ServiceVersion(1, "a"),), {"aliases": {"x": 2}}, "outside"),
        ((ServiceVersion(1, "a"),), {"oldest_supported": 5}, "knows 1 to 1"),
    ],
)
def test_bad_histories_are_refused(entries, kwargs, problem):
    with pytest.raises((ConfigError, UnknownServiceVersion), match=problem):
        ServiceHistory("p", *entries, **kwargs)
