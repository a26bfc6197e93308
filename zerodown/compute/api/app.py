"""The compute stack's HTTP API as a WSGI application.

Each request goes through the same steps: its path is decoded (UTF-8 or
a 400) and a leading ``/v2.1`` dropped; unless it asks for a version
document, the authenticator says who asks (a 401 if it cannot); the
microversion it asks for is negotiated (:mod:`.microversion`: 400,
406); the router finds its route (404, 405); :mod:`.policy` checks
the route's operation against the asker's roles (403); the path
parameters are checked (404 for a value no resource could have); then
the handler runs.

Known bad input always gets a 4xx: a body that is not JSON, not an
object, too large or of the wrong content type; a schema violation; a
placement that cannot exist; an unknown id or route; a state conflict;
a missing or bad token; a role that does not allow the operation.  Only
a bug gives a 500, logged with its request id.  Every answer carries
``X-Request-Id``, and the request's context (with the token's project,
user and roles) travels with every RPC message it sends.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from zerodown.compute.api import (
    flavors,
    hosts,
    microversion,
    servers,
    version,
)
from zerodown.compute.api.auth import Authenticator, NoAuth
from zerodown.compute.api.deps import Compute, Conductor, Database, Deps
from zerodown.compute.api.errors import (
    REASONS,
    UNFIT_VALUE,
    HTTPError,
    from_error,
    from_unfit_value,
)
from zerodown.compute.api.policy import POLICY, PUBLIC, authorize
from zerodown.compute.api.request import MAX_BODY, Request, decode_path
from zerodown.compute.api.router import Answer, Route, Router
from zerodown.compute.pci_alias import PciAlias
from zerodown.exceptions import ZerodownError
from zerodown.services import ServiceDirectory

__all__ = ["MAX_BODY", "ROUTES", "ComputeApi", "make_app"]

LOG = logging.getLogger(__name__)

ROUTES: tuple[Route, ...] = (
    *version.ROUTES,
    *flavors.ROUTES,
    *servers.ROUTES,
    *hosts.ROUTES,
)


class ComputeApi:
    def __init__(self, deps: Deps, auth: Authenticator) -> None:
        self.deps, self.auth = deps, auth
        self.router = Router(ROUTES)
        # Seen on every answer of an API that checks nobody.
        self._extra = (
            [("X-Zerodown-Auth", "none")] if auth.mode == NoAuth.mode else []
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        headers: list[tuple[str, str]] = []
        try:
            status, body = self._serve(request)
        except HTTPError as err:
            status, body, headers = err.code, err.body(), err.headers()
        except ZerodownError as err:
            http = from_error(err)
            status, body, headers = http.code, http.body(), http.headers()
        except UNFIT_VALUE as err:
            http = from_unfit_value(err, request.request_id)
            status, body = http.code, http.body()
        except Exception:
            LOG.exception("request %s failed", request.request_id)
            http = HTTPError(
                500, f"unexpected error (request {request.request_id})"
            )
            status, body = http.code, http.body()
        if status == 401:
            LOG.info(
                "request %s refused: %s", request.request_id, _message(body)
            )
        if request.version is not None:
            headers += microversion.response_headers(request.version)
        payload = b"" if body is None else json.dumps(body).encode()
        headers += [
            ("X-Request-Id", request.request_id),
            ("Content-Length", str(len(payload))),
            *self._extra,
        ]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        start_response(f"{status} {REASONS.get(status, '')}", headers)
        return [payload]

    def _serve(self, request: Request) -> Answer:
        path = _unprefixed(decode_path(request.environ))
        found = self.router.find(path)
        route = found.routes.get(request.method) if found else None
        if route is None or POLICY[route.operation] != PUBLIC:
            # Before the route is known to exist: who has no token
            # learns nothing of the API but the version document.
            request.identity = self.auth.authenticate(request.environ)
        if path != "/":
            # The root lists the versions; everything else is versioned.
            request.version = microversion.requested(request.environ)
        if found is None:
            raise HTTPError(404, f"no resource at {path[:200]}")
        if route is None:
            raise HTTPError(
                405, f"{request.method[:20]} is not allowed on {path[:200]}"
            )
        authorize(request.identity, route.operation)
        request.params = found.params()
        return route.handler(self.deps, request)


def _unprefixed(path: str) -> str:
    """``/v2.1/servers`` is ``/servers``: clients take the API's URL from
    the version document, which names ``/v2.1/``; the routes are served
    at the root too, as before it existed."""
    if path.startswith(version.PREFIX + "/") and path != version.PREFIX + "/":
        return path[len(version.PREFIX) :]
    return path


def _message(body: Mapping[str, Any]) -> str:
    (inner,) = body.values()
    return str(inner["message"])


def make_app(
    *,
    db: Database,
    conductor: Conductor,
    compute: Compute,
    services: ServiceDirectory,
    pci_aliases: Mapping[str, PciAlias],
    auth: Authenticator,
) -> ComputeApi:
    """The WSGI application; ``auth`` says who asks
    (:func:`zerodown.compute.api.auth.from_config`)."""
    deps = Deps(db, conductor, compute, services, pci_aliases, auth.mode)
    return ComputeApi(deps, auth)
