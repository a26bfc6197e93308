"""The compute job's server flow when an API process dies with a write
(grenade/compute_load.py): it looks whether the write was applied
before it sends it again, and notes each such case.  A scripted API, no
deployment."""

from __future__ import annotations

import http.client
import importlib
import json
import sys
from pathlib import Path

import pytest

GRENADE = Path(__file__).resolve().parents[3] / "grenade"


@pytest.fixture
def load(monkeypatch, tmp_path):
    monkeypatch.setenv("GRENADE_WORKDIR", str(tmp_path))
    monkeypatch.syspath_prepend(str(GRENADE))
    for name in ("compute_hooks", "compute_load"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module("compute_load")


class API:
    """Each write gets the next of its scripted answers (a status and
    body, or an exception); reads show ``server``."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.writes = 0
        self.server: dict = {}

    def __call__(self, method, path, body=None):
        if method == "GET" and path == "/servers/detail":
            return 200, {"servers": [self.server] if self.server else []}
        if method == "GET":
            return 200, {"server": self.server}
        self.writes += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _noted(workdir: Path) -> list[dict]:
    lines = (workdir / "load-retries.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_a_create_the_api_died_with_is_found_by_its_name(load, tmp_path):
    api = API((502, "Bad Gateway"))
    state = {"name": "load-1"}
    # The API made the server, then died before it answered.
    api.server = {"id": "s-1", "name": "load-1"}
    created = load.sent(
        api, tmp_path, "POST", "/servers", {}, (202,), load.named(api, state)
    )
    assert created == {} and state["id"] == "s-1"
    assert api.writes == 1  # not sent again
    assert _noted(tmp_path)[0]["error"] == "HTTP 502"


def test_a_create_that_was_not_applied_is_sent_again(load, tmp_path):
    api = API(ConnectionResetError("reset"), (202, {"server": {"id": "s-2"}}))
    state = {"name": "load-2"}
    created = load.sent(
        api, tmp_path, "POST", "/servers", {}, (202,), load.named(api, state)
    )
    assert created == {"server": {"id": "s-2"}} and api.writes == 2


def test_an_action_applied_is_not_sent_again_and_one_lost_is(load, tmp_path):
    state = {"id": "s-1"}
    api = API(http.client.IncompleteRead(b""))
    api.server = {"id": "s-1", "status": "ACTIVE", "task_state": "pausing"}
    path = "/servers/s-1/action"
    acted = load.acted(api, state, "pause")
    load.sent(api, tmp_path, "POST", path, {}, (202,), acted)
    assert api.writes == 1
    api = API((502, "Bad Gateway"), (202, None))
    api.server = {"id": "s-1", "status": "PAUSED", "task_state": None}
    acted = load.acted(api, state, "unpause")
    load.sent(api, tmp_path, "POST", path, {}, (202,), acted)
    assert api.writes == 2
    assert [n["method"] for n in _noted(tmp_path)] == ["POST", "POST"]


def test_other_answers_fail_at_once_and_three_unknowns_give_up(load, tmp_path):
    api = API((409, "conflict"))
    with pytest.raises(RuntimeError, match="HTTP 409"):
        load.sent(api, tmp_path, "DELETE", "/x", None, (204,), lambda: False)
    api = API(*[(502, "")] * 3)
    with pytest.raises(RuntimeError, match="no answer in three tries"):
        load.sent(api, tmp_path, "DELETE", "/x", None, (204,), lambda: False)
