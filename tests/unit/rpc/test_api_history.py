from __future__ import annotations

import pytest

from zerodown.rpc import RPCAPI, StaticCap
from zerodown.rpc.api import HistoryEntry, parse_history
from zerodown.rpc.errors import InvalidVersionCap, RPCDeclarationError
from zerodown.services import ServiceHistory, ServiceVersion


class ComputeAPI(RPCAPI):
    """Client side of a compute API.

    API version history:

    * 1.0 - Initial version: reboot(), pause(instance).
    * 1.1 - reboot() takes 'hard', which older servers
            cannot honour.

        ... Alpha supports message version 1.1 ...

    * 2.0 - Drop 1.x compatibility.
    """

    TOPIC = "compute"
    VERSION = "2.0"
    VERSION_ALIASES = {"Alpha": "1.1", "beta": "2.0"}


def test_history_is_read_from_the_docstring():
    assert (
        HistoryEntry("1.0", "Initial version: reboot(), pause(instance)."),
        HistoryEntry(
            "1.1", "reboot() takes 'hard', which older servers cannot honour."
        ),
        HistoryEntry("2.0", "Drop 1.x compatibility."),
    ) == ComputeAPI.HISTORY


def test_methods_are_declared_by_the_history_up_to_a_version():
    assert ComputeAPI.declared_methods("1.0") == {"reboot", "pause"}
    assert ComputeAPI.HISTORY[1].methods == {"reboot"}
    assert ComputeAPI.declared_methods("2.0") == {"reboot", "pause"}


def test_parse_history_ignores_prose():
    assert parse_history("Nothing here.\n\n* not a version") == ()


@pytest.mark.parametrize(
    ("doc", "version", "aliases", "problem"),
    [
        ("no history", "1.0", {}, "no version history"),
        ("* 1.0 - a()\n* 1.1 - b", "1.2", {}, "history ends at 1.1"),
        ("* 1.1 - a()\n* 1.0 - b", "1.0", {}, "only grow"),
        ("* 1.0 - a()\n* 1.0 - b", "1.0", {}, "only grow"),
        ("* 1.0 - a()", "1.0", {"x": "1.5"}, "alias 'x' names 1.5"),
        ("* 1.0 - Initial version.", "1.0", {}, "names no methods"),
    ],
)
def test_a_bad_declaration_fails_at_class_definition(
    doc, version, aliases, problem
):
    with pytest.raises(RPCDeclarationError, match=problem):
        type(
            "BadAPI",
            (RPCAPI,),
            {
                "__doc__": doc,
                "TOPIC": "t",
                "VERSION": version,
                "VERSION_ALIASES": aliases,
            },
        )


def test_caps_from_versions_and_release_aliases():
    assert ComputeAPI.make_cap(None).current() is None
    assert ComputeAPI.make_cap("1.1").current() == "1.1"
    assert ComputeAPI.make_cap("alpha").current() == "1.1"
    assert ComputeAPI.make_cap("BETA").current() == "2.0"
    source = StaticCap("1.0")
    assert ComputeAPI.make_cap(source) is source


@pytest.mark.parametrize("value", ["gamma", "1.7", "auto"])
def test_bad_caps_are_refused_with_what_is_known(value):
    with pytest.raises(InvalidVersionCap) as caught:
        ComputeAPI.make_cap(value)
    assert caught.value.exit_code == 2


def test_the_client_targets_the_current_major(transport):
    api = ComputeAPI(transport, version_cap="alpha")
    assert api.client.target.version == "2.0"
    assert api.can_send_version("1.1")
    assert not api.can_send_version("2.0")
    api.close()


def test_service_history_must_agree_with_the_api():
    good = ServiceHistory(
        "p",
        ServiceVersion(1, "a", rpc={"compute": "1.1"}),
        ServiceVersion(2, "b", rpc={"compute": "2.0"}),
    )
    assert ComputeAPI.check_service_history(good) == []
    bad = ServiceHistory(
        "p",
        ServiceVersion(1, "a", rpc={"compute": "1.3"}),
        ServiceVersion(2, "b"),
    )
    problems = ComputeAPI.check_service_history(bad)
    assert any("1.3, which ComputeAPI's history lacks" in p for p in problems)
    assert any("VERSION is 2.0" in p for p in problems)
