"""Pages of a list: Nova's ``limit`` and ``marker``.

``limit`` caps a page at :data:`MAX_LIMIT` (Nova's ``max_limit``, also
the page size when none is asked); ``marker`` is the id of the last
item of the previous page, and must be one the asker can see (else 400,
as Nova's "marker not found").  A full page carries a ``next`` link
with the same limit and its last item as the marker.  Items are in the
order of their row ids, so a page is one index range scan whatever the
page's number: the cost per page stays flat.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from zerodown.compute.api.errors import HTTPError

__all__ = ["MAX_LIMIT", "Page", "next_links", "page_of"]

#: Nova's ``[api] max_limit``.
MAX_LIMIT = 1000

#: A marker is an id; anything longer is not one.
_MAX_MARKER = 255

#: A Host header echoed into a link: a name or address, a port.
_HOST = re.compile(
    r"([A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?"
)


@dataclasses.dataclass(frozen=True)
class Page:
    limit: int
    marker: str | None


def page_of(environ: Mapping[str, Any]) -> Page:
    """The page a query string asks for.

    :raises HTTPError: 400 for a limit that is not a non-negative
        integer, a marker that cannot be an id, or either given twice.
    """
    query = urllib.parse.parse_qs(
        str(environ.get("QUERY_STRING", "")), keep_blank_values=True
    )
    limit, marker = _one(query, "limit"), _one(query, "marker")
    if marker is not None and not (0 < len(marker) <= _MAX_MARKER):
        raise HTTPError(400, "marker must be the id of an item")
    if limit is None:
        return Page(MAX_LIMIT, marker)
    if not limit.isascii() or not limit.isdigit() or len(limit) > 12:
        raise HTTPError(400, "limit must be a non-negative integer")
    return Page(min(int(limit), MAX_LIMIT), marker)


def next_links(
    environ: Mapping[str, Any], page: Page, items: Sequence[str]
) -> list[dict[str, str]]:
    """The ``next`` link of a full page (``items``: its ids), else
    none."""
    if not items or len(items) < page.limit:
        return []
    query = urllib.parse.urlencode({"limit": page.limit, "marker": items[-1]})
    return [{"rel": "next", "href": f"{_url(environ)}?{query}"}]


def _one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if values is None:
        return None
    if len(values) > 1:
        raise HTTPError(400, f"{name} given more than once")
    return values[0]


def _url(environ: Mapping[str, Any]) -> str:
    """This request's URL without its query (PEP 3333's recipe)."""
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    host = str(environ.get("HTTP_HOST", ""))
    if not _HOST.fullmatch(host):
        host = str(environ.get("SERVER_NAME", "localhost"))
        port = str(environ.get("SERVER_PORT", ""))
        if port and port != {"https": "443", "http": "80"}.get(scheme):
            host += f":{port}"
    path = urllib.parse.quote(
        str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO"))
    )
    return f"{scheme}://{host}{path}"
