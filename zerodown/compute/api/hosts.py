"""``/os-services`` and ``/os-hypervisors``: the deployment's services
and compute hosts, for admins only (:mod:`.policy`); ``/os-aggregates``
answers that there are no host aggregates."""

from __future__ import annotations

from zerodown.compute.api import views
from zerodown.compute.api.deps import Deps
from zerodown.compute.api.errors import HTTPError
from zerodown.compute.api.request import Request
from zerodown.compute.api.router import Answer, Route
from zerodown.services import utcnow

__all__ = ["ROUTES"]


def _up(deps: Deps) -> dict[str, bool]:
    now = utcnow()
    return {
        f"{s.host}/{s.binary}": s.is_up(now, deps.services.down_after)
        for s in deps.services.services()
    }


def list_services(deps: Deps, request: Request) -> Answer:
    records = deps.services.services()
    now = utcnow()
    return 200, {
        "services": [
            views.service(s, s.is_up(now, deps.services.down_after))
            for s in records
        ]
    }


def _list_hypervisors(deps: Deps, detail: bool) -> Answer:
    up = _up(deps)
    return 200, {
        "hypervisors": [
            views.hypervisor(n, up.get(f"{n.host}/compute"), detail)
            for n in deps.db.list_compute_nodes()
        ]
    }


def list_hypervisors(deps: Deps, request: Request) -> Answer:
    return _list_hypervisors(deps, detail=False)


def list_hypervisors_detail(deps: Deps, request: Request) -> Answer:
    return _list_hypervisors(deps, detail=True)


def show_hypervisor(deps: Deps, request: Request) -> Answer:
    node = deps.db.get_compute_node_by_id(request.params["hypervisor_id"])
    up = _up(deps).get(f"{node.host}/compute")
    return 200, {"hypervisor": views.hypervisor(node, up)}


def hypervisor_uptime(deps: Deps, request: Request) -> Answer:
    node = deps.db.get_compute_node_by_id(request.params["hypervisor_id"])
    # Nova's answer for a driver that cannot tell (neither driver here
    # reports its host's uptime); clients show the rest without it.
    raise HTTPError(
        501, f"the driver of {node.hypervisor_hostname} reports no uptime"
    )


def list_aggregates(deps: Deps, request: Request) -> Answer:
    # There are no host aggregates; clients ask (``openstack hypervisor
    # show`` lists a host's).
    return 200, {"aggregates": []}


ROUTES = (
    Route("GET", "/os-aggregates", "os-aggregates:list", list_aggregates),
    Route("GET", "/os-services", "os-services:list", list_services),
    Route("GET", "/os-hypervisors", "os-hypervisors:list", list_hypervisors),
    Route(
        "GET",
        "/os-hypervisors/detail",
        "os-hypervisors:list",
        list_hypervisors_detail,
    ),
    Route(
        "GET",
        "/os-hypervisors/{hypervisor_id}",
        "os-hypervisors:show",
        show_hypervisor,
    ),
    Route(
        "GET",
        "/os-hypervisors/{hypervisor_id}/uptime",
        "os-hypervisors:show",
        hypervisor_uptime,
    ),
)
