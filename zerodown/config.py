"""Configuration: four sources merged in order, read into frozen dataclasses.

Later sources override earlier ones:

1. the ``[zerodown]`` section of ``alembic.ini``;
2. the ``[tool.zerodown]`` table of ``pyproject.toml``;
3. ``ZERODOWN_<KEY>`` environment variables (``ZERODOWN_DATABASE_URL``);
4. explicit overrides, usually command-line flags.

Nothing is read at import time.  Each package declares its own frozen
dataclass and asks :meth:`Config.settings` for it, so a setting lives beside
the code that uses it.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
import sys
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from zerodown.exceptions import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["Config", "load_config"]

ENV_PREFIX = "ZERODOWN_"
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Config:
    """Merged raw settings and where each one came from."""

    values: Mapping[str, str]
    sources: Mapping[str, str]
    alembic_ini: Path | None = None

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def settings(self, cls: type[T]) -> T:
        """Build the frozen dataclass ``cls`` from the merged values.

        Fields absent from every source keep the dataclass default; a field
        without a default that no source sets is a :class:`ConfigError`.
        """
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            if field.name in self.values:
                raw = self.values[field.name]
                kwargs[field.name] = _coerce(
                    field.name, raw, hints[field.name]
                )
            elif (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise ConfigError(problem=f"{field.name} is not set")
        return cls(**kwargs)


def load_config(
    alembic_ini: str | Path | None = None,
    pyproject: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object | None] | None = None,
    *,
    parsed_ini: configparser.RawConfigParser | None = None,
) -> Config:
    """Read and merge the four configuration sources.

    ``parsed_ini`` is ``alembic_ini`` as a program already holds it (an
    Alembic ``Config``'s ``file_config``, with whatever it set through
    Alembic's API); it is read instead of the file.
    """
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    ini_path = Path(alembic_ini).resolve() if alembic_ini else None

    def merge(items: Mapping[str, str], source: str) -> None:
        for key, value in items.items():
            values[key] = value
            sources[key] = source

    if parsed_ini is not None:
        here = str(ini_path.parent) if ini_path else ""
        merge(
            _ini_values(parsed_ini, here),
            f"{ini_path or 'Alembic Config'} [zerodown]",
        )
    elif ini_path is not None:
        merge(_read_ini(ini_path), f"{ini_path} [zerodown]")
    if pyproject is not None and Path(pyproject).exists():
        merge(_read_pyproject(Path(pyproject)), f"{pyproject} [tool.zerodown]")
    env = os.environ if environ is None else environ
    merge(_read_env(env), "environment")
    if overrides:
        given = {k: str(v) for k, v in overrides.items() if v is not None}
        merge(given, "command line")
    return Config(values=values, sources=sources, alembic_ini=ini_path)


def _read_ini(path: Path) -> dict[str, str]:
    if not path.exists():
        raise ConfigError(problem=f"{path} does not exist")
    parser = configparser.ConfigParser(
        defaults={"here": str(path.parent)}, interpolation=None
    )
    try:
        parser.read(path)
    except configparser.Error as err:
        raise ConfigError(problem=f"{path}: {err}") from err
    return _ini_values(parser, str(path.parent))


def _ini_values(
    parser: configparser.RawConfigParser, here: str
) -> dict[str, str]:
    found: dict[str, str] = {}
    # Alembic's own URL is the fallback for ours, so a plain Alembic
    # project needs no extra setting.  It is read as Alembic reads it
    # (interpolated, where the parser interpolates).
    if parser.has_option("alembic", "sqlalchemy.url"):
        try:
            url = parser.get("alembic", "sqlalchemy.url")
        except configparser.Error as err:
            raise ConfigError(problem=f"sqlalchemy.url: {err}") from err
        if url.strip():
            found["database_url"] = url.replace("%(here)s", here)
    if parser.has_section("zerodown"):
        for key in parser.options("zerodown"):
            if key == "here":
                continue
            raw = parser.get("zerodown", key, raw=True)
            found[key] = raw.replace("%(here)s", here)
    return found


def _read_pyproject(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(problem=f"{path}: {err}") from err
    table = data.get("tool", {}).get("zerodown", {})
    return {
        key.replace("-", "_"): _toml_to_str(value)
        for key, value in table.items()
    }


def _toml_to_str(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _read_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and not key.startswith("ZERODOWN_TEST_")
    }


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, raw: str, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if raw.strip().lower() in ("", "none"):
            return None
        return _coerce(name, raw, inner[0])
    if origin is tuple:
        items = [part.strip() for part in raw.replace(",", " ").split()]
        (item_type, _ellipsis) = typing.get_args(hint)
        return tuple(_coerce(name, item, item_type) for item in items)
    try:
        return _scalar(raw.strip(), hint)
    except ValueError as err:
        raise ConfigError(
            problem=f"{name}={raw!r} is not a valid {hint.__name__}"
        ) from err


def _scalar(raw: str, hint: Any) -> Any:
    if hint is bool:
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ValueError(raw)
    if hint in (int, float, str):
        return hint(raw)
    if hint is Path:
        return Path(raw)
    raise ValueError(f"unsupported setting type {hint!r}")
