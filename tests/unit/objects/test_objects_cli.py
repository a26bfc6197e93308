"""``zerodown objects``: CliRunner for speed, one real subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from zerodown.cli import main

HERE = Path(__file__).parent

MODULE = """
import sys
from pathlib import Path
sys.path.insert(0, {here!r})
from sample_objects import make_registry
REGISTRY = make_registry()
MANIFEST = Path(__file__).with_name("manifest.txt")
"""

CHANGED = """
from pathlib import Path
from zerodown.objects import Change, History, ObjectRegistry, ZerodownObject
from zerodown.objects import fields as f
REGISTRY = ObjectRegistry("test.sample")
MANIFEST = Path(__file__).with_name("manifest.txt")

@REGISTRY.register
class Part(ZerodownObject):
    VERSION = "1.1"
    history = History(
        Change("1.0", "initial", added=["name", "size"]),
        Change("1.1", "weight", added=["weight"]),
    )
    fields = {
        "name": f.StringField(),
        "size": f.IntegerField(read_only=True),
        "weight": f.FloatField(nullable=True),
    }
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "cli_sample.py").write_text(MODULE.format(here=str(HERE)))
    (tmp_path / "cli_changed.py").write_text(textwrap.dedent(CHANGED))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.zerodown]\nobject_registry = "cli_sample:REGISTRY"\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZERODOWN_OBJECT_REGISTRY", raising=False)
    for name in ("cli_sample", "cli_changed"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path


def _run(*args):
    return CliRunner().invoke(main, ["objects", *args])


def test_write_then_check(project):
    result = _run("manifest", "--write")
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote: {project / 'manifest.txt'}\n"
    assert "Gadget: 1.3-" in (project / "manifest.txt").read_text()
    assert _run("manifest", "--write").output.startswith("unchanged: ")
    result = _run("manifest")  # --check is the default
    assert result.exit_code == 0
    assert result.output.startswith("ok: every object matches")


def test_check_names_each_object_and_what_changed(project):
    _run("manifest", "--write")
    result = _run("--registry", "cli_changed:REGISTRY", "manifest", "--check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("Part: changed without a version bump from 1.1")
    assert "size was 'Integer @1.0', is 'Integer read_only @1.0'" in lines[0]
    assert lines[1] == "Gadget: in the manifest, not registered"
    assert "2 object(s) differ" in lines[2]


def test_an_explicit_manifest_path(project, tmp_path):
    other = tmp_path / "elsewhere.txt"
    assert _run("--manifest", str(other), "manifest", "--write").exit_code == 0
    assert other.exists() and not (project / "manifest.txt").exists()


def test_versions_lists_current_and_oldest(project):
    result = _run("versions")
    assert result.exit_code == 0
    rows = [line.split() for line in result.output.splitlines()]
    assert rows[0] == ["object", "version", "oldest", "fingerprint"]
    assert rows[1][:3] == ["Gadget", "1.3", "1.0"]
    assert rows[2][:3] == ["Part", "1.1", "1.0"]


def test_verify_reports_every_target(project):
    result = _run("verify", "--examples", "5", "Gadget")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Gadget (5 examples) 1.0: ")


def test_a_missing_or_bad_registry_is_a_usage_error(project):
    (project / "pyproject.toml").write_text("")
    result = _run("manifest")
    assert result.exit_code == 2
    assert "no object registry" in result.output
    result = _run("--registry", "cli_sample:nothing", "versions")
    assert (
        result.exit_code == 2 and "is not an ObjectRegistry" in result.output
    )
    result = _run("--registry", "no_such_module:R", "versions")
    assert (
        result.exit_code == 2
        and "cannot import no_such_module" in result.output
    )


def test_help_describes_the_commands():
    result = CliRunner().invoke(main, ["objects", "manifest", "--help"])
    assert "--check" in result.output and "--write" in result.output
    assert "without a version bump" in " ".join(result.output.split())


def test_the_project_manifest_is_current_in_a_real_process():
    root = Path(__file__).resolve().parents[3]
    zerodown = Path(sys.executable).with_name("zerodown")
    done = subprocess.run(
        [str(zerodown), "objects", "manifest", "--check"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok: every object matches")
    assert done.stderr == ""
