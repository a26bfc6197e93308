"""Who may do what: one table from operation to the role it needs.

Every route names its operation (``servers:create``); :data:`POLICY`
says which role that takes.  ``admin`` includes ``member``.  Servers
also belong to a project: a member sees and acts on its own project's
servers only, and another project's server is "not found" (Nova's 404,
which does not tell whether it exists); an admin sees every project's.
A test holds the table and the routes to each other: a route without a
rule, or a rule without a route, fails it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from zerodown.compute.errors import Forbidden

__all__ = [
    "ADMIN",
    "MEMBER",
    "POLICY",
    "PUBLIC",
    "Identity",
    "authorize",
    "sees_project",
]

PUBLIC = "public"
MEMBER = "member"
ADMIN = "admin"

#: The roles each role carries.
_IMPLIES: Mapping[str, frozenset[str]] = {
    ADMIN: frozenset({ADMIN, MEMBER}),
    MEMBER: frozenset({MEMBER}),
}

POLICY: Mapping[str, str] = {
    "version:show": PUBLIC,
    "flavors:list": MEMBER,
    "flavors:show": MEMBER,
    "flavors:create": ADMIN,
    "flavors:delete": ADMIN,
    "flavor_extra_specs:show": MEMBER,
    "flavor_extra_specs:set": ADMIN,
    "flavor_extra_specs:update": ADMIN,
    "flavor_extra_specs:delete": ADMIN,
    "servers:list": MEMBER,
    "servers:show": MEMBER,
    "servers:create": MEMBER,
    "servers:delete": MEMBER,
    "servers:action": MEMBER,
    "os-services:list": ADMIN,
    "os-hypervisors:list": ADMIN,
    "os-hypervisors:show": ADMIN,
    "os-aggregates:list": ADMIN,
}


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who asks: from a verified token, or the anonymous admin of an
    API whose file says ``auth = "none"``."""

    project: str | None
    user: str | None
    roles: tuple[str, ...]
    #: The token's ``jti``: names it without the token itself.
    token_id: str | None = None

    def has(self, role: str) -> bool:
        return any(role in _IMPLIES.get(r, ()) for r in self.roles)


def authorize(identity: Identity | None, operation: str) -> None:
    """:raises Forbidden: if ``identity`` lacks the operation's role."""
    role = POLICY[operation]
    if role == PUBLIC:
        return
    if identity is None or not identity.has(role):
        roles = ", ".join(identity.roles) if identity else "none"
        raise Forbidden(operation=operation, role=role, roles=roles)


def sees_project(identity: Identity, project_id: str | None) -> bool:
    """Whether ``identity`` may see a server of ``project_id`` (servers
    made before tokens existed have none: only an admin sees them)."""
    return identity.has(ADMIN) or (
        project_id is not None and project_id == identity.project
    )
