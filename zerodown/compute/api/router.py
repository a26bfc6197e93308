"""Routes: ``(method, path template)`` to an operation and its handler.

A template's ``{name}`` segments are path parameters, each checked by
the rule :data:`PARAMS` holds for its name before a handler runs: an id
no resource could have is "not found", a hypervisor id that is not a
number or an extra spec key that could never be one is a 400; neither
reaches the database.  Every route
names its operation; :mod:`.policy` says who may run it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from zerodown.compute.api.deps import Deps
from zerodown.compute.api.errors import HTTPError
from zerodown.compute.api.request import Request
from zerodown.compute.api.validation import (
    FLAVOR_ID,
    INT32_MAX,
    SPEC_KEY,
    SPEC_KEY_RULE,
)

__all__ = ["PARAMS", "Answer", "Handler", "Match", "Route", "Router"]

#: A handler's answer: the status and the JSON body (None: no body).
Answer = tuple[int, Any]

#: ``handler(deps, request) -> (status, body)``.
Handler = Callable[[Deps, Request], Answer]

_UUID = re.compile(
    r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    r"-[0-9a-fA-F]{12}\Z"
)


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation: str
    handler: Handler


def _flavor_id(value: str) -> str:
    if FLAVOR_ID.match(value) is None:
        raise HTTPError(404, f"flavor {value[:100]} not found")
    return value


def _server_id(value: str) -> str:
    if _UUID.match(value) is None:
        raise HTTPError(404, f"instance {value[:100]} not found")
    return value.lower()


def _hypervisor_id(value: str) -> int:
    # ASCII digits only: str.isdigit() also says yes to "²" and "٣".
    if re.fullmatch(r"[0-9]+", value) is None:
        raise HTTPError(400, f"hypervisor id {value[:100]!r} is not a number")
    if len(value) > 10 or int(value) > INT32_MAX:
        raise HTTPError(404, f"compute host {value[:100]} not found")
    return int(value)


def _spec_key(value: str) -> str:
    # A 400 rather than "not found": a PUT would create it.
    if SPEC_KEY.match(value) is None:
        raise HTTPError(
            400, f"extra spec key {value[:100]!r}: {SPEC_KEY_RULE}"
        )
    return value


#: How each path parameter is checked and converted.
PARAMS: Mapping[str, Callable[[str], Any]] = {
    "flavor_id": _flavor_id,
    "server_id": _server_id,
    "hypervisor_id": _hypervisor_id,
    "key": _spec_key,
}


@dataclasses.dataclass(frozen=True)
class Match:
    """The routes of one path, by method, and its raw parameters."""

    routes: Mapping[str, Route]
    raw: Mapping[str, str]

    def params(self) -> dict[str, Any]:
        """:raises HTTPError: for a value no resource could have."""
        return {name: PARAMS[name](value) for name, value in self.raw.items()}


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)
        self._paths: dict[str, tuple[re.Pattern[str], dict[str, Route]]] = {}
        for route in self.routes:
            names = re.findall(r"\{(\w+)\}", route.template)
            unknown = set(names) - set(PARAMS)
            if unknown:
                raise ValueError(f"{route.template}: no rule for {unknown}")
            _, methods = self._paths.setdefault(
                route.template, (_compile(route.template), {})
            )
            methods[route.method] = route

    def find(self, path: str) -> Match | None:
        """The routes of ``path`` (a trailing slash is allowed), if any."""
        for pattern, methods in self._paths.values():
            found = pattern.fullmatch(path)
            if found is not None:
                return Match(methods, found.groupdict())
        return None


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern + ("/?" if template != "/" else ""))
