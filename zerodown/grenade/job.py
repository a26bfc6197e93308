"""The job file (TOML): which code is old and new, how to install each
side, which services run on which side, and the hooks of each phase.

::

    [job]
    name = "compute"

    [refs]
    old = "r1"                      # a release name or a git ref
    new = "HEAD"

    [install]                       # run once per side, in its worktree
    command = "python -m venv {venv} && {venv}/bin/pip install -e {worktree}"

    [[service]]
    name = "compute-1"
    command = "{venv}/bin/zerodown compute run compute --config c1.toml"
    ready = "READY"                 # a stdout line, or an http:// URL
    upgrade = "roll"                # "control" (restarted on new code
                                    # with the control plane), "roll"
                                    # (one by one, after the migrations)
                                    # or "none" (never: a load balancer)
    pre_stop = "..."                # before it is stopped for the
                                    # upgrade (take it out of a load
                                    # balancer and let it drain)
    post_start = "..."              # once it is ready again (put it back)
    restart = true                  # started again if it dies on its own
                                    # (its pid: {workdir}/run/NAME.pid)

    [vars]                          # more {placeholders}; override
    database_url = "sqlite:///{workdir}/db"   # with --var NAME=VALUE

    [hooks]                         # commands per phase; {side} venv
    create = ["..."]
    verify = ["..."]                # $GRENADE_PHASE: mixed or final

    [load]                          # requests during every phase
    url = "http://127.0.0.1:8774"
    workers = 8
    min_requests = 300              # each phase lasts until it holds
                                    # as many (p99 of 10 is a maximum)
    hold = { mixed = 60 }           # seconds a phase lasts at least
    hold_timeout = 120              # a phase short of requests this
                                    # long after its work fails the job

A key, table or hook the harness does not know is an error naming it:
a typo never silently disables a check.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zerodown.grenade.errors import JobFileError
from zerodown.grenade.phases import PHASES
from zerodown.grenade.sides import BUILTINS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["HOOKS", "PHASES", "Job", "Service", "load_job"]

#: Hooks a job may give (each a command or a list of commands).
HOOKS = (
    "setup",
    "smoke",
    "create",
    "verify",
    "upgrade_check",
    "status",
    "expand",
    "migrate",
    "caps",
    "reconfigure",
    "reconfigured",
    "contract",
    "destroy",
)
DEFAULT_INSTALL = (
    "{python} -m venv {venv} && {venv}/bin/pip install --quiet -e {worktree}"
)
_UPGRADES = ("control", "roll", "none")


@dataclasses.dataclass(frozen=True)
class Service:
    name: str
    command: str
    ready: str = "READY"
    timeout: float = 60.0
    upgrade: str = "control"
    pre_stop: str = ""
    post_start: str = ""
    #: Started again on its side when it dies without the job stopping
    #: it (systemd's ``Restart=always``): a fault run kills it.
    restart: bool = False


@dataclasses.dataclass(frozen=True)
class Job:
    path: Path
    name: str
    old: str
    new: str
    install: str
    services: tuple[Service, ...]
    hooks: Mapping[str, tuple[str, ...]]
    load: Mapping[str, Any]
    #: ``[vars]``: extra placeholders, after ``--var`` overrides.
    variables: Mapping[str, str] = dataclasses.field(default_factory=dict)


def load_job(path: Path, overrides: Mapping[str, str] | None = None) -> Job:
    """The job in ``path``, its ``[vars]`` overridden by ``overrides``.

    :raises JobFileError: naming the table and key at fault.
    """
    try:
        data = tomllib.loads(path.read_text())
    except OSError as err:
        raise JobFileError(
            path=path, where="file", problem=err.strerror
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise JobFileError(path=path, where="file", problem=str(err)) from err
    known = {"job", "refs", "install", "service", "hooks", "load", "vars"}
    _only(path, "top level", data, known)
    job = _table(path, data, "job", {"name"})
    refs = _table(path, data, "refs", {"old", "new"})
    for side in ("old", "new"):
        if not isinstance(refs.get(side), str) or not refs[side]:
            raise JobFileError(
                path=path, where="[refs]", problem=f"{side} is required"
            )
    install = _table(path, data, "install", {"command"})
    services = tuple(
        _service(path, index, raw)
        for index, raw in enumerate(data.get("service", []))
    )
    if not services:
        raise JobFileError(
            path=path, where="[[service]]", problem="a job needs services"
        )
    names = [s.name for s in services]
    if len(set(names)) != len(names):
        raise JobFileError(
            path=path, where="[[service]]", problem="names must be unique"
        )
    hooks_raw = _table(path, data, "hooks", set(HOOKS))
    hooks = {
        name: _commands(path, name, value) for name, value in hooks_raw.items()
    }
    if hooks.get("reconfigured") and not hooks.get("reconfigure"):
        raise JobFileError(
            path=path,
            where="[hooks]",
            problem="reconfigured runs after the reconfigure phase's "
            "restarts, which only a reconfigure hook starts",
        )
    load = _table(
        path,
        data,
        "load",
        {
            "url",
            "pause",
            "workers",
            "mix",
            "flows",
            "baseline",
            "base_phases",
            "p99_ratio",
            "min_requests",
            "hold",
            "hold_timeout",
        },
    )
    _check_holds(path, load)
    return Job(
        path=path,
        name=str(job.get("name", path.stem)),
        old=refs["old"],
        new=refs["new"],
        install=str(install.get("command", DEFAULT_INSTALL)),
        services=services,
        hooks=hooks,
        load=load,
        variables=_variables(path, data.get("vars", {}), overrides or {}),
    )


def _variables(
    path: Path, raw: Any, overrides: Mapping[str, str]
) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise JobFileError(path=path, where="[vars]", problem="not a table")
    for name, value in raw.items():
        if not name.isidentifier() or name in BUILTINS:
            raise JobFileError(
                path=path,
                where="[vars]",
                problem=f"{name!r} is not a name a job may define "
                f"(an identifier other than {', '.join(BUILTINS)})",
            )
        if not isinstance(value, str):
            raise JobFileError(
                path=path, where="[vars]", problem=f"{name} is not a string"
            )
    unknown = sorted(set(overrides) - set(raw))
    if unknown:
        raise JobFileError(
            path=path,
            where="--var",
            problem=f"{', '.join(unknown)} not in [vars] "
            f"(known: {', '.join(sorted(raw)) or 'none'})",
        )
    return {**raw, **overrides}


def _check_holds(path: Path, load: Mapping[str, Any]) -> None:
    """``min_requests`` (a count), ``hold`` (seconds by phase) and
    ``hold_timeout`` (seconds) of ``[load]``."""

    def number(where: str, value: Any, kind: type = float) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float) if kind is float else int)
            or not math.isfinite(value)
            or value < 0
        ):
            raise JobFileError(
                path=path,
                where=where,
                problem=f"{value!r} is not a number >= 0"
                if kind is float
                else f"{value!r} is not a count >= 0",
            )

    if "min_requests" in load:
        number("[load] min_requests", load["min_requests"], int)
    if "hold_timeout" in load:
        number("[load] hold_timeout", load["hold_timeout"])
    hold = load.get("hold", {})
    if not isinstance(hold, dict):
        raise JobFileError(
            path=path, where="[load] hold", problem="not a table"
        )
    _only(path, "[load] hold", hold, set(PHASES))
    for phase, seconds in hold.items():
        number(f"[load] hold.{phase}", seconds)


def _only(
    path: Path, where: str, data: Mapping[str, Any], keys: set[str]
) -> None:
    unknown = sorted(set(data) - keys)
    if unknown:
        raise JobFileError(
            path=path,
            where=where,
            problem=f"unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(keys))})",
        )


def _table(
    path: Path, data: Mapping[str, Any], name: str, keys: set[str]
) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise JobFileError(path=path, where=f"[{name}]", problem="not a table")
    _only(path, f"[{name}]", value, keys)
    return value


def _service(path: Path, index: int, raw: Any) -> Service:
    where = f"[[service]] #{index + 1}"
    if not isinstance(raw, dict):
        raise JobFileError(path=path, where=where, problem="not a table")
    _only(path, where, raw, {f.name for f in dataclasses.fields(Service)})
    for key in ("name", "command"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise JobFileError(
                path=path, where=where, problem=f"{key} is required"
            )
    upgrade = raw.get("upgrade", "control")
    if upgrade not in _UPGRADES:
        raise JobFileError(
            path=path,
            where=f"{where} ({raw['name']})",
            problem=f"upgrade {upgrade!r} is not one of "
            + ", ".join(_UPGRADES),
        )
    timeout = raw.get("timeout", 60.0)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise JobFileError(
            path=path, where=where, problem="timeout must be a positive number"
        )
    for key in ("pre_stop", "post_start"):
        if not isinstance(raw.get(key, ""), str):
            raise JobFileError(
                path=path, where=where, problem=f"{key} must be a command"
            )
    if not isinstance(raw.get("restart", False), bool):
        raise JobFileError(
            path=path, where=where, problem="restart must be true or false"
        )
    return Service(
        raw["name"],
        raw["command"],
        str(raw.get("ready", "READY")),
        float(timeout),
        upgrade,
        str(raw.get("pre_stop", "")),
        str(raw.get("post_start", "")),
        bool(raw.get("restart", False)),
    )


def _commands(path: Path, hook: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise JobFileError(
        path=path,
        where=f"[hooks] {hook}",
        problem="a command or a list of commands",
    )
