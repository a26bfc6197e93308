"""``GET /``: the version document, the one answer that needs no token
(clients and load balancers ask it before they have one).  It also says
how the API authenticates, so an API that checks nobody is plain to see.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.api.deps import Deps
from zerodown.compute.api.request import Request
from zerodown.compute.api.router import Route

__all__ = ["ROUTES"]


def show_versions(deps: Deps, request: Request) -> tuple[int, Any]:
    return 200, {
        "versions": [
            {
                "id": "v2.1",
                "status": "CURRENT",
                "links": [{"rel": "self", "href": "/"}],
            }
        ],
        "zerodown:auth": deps.auth_mode,
    }


ROUTES = (Route("GET", "/", "version:show", show_versions),)
