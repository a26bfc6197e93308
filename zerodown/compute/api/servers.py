"""``/servers``: boot, show, act on and delete instances.

A server belongs to the project of the token that created it (never to
one the body names).  A member sees only its project's servers; any
other is "not found", exactly as one that does not exist.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from zerodown.compute import states
from zerodown.compute.api import pagination, validation, views
from zerodown.compute.api.deps import Compute, Ctx, Deps
from zerodown.compute.api.errors import HTTPError
from zerodown.compute.api.policy import ADMIN, sees_project
from zerodown.compute.api.request import Request
from zerodown.compute.api.router import Answer, Route
from zerodown.compute.errors import (
    ComputeServiceTooOld,
    FlavorNotFound,
    InstanceNotFound,
)
from zerodown.compute.objects import (
    Flavor,
    ImageMetaProps,
    Instance,
    InstanceNUMATopology,
)
from zerodown.compute.version import REALTIME_MIN_VERSION
from zerodown.exceptions import ZerodownError
from zerodown.services import utcnow

__all__ = ["ROUTES"]

LOG = logging.getLogger(__name__)


def _view(deps: Deps, request: Request, instance: Instance) -> dict[str, Any]:
    fault = (
        deps.db.get_fault(instance.uuid)
        if instance.vm_state == states.ERROR
        else None
    )
    identity = request.identity
    admin = identity is not None and identity.has(ADMIN)
    version = request.version or views.FLAVOR_VALUES_VERSION
    return views.server(instance, fault, hosts=admin, version=version)


def _visible(deps: Deps, request: Request) -> Instance:
    """The server of the path, if the asker may see it.

    :raises InstanceNotFound: if it does not exist or is another
        project's (the same answer, so a member learns nothing).
    """
    uuid_ = request.params["server_id"]
    instance: Instance = deps.db.get_instance(uuid_)
    assert request.identity is not None  # servers are never public
    if not sees_project(request.identity, instance.project_id):
        raise InstanceNotFound(ident=uuid_)
    return instance


def list_servers(deps: Deps, request: Request) -> Answer:
    """One page (``limit``, ``marker``: :mod:`.pagination`)."""
    identity = request.identity
    assert identity is not None
    page = pagination.page_of(request.environ)
    project = None if identity.has(ADMIN) else identity.project
    instances = []
    if (project is not None or identity.has(ADMIN)) and page.limit:
        try:
            instances = deps.db.list_instances(
                project_id=project, limit=page.limit, marker=page.marker
            )
        except InstanceNotFound as err:
            raise HTTPError(400, f"marker [{page.marker}] not found") from err
    body: dict[str, Any] = {
        "servers": [_view(deps, request, i) for i in instances]
    }
    links = pagination.next_links(
        request.environ, page, [i.uuid for i in instances]
    )
    if links:
        body["servers_links"] = links
    return 200, body


def show_server(deps: Deps, request: Request) -> Answer:
    return 200, {"server": _view(deps, request, _visible(deps, request))}


def create_server(deps: Deps, request: Request) -> Answer:
    body = request.json()
    validation.SERVER.check(body)
    data = body["server"]
    try:
        flavor = deps.db.get_flavor(data["flavorRef"])
    except FlavorNotFound as err:
        # A bad reference in the body is the request's fault: 400.
        raise HTTPError(400, str(err)) from err
    image = validation.image_props(data.get("image_properties"))
    requested = validation.check_placement(flavor, image, deps.pci_aliases)
    _check_computes_support(deps, requested)
    stored = deps.db.create_instance(
        _new_instance(request, data, flavor, image, requested)
    )
    try:
        deps.conductor.build_instances(request.context, stored)
    except ZerodownError as err:
        LOG.error("cannot hand %s to the conductor: %s", stored.uuid, err)
        stored.vm_state, stored.task_state = states.ERROR, None
        deps.db.save_instance(stored)
        deps.db.add_fault(stored.uuid, 503, f"build not started: {err}")
    server = _view(deps, request, deps.db.get_instance(stored.uuid))
    return 202, {"server": server}


def _new_instance(
    request: Request,
    data: Mapping[str, Any],
    flavor: Flavor,
    image: ImageMetaProps,
    requested: InstanceNUMATopology | None,
) -> Instance:
    identity = request.identity
    assert identity is not None
    return Instance(
        uuid=str(uuid.uuid4()),
        display_name=data["name"],
        description=data.get("description"),
        hostname=data["name"],
        # The token's project and user, never the body's.
        project_id=identity.project,
        user_id=identity.user,
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


def _check_computes_support(
    deps: Deps, requested: InstanceNUMATopology | None
) -> None:
    """Features an older compute would get wrong wait until every
    compute is new enough (Nova's minimum-version checks).

    :raises ComputeServiceTooOld: (409) naming the feature.
    """
    cells = requested.cells if requested is not None else []
    if not any(cell.realtime_vcpus for cell in cells):
        return
    oldest = deps.services.min_version("compute")
    if oldest is None or oldest < REALTIME_MIN_VERSION:
        raise ComputeServiceTooOld(
            feature="hw:cpu_realtime",
            needed=REALTIME_MIN_VERSION,
            oldest="none" if oldest is None else oldest,
        )


#: Task states a delete may interrupt.
_DELETABLE = (
    None,
    states.SCHEDULING,
    states.SPAWNING,
    states.PAUSING,
    states.UNPAUSING,
    states.REBOOTING,
    states.REBOOTING_HARD,
)


def delete_server(deps: Deps, request: Request) -> Answer:
    instance = _visible(deps, request)
    if not instance.host:
        # Never reached a compute (or its claim was released): there
        # is nothing to tear down but the record.
        deps.db.destroy_instance(instance.uuid)
        return 204, None
    instance.task_state = states.DELETING
    saved = deps.db.save_instance(instance, expected_task_state=_DELETABLE)
    deps.compute.terminate_instance(request.context, saved)
    return 204, None


@dataclasses.dataclass(frozen=True)
class _Action:
    """A server action: the states it may start from, the check of its
    argument (None, or what the cast is given), the task state it sets
    for each argument, and its cast."""

    allowed: tuple[str, ...]
    argument: Callable[[str, Any], str | None]
    tasks: Mapping[str | None, str]
    cast: Callable[[Compute, Ctx, Instance, str | None], None]


def _no_argument(action: str, argument: Any) -> None:
    if argument is not None:
        raise HTTPError(400, f"{action} takes no argument")


def _reboot_type(action: str, argument: Any) -> str:
    kind = argument.get("type") if isinstance(argument, dict) else None
    if kind not in ("SOFT", "HARD"):
        raise HTTPError(400, "reboot needs {'type': 'SOFT'|'HARD'}")
    return str(kind)


def _pause(compute: Compute, ctx: Ctx, instance: Instance, _: Any) -> None:
    compute.pause_instance(ctx, instance)


def _unpause(compute: Compute, ctx: Ctx, instance: Instance, _: Any) -> None:
    compute.unpause_instance(ctx, instance)


def _reboot(
    compute: Compute, ctx: Ctx, instance: Instance, kind: str | None
) -> None:
    assert kind is not None  # _reboot_type said SOFT or HARD
    compute.reboot_instance(ctx, instance, kind)


_ACTIONS: Mapping[str, _Action] = {
    "pause": _Action(
        (states.ACTIVE,), _no_argument, {None: states.PAUSING}, _pause
    ),
    "unpause": _Action(
        (states.PAUSED,), _no_argument, {None: states.UNPAUSING}, _unpause
    ),
    "reboot": _Action(
        (states.ACTIVE, states.PAUSED),
        _reboot_type,
        {"SOFT": states.REBOOTING, "HARD": states.REBOOTING_HARD},
        _reboot,
    ),
}


def server_action(deps: Deps, request: Request) -> Answer:
    name, argument = _action_of(request.json())
    action = _ACTIONS[name]
    instance = _visible(deps, request)
    if instance.vm_state not in action.allowed or instance.task_state:
        busy = f" ({instance.task_state})" if instance.task_state else ""
        raise HTTPError(
            409,
            f"cannot {name} instance {instance.uuid} while it is "
            f"{instance.vm_state}{busy}",
        )
    instance.task_state = action.tasks[argument]
    saved = deps.db.save_instance(instance, expected_task_state=None)
    action.cast(deps.compute, request.context, saved, argument)
    return 202, None


def _action_of(body: Any) -> tuple[str, str | None]:
    """The action a body names and its checked argument.

    :raises HTTPError: 400 for anything else.
    """
    if not isinstance(body, dict) or len(body) != 1:
        raise HTTPError(400, "an action body has exactly one key")
    name, argument = next(iter(body.items()))
    if name not in _ACTIONS:
        known = ", ".join(sorted(_ACTIONS))
        raise HTTPError(400, f"unknown action {name[:100]!r} (known: {known})")
    return name, _ACTIONS[name].argument(name, argument)


ROUTES = (
    Route("GET", "/servers", "servers:list", list_servers),
    Route("POST", "/servers", "servers:create", create_server),
    Route("GET", "/servers/detail", "servers:list", list_servers),
    Route("GET", "/servers/{server_id}", "servers:show", show_server),
    Route("DELETE", "/servers/{server_id}", "servers:delete", delete_server),
    Route(
        "POST", "/servers/{server_id}/action", "servers:action", server_action
    ),
)
