"""Flavors: the sizes and ``hw:`` extra specs an instance is built from."""

from __future__ import annotations

from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, ZerodownObject
from zerodown.objects import fields as f

__all__ = ["Flavor"]


@REGISTRY.register
class Flavor(ZerodownObject):
    """An instance type.  ``extra_specs`` carry ``hw:cpu_policy``,
    ``hw:numa_nodes``, ``hw:mem_page_size`` and the like as strings."""

    VERSION = "1.2"
    history = History(
        Change(
            "1.0",
            "initial",
            added=[
                "id",
                "name",
                "memory_mb",
                "vcpus",
                "root_gb",
                "ephemeral_gb",
                "flavorid",
                "swap",
                "rxtx_factor",
                "vcpu_weight",
                "disabled",
                "is_public",
                "extra_specs",
            ],
        ),
        Change("1.1", "no field change (Nova: save_extra_specs)"),
        Change("1.2", "description", added=["description"]),
    )
    fields = {
        "id": f.IntegerField(),
        "name": f.StringField(nullable=True),
        "memory_mb": f.IntegerField(),
        "vcpus": f.IntegerField(),
        "root_gb": f.IntegerField(),
        "ephemeral_gb": f.IntegerField(),
        "flavorid": f.StringField(),
        "swap": f.IntegerField(),
        "rxtx_factor": f.FloatField(nullable=True, default=1.0),
        "vcpu_weight": f.IntegerField(nullable=True),
        "disabled": f.BooleanField(),
        "is_public": f.BooleanField(),
        "extra_specs": f.DictOfStringsField(),
        "description": f.StringField(nullable=True),
    }

    def extra_spec(self, key: str, default: str | None = None) -> str | None:
        """``extra_specs[key]`` if the flavor has specs and that one."""
        if not self.obj_attr_is_set("extra_specs"):
            return default
        value = self.extra_specs.get(key, default)
        return None if value is None else str(value)
