"""Configuration sources merge in order into frozen dataclasses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from zerodown.config import load_config
from zerodown.exceptions import ConfigError


@dataclasses.dataclass(frozen=True)
class Sample:
    database_url: str | None = None
    batch_size: int = 1000
    sleep: float = 0.0
    strict: bool = False
    topics: tuple[str, ...] = ()
    home: Path | None = None


def _ini(tmp_path: Path, zerodown: str = "", url: str = "sqlite://") -> Path:
    path = tmp_path / "alembic.ini"
    path.write_text(
        f"[alembic]\nsqlalchemy.url = {url}\n\n[zerodown]\n{zerodown}\n"
    )
    return path


def test_alembic_url_is_the_fallback(tmp_path):
    config = load_config(
        _ini(tmp_path, url="sqlite:///%(here)s/a.db"), environ={}
    )
    assert config.get("database_url") == f"sqlite:///{tmp_path}/a.db"


def test_later_sources_override_earlier_ones(tmp_path):
    ini = _ini(tmp_path, "database_url = ini://\nbatch_size = 10\nsleep = 0.5")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.zerodown]\nbatch-size = 20\nstrict = true\n")
    config = load_config(
        ini,
        pyproject=pyproject,
        environ={"ZERODOWN_BATCH_SIZE": "30", "ZERODOWN_TEST_X": "ignored"},
        overrides={"database_url": "flag://", "sleep": None},
    )
    settings = config.settings(Sample)
    assert settings == Sample(
        database_url="flag://", batch_size=30, sleep=0.5, strict=True
    )
    assert config.sources["batch_size"] == "environment"
    assert config.sources["database_url"] == "command line"
    assert "test_x" not in config.values


def test_types_are_coerced(tmp_path):
    config = load_config(
        _ini(tmp_path, "topics = a, b c\nhome = %(here)s/x\nstrict = off"),
        environ={},
    )
    settings = config.settings(Sample)
    assert settings.topics == ("a", "b", "c")
    assert settings.home == tmp_path / "x"
    assert settings.strict is False


@pytest.mark.parametrize(
    "line, field",
    [("batch_size = many", "batch_size"), ("strict = maybe", "strict")],
)
def test_bad_values_name_the_setting(tmp_path, line, field):
    config = load_config(_ini(tmp_path, line), environ={})
    with pytest.raises(ConfigError, match=field) as caught:
        config.settings(Sample)
    assert caught.value.exit_code == 2


def test_required_setting_missing(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class Needs:
        token: str

    with pytest.raises(ConfigError, match="token is not set"):
        load_config(_ini(tmp_path), environ={}).settings(Needs)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.ini", environ={})
    bad = tmp_path / "pyproject.toml"
    bad.write_text("[tool.zerodown\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml"):
        load_config(pyproject=bad, environ={})
