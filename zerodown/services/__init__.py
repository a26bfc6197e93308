"""Services: which binaries run where, at which service version, and live.

The services table is the deployment's memory of its running processes.
RPC clients cap their messages at what the oldest running service speaks
(``version_cap="auto"``), a release refuses to start next to services it
no longer supports, and the migrations' contract gate waits for old
services to leave.  See ``docs/rpc.md``.
"""

from __future__ import annotations

from zerodown.services.directory import (
    ServiceDirectory,
    ServiceRecord,
    utcnow,
)
from zerodown.services.heartbeat import Heartbeat
from zerodown.services.history import ServiceHistory, ServiceVersion
from zerodown.services.registry import ServiceRegistry, SigningReport
from zerodown.services.schema import SERVICES, create_schema

__all__ = [
    "SERVICES",
    "Heartbeat",
    "ServiceDirectory",
    "ServiceHistory",
    "ServiceRecord",
    "ServiceRegistry",
    "ServiceVersion",
    "SigningReport",
    "create_schema",
    "utcnow",
]
