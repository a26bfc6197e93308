"""``/flavors``: Nova's flavors and their extra specs.

Members read them; only admins write them (:mod:`.policy`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from zerodown.compute.api import validation, views
from zerodown.compute.api.deps import Deps
from zerodown.compute.api.errors import HTTPError
from zerodown.compute.api.request import Request
from zerodown.compute.api.router import Answer, Route
from zerodown.compute.objects import Flavor

__all__ = ["ROUTES"]


def list_flavors(deps: Deps, request: Request) -> Answer:
    return 200, {"flavors": [views.flavor(f) for f in deps.db.list_flavors()]}


def show_flavor(deps: Deps, request: Request) -> Answer:
    flavor = deps.db.get_flavor(request.params["flavor_id"])
    return 200, {"flavor": views.flavor(flavor)}


def create_flavor(deps: Deps, request: Request) -> Answer:
    body = request.json()
    validation.FLAVOR.check(body)
    data = body["flavor"]
    flavor = Flavor(
        id=0,
        flavorid=data.get("id") or str(uuid.uuid4()),
        name=data["name"],
        memory_mb=data["ram"],
        vcpus=data["vcpus"],
        root_gb=data["disk"],
        ephemeral_gb=data.get("OS-FLV-EXT-DATA:ephemeral", 0),
        swap=data.get("swap", 0),
        disabled=False,
        is_public=True,
        description=data.get("description"),
        extra_specs={},
        rxtx_factor=1.0,
        vcpu_weight=None,
    )
    return 200, {"flavor": views.flavor(deps.db.create_flavor(flavor))}


def delete_flavor(deps: Deps, request: Request) -> Answer:
    deps.db.delete_flavor(request.params["flavor_id"])
    return 202, None


def show_specs(deps: Deps, request: Request) -> Answer:
    flavor = deps.db.get_flavor(request.params["flavor_id"])
    return 200, {"extra_specs": dict(flavor.extra_specs)}


def set_specs(deps: Deps, request: Request) -> Answer:
    body = request.json()
    validation.EXTRA_SPECS.check(body)
    merged = _set_specs(deps, request, body["extra_specs"])
    return 200, {"extra_specs": merged}


def put_spec(deps: Deps, request: Request) -> Answer:
    body = request.json()
    key = request.params["key"]
    if not isinstance(body, dict) or list(body) != [key]:
        raise HTTPError(400, f"the body must be {{{key!r}: value}}")
    # The same rules as a POST of the one spec.
    validation.EXTRA_SPECS.check({"extra_specs": body})
    _set_specs(deps, request, body)
    return 200, body


def _set_specs(
    deps: Deps, request: Request, specs: Mapping[str, str]
) -> dict[str, str]:
    flavor = deps.db.get_flavor(request.params["flavor_id"])
    trial = flavor.obj_clone()
    trial.extra_specs = {**flavor.extra_specs, **specs}
    # The whole flavor must still make a placeable request.
    validation.check_placement(
        trial, validation.image_props(None), deps.pci_aliases
    )
    updated = deps.db.update_extra_specs(flavor.flavorid, specs)
    return dict(updated.extra_specs)


def delete_spec(deps: Deps, request: Request) -> Answer:
    params = request.params
    deps.db.delete_extra_spec(params["flavor_id"], params["key"])
    return 202, None


ROUTES = (
    Route("GET", "/flavors", "flavors:list", list_flavors),
    Route("POST", "/flavors", "flavors:create", create_flavor),
    Route("GET", "/flavors/detail", "flavors:list", list_flavors),
    Route("GET", "/flavors/{flavor_id}", "flavors:show", show_flavor),
    Route("DELETE", "/flavors/{flavor_id}", "flavors:delete", delete_flavor),
    Route(
        "GET",
        "/flavors/{flavor_id}/os-extra_specs",
        "flavor_extra_specs:show",
        show_specs,
    ),
    Route(
        "POST",
        "/flavors/{flavor_id}/os-extra_specs",
        "flavor_extra_specs:set",
        set_specs,
    ),
    Route(
        "PUT",
        "/flavors/{flavor_id}/os-extra_specs/{key}",
        "flavor_extra_specs:update",
        put_spec,
    ),
    Route(
        "DELETE",
        "/flavors/{flavor_id}/os-extra_specs/{key}",
        "flavor_extra_specs:delete",
        delete_spec,
    ),
)
