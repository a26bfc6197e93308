"""The policy table and the routes hold each other to account."""

from __future__ import annotations

import pytest

from zerodown.compute.api.app import ROUTES
from zerodown.compute.api.policy import (
    ADMIN,
    MEMBER,
    POLICY,
    PUBLIC,
    Identity,
    authorize,
    sees_project,
)
from zerodown.compute.errors import Forbidden

MEMBER_OF_P1 = Identity(project="p1", user="u", roles=("member",))
ADMIN_OF_P1 = Identity(project="p1", user="a", roles=("admin",))


def test_every_route_has_a_rule_and_every_rule_a_route():
    assert {r.operation for r in ROUTES} == set(POLICY)
    assert set(POLICY.values()) <= {PUBLIC, MEMBER, ADMIN}


def test_only_the_version_documents_are_public():
    public = {
        (r.method, r.template) for r in ROUTES if POLICY[r.operation] == PUBLIC
    }
    assert public == {("GET", "/"), ("GET", "/v2.1")}


def test_writes_to_flavors_and_every_host_view_need_admin():
    admin_only = {
        (r.method, r.template) for r in ROUTES if POLICY[r.operation] == ADMIN
    }
    assert admin_only == {
        ("POST", "/flavors"),
        ("DELETE", "/flavors/{flavor_id}"),
        ("POST", "/flavors/{flavor_id}/os-extra_specs"),
        ("PUT", "/flavors/{flavor_id}/os-extra_specs/{key}"),
        ("DELETE", "/flavors/{flavor_id}/os-extra_specs/{key}"),
        ("GET", "/os-services"),
        ("GET", "/os-hypervisors"),
        ("GET", "/os-hypervisors/detail"),
        ("GET", "/os-hypervisors/{hypervisor_id}"),
        ("GET", "/os-hypervisors/{hypervisor_id}/uptime"),
        ("GET", "/os-aggregates"),
    }


@pytest.mark.parametrize("operation", sorted(POLICY))
def test_admin_may_do_everything_and_a_member_what_the_table_says(operation):
    authorize(ADMIN_OF_P1, operation)
    if POLICY[operation] == ADMIN:
        with pytest.raises(Forbidden, match=f"{operation} needs the admin"):
            authorize(MEMBER_OF_P1, operation)
    else:
        authorize(MEMBER_OF_P1, operation)


def test_unknown_roles_grant_nothing():
    nobody = Identity(project="p1", user="x", roles=("owner",))
    with pytest.raises(Forbidden, match="this token has owner"):
        authorize(nobody, "servers:list")
    authorize(None, "version:show")
    with pytest.raises(Forbidden, match="has none"):
        authorize(None, "flavors:list")


def test_projects_see_their_own_servers_and_admins_every_one():
    assert sees_project(MEMBER_OF_P1, "p1")
    assert not sees_project(MEMBER_OF_P1, "p2")
    assert not sees_project(MEMBER_OF_P1, None)  # made before tokens
    assert sees_project(ADMIN_OF_P1, "p2") and sees_project(ADMIN_OF_P1, None)
