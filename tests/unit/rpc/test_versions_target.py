from __future__ import annotations

import pytest

from zerodown.rpc import Target
from zerodown.rpc.target import listen_addresses, send_address
from zerodown.rpc.transport import Address
from zerodown.rpc.versions import is_compatible, parse, render


@pytest.mark.parametrize(
    ("implemented", "requested", "ok"),
    [
        ("1.4", "1.0", True),
        ("1.4", "1.4", True),
        ("1.4", "1.5", False),
        ("2.0", "1.4", False),
        ("1.4", "2.0", False),
        (None, "9.9", True),
    ],
)
def test_compatibility_is_same_major_and_no_newer_minor(
    implemented, requested, ok
):
    assert is_compatible(implemented, requested) is ok


@pytest.mark.parametrize("text", ["1", "1.2.3", "a.b", "01.2", "", "1.2 "])
def test_bad_versions_are_refused(text):
    with pytest.raises(ValueError):
        parse(text)


def test_parse_and_render_round_trip():
    assert render(parse("12.30")) == "12.30"


def test_target_rejects_names_that_cannot_be_queue_names():
    with pytest.raises(ValueError):
        Target(topic="bad topic")
    with pytest.raises(ValueError):
        Target(topic="t", version="one")
    with pytest.raises(ValueError):
        Target(topic="t", server="h", fanout=True)


def test_addresses_of_a_target():
    target = Target(topic="compute", server="host-1", durable=True)
    assert send_address(target) == Address("compute.host-1", durable=True)
    assert send_address(target.replace(server="")) == Address(
        "compute", durable=True
    )
    assert listen_addresses(target) == [
        Address("compute", durable=True),
        Address("compute.host-1", durable=True),
        Address("compute_fanout", fanout=True),
    ]
    assert target.destination == "compute.host-1"


def test_a_bad_version_is_quoted_in_at_most_20_characters():
    with pytest.raises(ValueError, match=r"^'x{20}' is not an X\.Y version$"):
        parse("x" * 30)
    with pytest.raises(ValueError, match="must be a string"):
        parse(1.2)
