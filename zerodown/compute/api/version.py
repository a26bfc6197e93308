"""``GET /`` and ``GET /v2.1``: the version documents, the answers that
need no token (clients and load balancers ask them before they have
one).

They have Nova's shape, which keystoneauth's discovery reads: ``/``
lists the one version, ``v2.1``, with its microversion range and a
``self`` link to ``<this API>/v2.1/``, which clients then use as the
compute endpoint; ``/v2.1`` describes that version alone.  Both also
say how the API authenticates, so an API that checks nobody is plain to
see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from zerodown.compute.api.deps import Deps
from zerodown.compute.api.microversion import (
    MAX_VERSION,
    MIN_VERSION,
    format_version,
)
from zerodown.compute.api.request import Request
from zerodown.compute.api.router import Answer, Route

__all__ = ["PREFIX", "ROUTES"]

#: Where the versioned API lives (its routes are also served at ``/``).
PREFIX = "/v2.1"
# What a Host header may hold to be echoed in a link: a name or an
# address, and a port.  Anything else gets the address listened on.
_HOST = re.compile(
    r"\A([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?\Z"
)


def _base_url(environ: Mapping[str, Any]) -> str:
    scheme = "https" if environ.get("wsgi.url_scheme") == "https" else "http"
    host = str(environ.get("HTTP_HOST") or "")
    if _HOST.match(host) is None:
        host = f"{environ.get('SERVER_NAME', 'localhost')}:" + str(
            environ.get("SERVER_PORT", "80")
        )
    return f"{scheme}://{host}"


def _version(base: str) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": format_version(MAX_VERSION),
        "min_version": format_version(MIN_VERSION),
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{base}{PREFIX}/"}],
    }


def show_versions(deps: Deps, request: Request) -> Answer:
    base = _base_url(request.environ)
    return 200, {
        "versions": [_version(base)],
        "zerodown:auth": deps.auth_mode,
    }


def show_version(deps: Deps, request: Request) -> Answer:
    document = _version(_base_url(request.environ))
    document["links"].append(
        {
            "rel": "describedby",
            "type": "text/html",
            "href": "https://docs.openstack.org/api-ref/compute/",
        }
    )
    document["media-types"] = [
        {
            "base": "application/json",
            "type": "application/vnd.openstack.compute+json;version=2.1",
        }
    ]
    return 200, {"version": document, "zerodown:auth": deps.auth_mode}


ROUTES = (
    Route("GET", "/", "version:show", show_versions),
    Route("GET", PREFIX, "version:show", show_version),
)
