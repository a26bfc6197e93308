"""Job files and releases: every mistake named, no ref silently skipped."""

from __future__ import annotations

import subprocess

import pytest

from zerodown.grenade.errors import JobFileError, RefNotFound
from zerodown.grenade.job import PHASES, load_job
from zerodown.grenade.releases import load_releases, resolve

GOOD = """
[job]
name = "compute"

[refs]
old = "r1"
new = "HEAD"

[[service]]
name = "conductor"
command = "{venv}/bin/zerodown compute run conductor"

[[service]]
name = "compute-1"
command = "{venv}/bin/zerodown compute run compute"
upgrade = "roll"
timeout = 30

[hooks]
create = ["python create.py"]
expand = "zerodown db expand"
"""


def _job(tmp_path, text):
    path = tmp_path / "job.toml"
    path.write_text(text)
    return load_job(path)


def test_a_good_job(tmp_path):
    job = _job(tmp_path, GOOD)
    assert (job.name, job.old, job.new) == ("compute", "r1", "HEAD")
    assert [s.upgrade for s in job.services] == ["control", "roll"]
    assert job.services[1].timeout == 30.0
    assert job.hooks == {
        "create": ("python create.py",),
        "expand": ("zerodown db expand",),
    }
    assert "{venv}" in job.install
    assert PHASES[0] == "base" and PHASES[-1] == "destroy"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[hooks]", "[hooks]\nupgrade = 'x'"), r"\[hooks\]: unknown key"),
        (('old = "r1"', ""), r"\[refs\]: old is required"),
        (('upgrade = "roll"', 'upgrade = "later"'), "upgrade 'later'"),
        (("timeout = 30", "timeout = -1"), "timeout must be"),
        (("[job]", "[jobs]"), "top level: unknown key"),
        (('name = "conductor"', 'name = "compute-1"'), "names must be unique"),
        (('expand = "zerodown db expand"', "expand = 3"), "list of commands"),
        (("[refs]", "[refs]\nmiddle = 'x'"), r"\[refs\]: unknown key"),
        (("timeout = 30", "timeout = 30\npre_stop = 1"), "pre_stop must be"),
        (("timeout = 30", "timeout = 30\nrestart = 1"), "restart must be"),
        (("[hooks]", "[load]\nurl = 'x'\nwarmup = 3\n[hooks]"), "warmup"),
        (("[hooks]", "[vars]\nworkdir = 'x'\n[hooks]"), "'workdir' is not"),
        (("[hooks]", "[vars]\nport = 8080\n[hooks]"), "port is not a string"),
        (
            ("[hooks]", "[load]\nmin_requests = 2.5\n[hooks]"),
            r"\[load\] min_requests: 2.5 is not a count",
        ),
        (
            ("[hooks]", "[load]\nmin_requests = true\n[hooks]"),
            "True is not a count",
        ),
        (
            ("[hooks]", "[load]\nhold = { mixd = 60 }\n[hooks]"),
            r"\[load\] hold: unknown key\(s\) mixd",
        ),
        (
            ("[hooks]", "[load]\nhold = { mixed = -1 }\n[hooks]"),
            r"hold.mixed: -1 is not a number",
        ),
        (("[hooks]", "[load]\nhold = 60\n[hooks]"), "hold: not a table"),
        (("[job]", "load = 3\n[job]"), r"\[load\]: not a table"),
        (
            ("[hooks]", "[load]\nhold = { mixed = inf }\n[hooks]"),
            "inf is not a number",
        ),
        (
            ("[hooks]", "[load]\nhold_timeout = nan\n[hooks]"),
            "nan is not a number",
        ),
        (
            ('expand = "zerodown db expand"', 'reconfigured = "check"'),
            "only a reconfigure hook starts",
        ),
        (
            ("[hooks]", "[load]\nhold_timeout = '1m'\n[hooks]"),
            "'1m' is not a number",
        ),
    ],
)
def test_mistakes_name_table_and_key(tmp_path, change, message):
    old, new = change
    with pytest.raises(JobFileError, match=message):
        _job(tmp_path, GOOD.replace(old, new, 1))


def test_vars_are_placeholders_and_overridable(tmp_path):
    from pathlib import Path

    from zerodown.grenade.sides import Side, render

    text = GOOD.replace(
        "[hooks]",
        '[vars]\ndb = "sqlite:///{workdir}/a b.db"\nfaults = ""\n[hooks]',
    )
    path = tmp_path / "job.toml"
    path.write_text(text)
    job = load_job(path, {"faults": "kill-migrate"})
    assert job.variables == {
        "db": "sqlite:///{workdir}/a b.db",
        "faults": "kill-migrate",
    }
    side = Side("new", "c0ffee", Path("/w/tree"), Path("/w/venv"))
    value = render(job.variables["db"], side, Path("/w"), quote=False)
    assert value == "sqlite:////w/a b.db"
    command = render(
        "migrate --url {db}", side, Path("/w"), None, {"db": value}
    )
    assert command == "migrate --url 'sqlite:////w/a b.db'"  # one word
    with pytest.raises(JobFileError, match="--var: nope not in"):
        load_job(path, {"nope": "1"})


def test_unreadable_job_files(tmp_path):
    with pytest.raises(JobFileError, match="file"):
        load_job(tmp_path / "missing.toml")
    with pytest.raises(JobFileError, match="file"):
        _job(tmp_path, "[refs\n")
    with pytest.raises(JobFileError, match="needs services"):
        _job(tmp_path, '[refs]\nold = "a"\nnew = "b"\n')


def _git(repo, *args):
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q")
    _git(path, "config", "user.email", "t@example.com")
    _git(path, "config", "user.name", "t")
    (path / "a.txt").write_text("1")
    _git(path, "add", "a.txt")
    _git(path, "commit", "-q", "-m", "one")
    first = _git(path, "rev-parse", "HEAD")
    (path / "RELEASES").write_text(
        f'[releases.r1]\ncommit = "{first}"\n\n'
        '[releases.r0]\ncommit = "0123456789abcdef0123456789abcdef01234567"\n'
    )
    _git(path, "add", "RELEASES")
    _git(path, "commit", "-q", "-m", "two")
    return path, first


def test_releases_resolve_through_the_file(repo):
    path, first = repo
    assert set(load_releases(path)) == {"r0", "r1"}
    assert resolve(path, "r1") == first
    assert resolve(path, "HEAD") == _git(path, "rev-parse", "HEAD")
    assert resolve(path, first[:8]) == first


def test_a_release_missing_from_history_says_so(repo):
    path, _ = repo
    with pytest.raises(RefNotFound, match=r"release r0 .*not in this clone"):
        resolve(path, "r0")
    with pytest.raises(RefNotFound, match="neither a commit nor a release"):
        resolve(path, "r9")


def test_a_bad_releases_file(tmp_path):
    (tmp_path / "RELEASES").write_text("[releases.r1]\nversion = 1\n")
    with pytest.raises(JobFileError, match="needs a commit"):
        load_releases(tmp_path)


def test_the_compute_jobs_name_the_service_version_they_upgrade_to():
    """The hooks take the new side's service version from the job file
    (importing the history would cost each hook SQLAlchemy): the
    release 2 job upgrades to this checkout, so its file must follow it."""
    from pathlib import Path

    from zerodown.compute.version import HISTORY, SERVICE_VERSION

    jobs = Path(__file__).parents[3] / "grenade"
    to_head = load_job(jobs / "compute-r2.toml")
    assert int(to_head.variables["new_service_version"]) == SERVICE_VERSION
    to_r2 = load_job(jobs / "compute.toml")
    assert int(to_r2.variables["new_service_version"]) == HISTORY.resolve("r2")
