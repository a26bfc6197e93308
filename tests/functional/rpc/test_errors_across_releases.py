"""Errors cross between release 2's code and this checkout as the same
classes, though this checkout moved them to their packages' modules.

Release 2's ``zerodown`` (its commit in ``RELEASES``, from this clone's
history) runs in a subprocess: it reads the wire form of every error of
this checkout's tree and sends one of every error of its own.  No
broker: the reply's error dict is all that crosses.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import zerodown
from zerodown.exceptions import ZerodownError
from zerodown.grenade.releases import resolve
from zerodown.rpc.errors import RemoteError
from zerodown.rpc.remote import error_from_wire, error_to_wire

ROOT = Path(__file__).resolve().parents[3]

# Runs on release 2's code: reads wire dicts on stdin, answers what each
# became there, and the wire form of each of its own errors.
_RELEASE_2_SIDE = """
import json, string, sys
import zerodown.compute.client, zerodown.compute.exceptions
import zerodown.compute.launcher, zerodown.grenade.runner
from zerodown.exceptions import ZerodownError
from zerodown.rpc.remote import error_from_wire, error_to_wire

def tree():
    found, pending = [], [ZerodownError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found

def fields(cls):
    parsed = string.Formatter().parse(cls.template)
    return {f.split("!")[0]: 1 for _, f, _, _ in parsed if f}

read = [error_from_wire(w, "m", "new") for w in json.load(sys.stdin)]
json.dump({
    "read": [[type(e).__module__, type(e).__name__] for e in read],
    "sent": [error_to_wire(cls(**fields(cls))) for cls in tree()],
}, sys.stdout)
"""


def _fields(cls: type[ZerodownError]) -> dict[str, Any]:
    parsed = string.Formatter().parse(cls.template)
    return {f.split("!")[0]: 1 for _, f, _, _ in parsed if f}


def _tree() -> list[type[ZerodownError]]:
    for found in pkgutil.walk_packages(zerodown.__path__, "zerodown."):
        if not found.name.endswith("__main__"):
            importlib.import_module(found.name)
    found, pending = [], [ZerodownError]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("zerodown."):
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _release_2(tmp_path: Path, wires: list[dict[str, Any]]) -> Any:
    commit = resolve(ROOT, "r2")
    code = tmp_path / "r2"
    code.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "zerodown"],
        capture_output=True,
        check=True,
    )
    subprocess.run(
        ["tar", "-x", "-C", str(code)], input=archive.stdout, check=True
    )
    done = subprocess.run(
        [sys.executable, "-c", _RELEASE_2_SIDE],
        input=json.dumps(wires),
        capture_output=True,
        text=True,
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_errors_keep_their_class_between_release_2_and_this_checkout(
    tmp_path,
):
    ours = _tree()
    answers = _release_2(
        tmp_path, [error_to_wire(cls(**_fields(cls))) for cls in ours]
    )
    theirs = {wire["type"]: wire["module"] for wire in answers["sent"]}
    assert len(theirs) > 80
    # Release 2 reads ours as its own class, where it has that class.
    for cls, (module, name) in zip(ours, answers["read"], strict=True):
        if cls.__name__ in theirs:
            assert (module, name) == (theirs[cls.__name__], cls.__name__)
        else:
            assert name == "RemoteError", cls
    # And we read each of theirs as ours.
    by_name = {cls.__name__: cls for cls in ours}
    for wire in answers["sent"]:
        again = error_from_wire(wire, "m", "release-2")
        assert type(again) is by_name[wire["type"]], wire
        assert type(again) is not RemoteError or wire["type"] == "RemoteError"
