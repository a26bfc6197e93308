"""A Python client of the compute stack's HTTP API.

Thin on purpose: each method is one request and returns the JSON body.
Every request carries the client's token in ``X-Auth-Token`` (make one
with ``zerodown compute token create``).  An error answer raises
:class:`~zerodown.compute.errors.ApiError` with the status and the
API's message; an API that cannot be reached raises
:class:`~zerodown.compute.errors.ApiUnreachable`.  Used by the
``zerodown compute`` commands, the demo and the tests.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from zerodown.compute.errors import ApiError, ApiUnreachable

__all__ = ["API_VERSION", "ComputeClient"]

#: The compute API microversion this client asks for.
API_VERSION = "2.47"


class ComputeClient:
    def __init__(
        self, url: str, timeout: float = 30.0, *, token: str | None = None
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ApiUnreachable(url=url, reason="not an http:// URL")
        self.url = url.rstrip("/")
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.timeout = timeout
        self.token = token

    # -- raw -----------------------------------------------------------------

    def request(
        self, method: str, path: str, body: Any = None
    ) -> tuple[int, Any, dict[str, str]]:
        """One request: status, decoded JSON body (or None), headers."""
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout
        )
        payload = None if body is None else json.dumps(body).encode()
        headers = {
            "Accept": "application/json",
            # The shapes this client reads (an API before microversions
            # ignores it).
            "OpenStack-API-Version": f"compute {API_VERSION}",
        }
        if self.token:
            headers["X-Auth-Token"] = self.token
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, self.prefix + path, payload, headers)
            response = conn.getresponse()
            raw = response.read()
        except OSError as err:
            raise ApiUnreachable(url=self.url, reason=str(err)) from err
        finally:
            conn.close()
        return response.status, _decode(raw), dict(response.getheaders())

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        status, data, _ = self.request(method, path, body)
        if status >= 400:
            raise ApiError(
                method=method,
                path=path,
                status=status,
                detail=_message(data),
            )
        return data

    # -- flavors -------------------------------------------------------------

    def create_flavor(
        self,
        name: str,
        vcpus: int,
        ram: int,
        disk: int = 1,
        extra_specs: Mapping[str, str] | None = None,
        flavorid: str | None = None,
    ) -> dict[str, Any]:
        flavor: dict[str, Any] = {
            "name": name,
            "vcpus": vcpus,
            "ram": ram,
            "disk": disk,
        }
        if flavorid is not None:
            flavor["id"] = flavorid
        created = self._call("POST", "/flavors", {"flavor": flavor})["flavor"]
        if extra_specs:
            try:
                self._call(
                    "POST",
                    f"/flavors/{_q(created['id'])}/os-extra_specs",
                    {"extra_specs": dict(extra_specs)},
                )
            except ApiError:
                # Refused specs: leave no half-made flavor behind.
                self.request("DELETE", f"/flavors/{_q(created['id'])}")
                raise
            created = self.get_flavor(created["id"])
        return created  # type: ignore[no-any-return]

    def get_flavor(self, flavorid: str) -> dict[str, Any]:
        return self._call("GET", f"/flavors/{_q(flavorid)}")["flavor"]  # type: ignore[no-any-return]

    def list_flavors(self) -> list[dict[str, Any]]:
        return self._call("GET", "/flavors/detail")["flavors"]  # type: ignore[no-any-return]

    # -- servers -------------------------------------------------------------

    def create_server(
        self,
        name: str,
        flavor: str,
        image_properties: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        server: dict[str, Any] = {"name": name, "flavorRef": flavor}
        if image_properties:
            server["image_properties"] = dict(image_properties)
        return self._call("POST", "/servers", {"server": server})["server"]  # type: ignore[no-any-return]

    def get_server(self, uuid: str) -> dict[str, Any]:
        return self._call("GET", f"/servers/{_q(uuid)}")["server"]  # type: ignore[no-any-return]

    def list_servers(self) -> list[dict[str, Any]]:
        """Every server, page after page (the API's ``servers_links``)."""
        found: list[dict[str, Any]] = []
        path = "/servers/detail"
        while True:
            page = self._call("GET", path)
            found += page["servers"]
            if not page.get("servers_links") or not page["servers"]:
                return found
            path = "/servers/detail?" + urllib.parse.urlencode(
                {"marker": page["servers"][-1]["id"]}
            )

    def delete_server(self, uuid: str) -> None:
        self._call("DELETE", f"/servers/{_q(uuid)}")

    def action(self, uuid: str, name: str, body: Any = None) -> None:
        self._call("POST", f"/servers/{_q(uuid)}/action", {name: body})

    def wait_for_server(
        self,
        uuid: str,
        until: Callable[[dict[str, Any]], bool],
        timeout: float = 60.0,
        interval: float = 0.2,
    ) -> dict[str, Any]:
        """Poll until ``until(server)`` holds; the last view if it never
        does within ``timeout`` (the caller says what it expected)."""
        deadline = time.monotonic() + timeout
        while True:
            server = self.get_server(uuid)
            if until(server) or time.monotonic() > deadline:
                return server
            time.sleep(interval)

    def wait_for_status(
        self, uuid: str, *statuses: str, timeout: float = 60.0
    ) -> dict[str, Any]:
        return self.wait_for_server(
            uuid,
            lambda s: (
                (s["status"] in statuses and s.get("task_state") is None)
                or s["status"] == "ERROR"
            ),
            timeout,
        )

    def wait_for_deleted(self, uuid: str, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, _ = self.request("GET", f"/servers/{_q(uuid)}")
            if status == 404:
                return True
            time.sleep(0.2)
        return False

    # -- services and hypervisors --------------------------------------------

    def list_services(self) -> list[dict[str, Any]]:
        return self._call("GET", "/os-services")["services"]  # type: ignore[no-any-return]

    def list_hypervisors(self) -> list[dict[str, Any]]:
        return self._call("GET", "/os-hypervisors/detail")["hypervisors"]  # type: ignore[no-any-return]


def _q(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def _decode(raw: bytes) -> Any:
    """The body as JSON; text if it is not (waitress answers a request
    over its limits itself, in plain text)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _message(data: Any) -> str:
    """The message of Nova-style error bodies: ``{"badRequest":
    {"message": ..., "code": 400}}``."""
    if isinstance(data, dict) and len(data) == 1:
        inner = next(iter(data.values()))
        if isinstance(inner, dict) and "message" in inner:
            return str(inner["message"])
    return data if isinstance(data, str) else json.dumps(data)
