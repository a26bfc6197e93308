"""``zerodown init``: lay out an Alembic environment with two branches."""

from __future__ import annotations

import datetime
import string
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from zerodown.exceptions import ConfigError
from zerodown.migrations.phases import Phase

__all__ = ["Scaffold", "scaffold"]

_PURPOSE = {
    Phase.EXPAND: (
        "Expand revisions only add: tables, nullable columns, indexes.\n"
        "They run while the previous release still serves."
    ),
    Phase.CONTRACT: (
        "Contract revisions remove what the previous release needed.\n"
        "They run once no service of that release remains."
    ),
}


@dataclass(frozen=True)
class Scaffold:
    """The files ``zerodown init`` wrote."""

    alembic_ini: Path
    directory: Path
    written: tuple[Path, ...]


def scaffold(
    directory: Path,
    alembic_ini: Path,
    database_url: str = "sqlite:///%(here)s/app.sqlite",
) -> Scaffold:
    """Create ``directory`` (env.py, versions/expand, versions/contract).

    Refuses to overwrite anything that exists.
    """
    directory = directory.resolve()
    alembic_ini = alembic_ini.resolve()
    for path in (alembic_ini, directory / "env.py"):
        if path.exists():
            raise ConfigError(problem=f"{path} exists; not overwriting it")
    try:
        relative = directory.relative_to(alembic_ini.parent)
    except ValueError:
        raise ConfigError(
            problem=f"{directory} must be inside {alembic_ini.parent}, "
            "the folder of alembic.ini"
        ) from None
    written = [
        _write(
            alembic_ini,
            _render(
                "alembic.ini.tmpl",
                directory=relative.as_posix(),
                database_url=database_url,
            ),
        ),
        _write(directory / "env.py", _template("env.py.tmpl")),
        _write(directory / "script.py.mako", _template("script.py.mako")),
    ]
    written.extend(_bases(directory / "versions"))
    return Scaffold(alembic_ini, directory, tuple(written))


def _bases(versions: Path) -> list[Path]:
    expand_id = uuid.uuid4().hex[:12]
    contract_id = uuid.uuid4().hex[:12]
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    paths = []
    for phase, revision, depends in (
        (Phase.EXPAND, expand_id, None),
        (Phase.CONTRACT, contract_id, expand_id),
    ):
        text = _render(
            "base.py.tmpl",
            phase=phase.value,
            phase_repr=repr(phase.value),
            purpose=_PURPOSE[phase],
            revision=revision,
            revision_repr=repr(revision),
            depends_on_repr=repr(depends),
            create_date=now,
        )
        path = versions / phase.value / f"{revision}_{phase.value}_base.py"
        paths.append(_write(path, text))
    return paths


def _template(name: str) -> str:
    files = resources.files("zerodown.migrations") / "templates" / name
    return files.read_text(encoding="utf-8")


def _render(name: str, **values: str) -> str:
    return string.Template(_template(name)).substitute(values)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
