"""The compute stack's HTTP API as a WSGI application.

A small router maps ``(method, path)`` to a handler; every handler gets a
:class:`Request` and returns ``(status, body)``.  Known bad input always
gets a 4xx: a body that is not JSON, not an object, too large or of the
wrong content type; a schema violation; a placement that cannot exist;
an unknown id or route; a state conflict.  Only a bug gives a 500, logged
with its request id.  Every answer carries ``X-Request-Id``, and the
request's context carries it into every RPC message.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from zerodown.compute import states
from zerodown.compute.api import validation, views
from zerodown.compute.api.errors import REASONS, HTTPError, from_error
from zerodown.compute.exceptions import ComputeServiceTooOld, FlavorNotFound
from zerodown.compute.objects import Flavor, Instance
from zerodown.compute.pci_alias import PciAlias
from zerodown.compute.version import REALTIME_MIN_VERSION
from zerodown.exceptions import ZerodownError
from zerodown.rpc import RequestContext
from zerodown.services import ServiceDirectory, utcnow

__all__ = ["MAX_BODY", "make_app"]

LOG = logging.getLogger(__name__)

#: Largest request body accepted (bytes).
MAX_BODY = 64 * 1024

Handler = Callable[["Request"], tuple[int, Any]]


class Request:
    def __init__(self, environ: Mapping[str, Any], params: dict[str, str]):
        self.environ, self.params = environ, params
        self.method = str(environ.get("REQUEST_METHOD", "GET"))
        self.request_id = f"req-{uuid.uuid4()}"
        self.context = RequestContext(
            request_id=self.request_id,
            global_request_id=self.request_id,
        )

    def json(self) -> Any:
        """The body as JSON.

        :raises HTTPError: 413, 415 or 400 for a body that is too large,
            not declared as JSON, or not JSON.
        """
        kind = str(self.environ.get("CONTENT_TYPE") or "")
        if kind and kind.split(";")[0].strip() != "application/json":
            raise HTTPError(415, f"content type {kind!r} is not JSON")
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise HTTPError(400, "bad Content-Length") from None
        if length > MAX_BODY:
            raise HTTPError(413, f"body over {MAX_BODY} bytes")
        raw = self.environ["wsgi.input"].read(length) if length else b""
        if not raw:
            raise HTTPError(400, "a JSON body is required")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as err:
            raise HTTPError(400, f"malformed JSON: {err}") from None


class ComputeApi:
    def __init__(
        self,
        db: Any,
        conductor: Any,
        compute: Any,
        services: ServiceDirectory,
        pci_aliases: Mapping[str, PciAlias],
    ) -> None:
        self.db, self.conductor, self.compute = db, conductor, compute
        self.services, self.aliases = services, pci_aliases
        self.routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []
        self._route("/flavors", GET=self.list_flavors, POST=self.create_flavor)
        self._route("/flavors/detail", GET=self.list_flavors)
        self._route(
            "/flavors/{id}", GET=self.show_flavor, DELETE=self.delete_flavor
        )
        self._route(
            "/flavors/{id}/os-extra_specs",
            GET=self.show_specs,
            POST=self.set_specs,
        )
        self._route(
            "/flavors/{id}/os-extra_specs/{key}",
            PUT=self.put_spec,
            DELETE=self.delete_spec,
        )
        self._route("/servers", GET=self.list_servers, POST=self.create_server)
        self._route("/servers/detail", GET=self.list_servers)
        self._route(
            "/servers/{id}", GET=self.show_server, DELETE=self.delete_server
        )
        self._route("/servers/{id}/action", POST=self.server_action)
        self._route("/os-services", GET=self.list_services)
        self._route("/os-hypervisors", GET=self.list_hypervisors)
        self._route("/os-hypervisors/detail", GET=self.list_hypervisors)
        self._route("/os-hypervisors/{id}", GET=self.show_hypervisor)

    def _route(self, template: str, **methods: Handler) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append((re.compile(f"^{pattern}/?$"), methods))

    # -- WSGI -----------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        request = Request(environ, {})
        try:
            handler, params = self._match(request.method, path)
            request.params = params
            status, body = handler(request)
        except HTTPError as err:
            status, body = err.code, err.body()
        except ZerodownError as err:
            http = from_error(err)
            status, body = http.code, http.body()
        except Exception:
            LOG.exception("request %s failed", request.request_id)
            http = HTTPError(
                500, f"unexpected error (request {request.request_id})"
            )
            status, body = http.code, http.body()
        payload = b"" if body is None else json.dumps(body).encode()
        headers = [
            ("X-Request-Id", request.request_id),
            ("Content-Length", str(len(payload))),
        ]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        start_response(f"{status} {REASONS.get(status, '')}", headers)
        return [payload]

    def _match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        for pattern, methods in self.routes:
            found = pattern.match(path)
            if found is None:
                continue
            if method not in methods:
                raise HTTPError(405, f"{method} is not allowed on {path}")
            return methods[method], found.groupdict()
        raise HTTPError(404, f"no resource at {path}")

    # -- flavors ------------------------------------------------------------

    def list_flavors(self, request: Request) -> tuple[int, Any]:
        return 200, {
            "flavors": [views.flavor(f) for f in self.db.list_flavors()]
        }

    def show_flavor(self, request: Request) -> tuple[int, Any]:
        flavor = self.db.get_flavor(request.params["id"])
        return 200, {"flavor": views.flavor(flavor)}

    def create_flavor(self, request: Request) -> tuple[int, Any]:
        body = request.json()
        validation.check(validation.FLAVOR, body)
        data = body["flavor"]
        flavor = Flavor(
            id=0,
            flavorid=data.get("id") or str(uuid.uuid4()),
            name=data["name"],
            memory_mb=data["ram"],
            vcpus=data["vcpus"],
            root_gb=data["disk"],
            ephemeral_gb=0,
            swap=0,
            disabled=False,
            is_public=True,
            description=data.get("description"),
            extra_specs={},
            rxtx_factor=1.0,
            vcpu_weight=None,
        )
        return 200, {"flavor": views.flavor(self.db.create_flavor(flavor))}

    def delete_flavor(self, request: Request) -> tuple[int, Any]:
        self.db.delete_flavor(request.params["id"])
        return 202, None

    def show_specs(self, request: Request) -> tuple[int, Any]:
        flavor = self.db.get_flavor(request.params["id"])
        return 200, {"extra_specs": dict(flavor.extra_specs)}

    def set_specs(self, request: Request) -> tuple[int, Any]:
        body = request.json()
        validation.check(validation.EXTRA_SPECS, body)
        return 200, {
            "extra_specs": self._set_specs(request, body["extra_specs"])
        }

    def put_spec(self, request: Request) -> tuple[int, Any]:
        body = request.json()
        key = request.params["key"]
        if (
            not isinstance(body, dict)
            or list(body) != [key]
            or not isinstance(body[key], str)
        ):
            raise HTTPError(400, f"the body must be {{{key!r}: value}}")
        self._set_specs(request, body)
        return 200, body

    def _set_specs(
        self, request: Request, specs: Mapping[str, str]
    ) -> dict[str, str]:
        flavor = self.db.get_flavor(request.params["id"])
        merged = {**flavor.extra_specs, **specs}
        trial = flavor.obj_clone()
        trial.extra_specs = merged
        # The whole flavor must still make a placeable request.
        validation.check_placement(
            trial, validation.image_props(None), self.aliases
        )
        updated = self.db.update_extra_specs(flavor.flavorid, specs)
        return dict(updated.extra_specs)

    def delete_spec(self, request: Request) -> tuple[int, Any]:
        self.db.delete_extra_spec(request.params["id"], request.params["key"])
        return 202, None

    # -- servers ------------------------------------------------------------

    def _view(self, instance: Instance) -> dict[str, Any]:
        fault = (
            self.db.get_fault(instance.uuid)
            if instance.vm_state == states.ERROR
            else None
        )
        return views.server(instance, fault)

    def list_servers(self, request: Request) -> tuple[int, Any]:
        return 200, {
            "servers": [self._view(i) for i in self.db.list_instances()]
        }

    def show_server(self, request: Request) -> tuple[int, Any]:
        instance = self.db.get_instance(request.params["id"])
        return 200, {"server": self._view(instance)}

    def create_server(self, request: Request) -> tuple[int, Any]:
        body = request.json()
        validation.check(validation.SERVER, body)
        data = body["server"]
        try:
            flavor = self.db.get_flavor(data["flavorRef"])
        except FlavorNotFound as err:
            # A bad reference in the body is the request's fault: 400.
            raise HTTPError(400, str(err)) from err
        image = validation.image_props(data.get("image_properties"))
        requested = validation.check_placement(flavor, image, self.aliases)
        self._check_computes_support(requested)
        instance = Instance(
            uuid=str(uuid.uuid4()),
            display_name=data["name"],
            description=data.get("description"),
            hostname=data["name"],
            project_id=None,
            user_id=None,
            host=None,
            node=None,
            compute_id=None,
            vm_state=states.BUILDING,
            task_state=states.SCHEDULING,
            power_state=0,
            vcpus=flavor.vcpus,
            memory_mb=flavor.memory_mb,
            root_gb=flavor.root_gb,
            ephemeral_gb=flavor.ephemeral_gb,
            image_ref=data.get("imageRef"),
            flavor=flavor,
            numa_topology=requested,
            pci_devices=[],
            image_props=image,
            launched_at=None,
            created_at=utcnow(),
        )
        stored = self.db.create_instance(instance)
        try:
            self.conductor.build_instances(request.context, stored)
        except ZerodownError as err:
            LOG.error("cannot hand %s to the conductor: %s", stored.uuid, err)
            stored.vm_state, stored.task_state = states.ERROR, None
            self.db.save_instance(stored)
            self.db.add_fault(stored.uuid, 503, f"build not started: {err}")
        return 202, {"server": self._view(self.db.get_instance(stored.uuid))}

    def _check_computes_support(self, requested: Any) -> None:
        """Features an older compute would get wrong wait until every
        compute is new enough (Nova's minimum-version checks).

        :raises ComputeServiceTooOld: (409) naming the feature.
        """
        cells = requested.cells if requested is not None else []
        if not any(cell.realtime_vcpus for cell in cells):
            return
        oldest = self.services.min_version("compute")
        if oldest is None or oldest < REALTIME_MIN_VERSION:
            raise ComputeServiceTooOld(
                feature="hw:cpu_realtime",
                needed=REALTIME_MIN_VERSION,
                oldest="none" if oldest is None else oldest,
            )

    def delete_server(self, request: Request) -> tuple[int, Any]:
        instance = self.db.get_instance(request.params["id"])
        if not instance.host:
            # Never reached a compute (or its claim was released): there
            # is nothing to tear down but the record.
            self.db.destroy_instance(instance.uuid)
            return 204, None
        instance.task_state = states.DELETING
        expected = (
            None,
            states.SCHEDULING,
            states.SPAWNING,
            states.PAUSING,
            states.UNPAUSING,
            states.REBOOTING,
            states.REBOOTING_HARD,
        )
        saved = self.db.save_instance(instance, expected_task_state=expected)
        self.compute.terminate_instance(request.context, saved)
        return 204, None

    _ACTIONS = {
        "pause": ((states.ACTIVE,), states.PAUSING),
        "unpause": ((states.PAUSED,), states.UNPAUSING),
        "reboot": ((states.ACTIVE, states.PAUSED), states.REBOOTING),
    }

    def server_action(self, request: Request) -> tuple[int, Any]:
        body = request.json()
        if not isinstance(body, dict) or len(body) != 1:
            raise HTTPError(400, "an action body has exactly one key")
        action, argument = next(iter(body.items()))
        if action not in self._ACTIONS:
            known = ", ".join(sorted(self._ACTIONS))
            raise HTTPError(400, f"unknown action {action!r} (known: {known})")
        hard = False
        if action == "reboot":
            kind = (
                (argument or {}).get("type")
                if isinstance(argument, dict)
                else None
            )
            if kind not in ("SOFT", "HARD"):
                raise HTTPError(400, "reboot needs {'type': 'SOFT'|'HARD'}")
            hard = kind == "HARD"
        elif argument is not None:
            raise HTTPError(400, f"{action} takes no argument")
        instance = self.db.get_instance(request.params["id"])
        allowed, task = self._ACTIONS[action]
        if hard:
            task = states.REBOOTING_HARD
        if instance.vm_state not in allowed or instance.task_state:
            raise HTTPError(
                409,
                f"cannot {action} instance {instance.uuid} while it is "
                f"{instance.vm_state}"
                + (f" ({instance.task_state})" if instance.task_state else ""),
            )
        instance.task_state = task
        saved = self.db.save_instance(instance, expected_task_state=None)
        if action == "pause":
            self.compute.pause_instance(request.context, saved)
        elif action == "unpause":
            self.compute.unpause_instance(request.context, saved)
        else:
            self.compute.reboot_instance(
                request.context, saved, "HARD" if hard else "SOFT"
            )
        return 202, None

    # -- services and hypervisors -------------------------------------------

    def _up(self) -> dict[str, bool]:
        now = utcnow()
        return {
            f"{s.host}/{s.binary}": s.is_up(now, self.services.down_after)
            for s in self.services.services()
        }

    def list_services(self, request: Request) -> tuple[int, Any]:
        up = self._up()
        return 200, {
            "services": [
                views.service(s, up[f"{s.host}/{s.binary}"])
                for s in self.services.services()
            ]
        }

    def list_hypervisors(self, request: Request) -> tuple[int, Any]:
        up = self._up()
        detail = (
            request.environ.get("PATH_INFO", "").rstrip("/").endswith("detail")
        )
        return 200, {
            "hypervisors": [
                views.hypervisor(n, up.get(f"{n.host}/compute"), detail)
                for n in self.db.list_compute_nodes()
            ]
        }

    def show_hypervisor(self, request: Request) -> tuple[int, Any]:
        ident = request.params["id"]
        if not ident.isdigit():
            raise HTTPError(400, f"hypervisor id {ident!r} is not a number")
        node = self.db.get_compute_node_by_id(int(ident))
        up = self._up().get(f"{node.host}/compute")
        return 200, {"hypervisor": views.hypervisor(node, up)}


def make_app(
    *,
    db: Any,
    conductor: Any,
    compute: Any,
    services: ServiceDirectory,
    pci_aliases: Mapping[str, PciAlias],
) -> ComputeApi:
    """The WSGI application."""
    return ComputeApi(db, conductor, compute, services, pci_aliases)
