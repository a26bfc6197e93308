"""Services: a running binary on a host, with its heartbeat and version."""

from __future__ import annotations

import datetime
from typing import Any

from zerodown.compute.objects.derived import derived_uuid
from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, StepContext, ZerodownObject
from zerodown.objects import fields as f

__all__ = ["Service"]


def _derived_uuid(data: dict[str, Any], step: StepContext) -> None:
    # A service stored before 1.3: named by its host and binary.
    data.setdefault(
        "uuid", derived_uuid("service", data.get("host"), data.get("binary"))
    )


@REGISTRY.register
class Service(ZerodownObject):
    """One ``zerodown-<binary>`` process on ``host``.

    ``version`` is the service version integer whose history maps to RPC
    and object versions; ``last_seen_up`` is the heartbeat.
    """

    VERSION = "1.3"
    history = History(
        Change(
            "1.0",
            "initial (Nova 1.0-1.14)",
            added=[
                "id",
                "host",
                "binary",
                "topic",
                "report_count",
                "disabled",
                "disabled_reason",
                "last_seen_up",
                "created_at",
                "updated_at",
            ],
        ),
        Change("1.1", "forced down (Nova 1.15)", added=["forced_down"]),
        Change("1.2", "service version (Nova 1.16)", added=["version"]),
        Change(
            "1.3", "uuid (Nova 1.21)", added=["uuid"], upgrade=_derived_uuid
        ),
    )
    fields = {
        "id": f.IntegerField(read_only=True),
        "uuid": f.UUIDField(),
        "host": f.StringField(),
        "binary": f.StringField(),
        "topic": f.StringField(nullable=True),
        "report_count": f.IntegerField(default=0),
        "disabled": f.BooleanField(default=False),
        "disabled_reason": f.StringField(nullable=True),
        "forced_down": f.BooleanField(default=False),
        "version": f.IntegerField(default=0),
        "last_seen_up": f.DateTimeField(nullable=True),
        "created_at": f.DateTimeField(nullable=True),
        "updated_at": f.DateTimeField(nullable=True),
    }

    def is_up(self, now: datetime.datetime, timeout: float) -> bool:
        """Heartbeat within ``timeout`` seconds of ``now`` and not forced
        down."""
        if self.obj_attr_is_set("forced_down") and self.forced_down:
            return False
        seen = (
            self.last_seen_up if self.obj_attr_is_set("last_seen_up") else None
        )
        if seen is None:
            return False
        return bool((now - seen).total_seconds() <= timeout)
