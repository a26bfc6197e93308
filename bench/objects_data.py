"""Objects for ``bench/objects.py``: the zerodown objects it sends and the
same classes as plain oslo.versionedobjects (the baseline).

The baseline classes are generated from the zerodown classes with o.vo's
own field types (sets as ``Set(Integer())``, enums as ``Enum``, ...),
registered in o.vo's registry under Nova's namespaces.  Their
``obj_make_compatible`` pops newer fields and runs the same conversion
steps, as Nova's hand-written ones do.
"""

# ruff: noqa: E402 - o.vo must be imported after its eventlet warning is
# silenced (it imports oslo.messaging, which warns at import).

from __future__ import annotations

import datetime
import uuid
import warnings
from typing import Any

warnings.filterwarnings("ignore", message=r"(?s).*eventlet")

from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields as ovo
from samples import flavor, pci_device

from zerodown.compute import objects as zo
from zerodown.objects import ZerodownObject
from zerodown.objects import fields as zf

# -- the objects ------------------------------------------------------------


def build_instance() -> zo.Instance:
    """An Instance with a 4-cell pinned NUMA topology and 4 PCI VFs."""
    cells = []
    for i in range(4):
        cell = zo.InstanceNUMACell(
            id=i,
            cpuset=set(),
            pcpuset={2 * i, 2 * i + 1},
            memory=2048,
            pagesize=2048,
            cpu_policy="dedicated",
            cpu_thread_policy="prefer",
            cpu_topology=zo.VirtCPUTopology(sockets=1, cores=2, threads=1),
        )
        cell.pin_vcpus((2 * i, 10 + 2 * i), (2 * i + 1, 11 + 2 * i))
        cells.append(cell)
    now = datetime.datetime(2026, 5, 4, 12, 30, 15, 123456, datetime.UTC)
    ids = [str(uuid.UUID(int=n)) for n in range(1, 20)]
    instance = zo.Instance(
        id=1,
        uuid=ids[0],
        display_name="pinned-vm",
        hostname="pinned-vm",
        project_id="a" * 32,
        user_id="b" * 32,
        host="compute-1",
        node="compute-1",
        compute_id=7,
        vm_state="building",
        task_state="spawning",
        power_state=0,
        vcpus=8,
        memory_mb=8192,
        root_gb=20,
        ephemeral_gb=0,
        image_ref=ids[1],
        availability_zone="nova",
        flavor=flavor(
            8,
            8192,
            name="m1.pinned",
            id=3,
            flavorid="pinned",
            root_gb=20,
            **{
                "hw:cpu_policy": "dedicated",
                "hw:numa_nodes": "4",
                "hw:mem_page_size": "2048",
            },
        ),
        numa_topology=zo.InstanceNUMATopology(
            id=None,
            instance_uuid=ids[0],
            cells=cells,
            emulator_threads_policy="share",
        ),
        pci_devices=[
            pci_device(
                i,
                uuid=ids[2 + i],
                dev_id=f"pci_0000_81_00_{i + 1}",
                instance_uuid=ids[0],
                request_id=ids[6 + i],
                extra_info={},
            )
            for i in range(4)
        ],
        image_props=zo.ImageMetaProps(
            hw_cpu_policy="dedicated",
            hw_numa_nodes=4,
            hw_mem_page_size="2048",
        ),
        system_metadata={f"image_key_{i}": f"value {i}" for i in range(7)},
        metadata={},
        created_at=now,
        updated_at=now,
        launched_at=None,
        deleted=False,
    )
    instance.obj_reset_changes(recursive=True)
    return instance


def build_compute_node() -> zo.ComputeNode:
    """A host: 4 cells x 16 pCPUs in 8 sibling pairs, 4K and 2M pages."""
    cells = []
    for i in range(4):
        pcpus = set(range(16 * i, 16 * i + 16))
        cells.append(
            zo.NUMACell(
                id=i,
                cpuset=set(),
                pcpuset=pcpus,
                memory=65536,
                cpu_usage=0,
                memory_usage=8192,
                pinned_cpus={16 * i, 16 * i + 1},
                siblings=[{c, c + 1} for c in sorted(pcpus)[::2]],
                mempages=[
                    zo.NUMAPagesTopology(
                        size_kb=4, total=8388608, used=0, reserved=0
                    ),
                    zo.NUMAPagesTopology(
                        size_kb=2048, total=8192, used=1024, reserved=64
                    ),
                ],
                network_metadata=zo.NetworkMetadata(
                    physnets={"physnet1"}, tunneled=False
                ),
                socket=i // 2,
            )
        )
    node = zo.ComputeNode(
        id=7,
        uuid=str(uuid.UUID(int=99)),
        service_id=3,
        host="compute-1",
        hypervisor_hostname="compute-1",
        hypervisor_type="QEMU",
        host_ip="192.0.2.10",
        vcpus=64,
        memory_mb=262144,
        local_gb=2000,
        vcpus_used=8,
        memory_mb_used=32768,
        local_gb_used=20,
        cpu_info='{"arch": "x86_64", "model": "Icelake-Server"}',
        numa_topology=zo.NUMATopology(cells=cells),
        pci_device_pools=[
            zo.PciDevicePool(
                product_id="154c",
                vendor_id="8086",
                numa_node=i,
                tags={"physical_network": "p1"},
                count=8,
            )
            for i in range(4)
        ],
        cpu_allocation_ratio=16.0,
        ram_allocation_ratio=1.5,
        disk_allocation_ratio=1.0,
        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        updated_at=datetime.datetime(2026, 5, 4, tzinfo=datetime.UTC),
    )
    node.obj_reset_changes(recursive=True)
    return node


# -- the baseline: the same classes as plain oslo.versionedobjects ----------


def _ovo_type(ftype: Any) -> Any:
    if isinstance(ftype, zf.IntSet):
        return ovo.Set(ovo.Integer())
    if isinstance(ftype, zf.VersionedEnum):
        return ovo.Enum(ftype.valid_values)
    if isinstance(ftype, zf.DateTime):
        return ovo.DateTime()
    if isinstance(ftype, zf.UUID):
        return ovo.UUID()
    if isinstance(ftype, zf.PCIAddress):
        return ovo.PCIAddress()
    if isinstance(ftype, zf.IPAddress):
        return ovo.IPAddress()
    if isinstance(ftype, (ovo.List, ovo.Set, ovo.Dict)):
        element = ftype._element_type
        inner = _ovo_type(element._type)
        return type(ftype)(inner, nullable=element.nullable)
    return ftype


def _ovo_field(field: ovo.Field[Any]) -> ovo.Field[Any]:
    return ovo.Field(
        _ovo_type(field._type),
        nullable=field.nullable,
        default=field.default,
        read_only=field.read_only,
    )


class NovaObject(ovo_base.VersionedObject):
    """Nova's base class: its namespaces, as ``nova.objects.base``."""

    OBJ_SERIAL_NAMESPACE = "nova_object"
    OBJ_PROJECT_NAMESPACE = "nova"


class NovaObjectSerializer(ovo_base.VersionedObjectSerializer):
    OBJ_BASE_CLASS = NovaObject


def _ovo_class(cls: type[Any]) -> type[ovo_base.VersionedObject]:
    history = cls._zd_plan.history

    def obj_make_compatible(
        self: Any, primitive: dict[str, Any], target_version: str
    ) -> None:
        # What a hand-written Nova obj_make_compatible does: convert, pop
        # the newer fields, then let o.vo backport the children.
        target = tuple(int(p) for p in target_version.split("."))
        source = tuple(int(p) for p in self.VERSION.split("."))
        if target < source:
            history.backport(primitive, source, target)
        ovo_base.VersionedObject.obj_make_compatible(
            self, primitive, target_version
        )

    namespace = {
        "VERSION": cls.VERSION,
        "fields": {n: _ovo_field(f) for n, f in cls.fields.items()},
        "obj_make_compatible": obj_make_compatible,
        "__module__": __name__,
    }
    return ovo_base.VersionedObjectRegistry.register(
        type(cls.__name__, (NovaObject,), namespace)
    )


BASELINE = {name: _ovo_class(zo.REGISTRY[name]) for name in zo.REGISTRY}


def to_baseline(obj: Any) -> ovo_base.VersionedObject:
    """The same object as a plain o.vo instance of the baseline class."""
    copy = BASELINE[obj.obj_name()]()
    for name in obj.fields:
        if obj.obj_attr_is_set(name):
            value = getattr(obj, name)
            if isinstance(value, ZerodownObject):
                value = to_baseline(value)
            elif (
                isinstance(value, list)
                and value
                and isinstance(value[0], ZerodownObject)
            ):
                value = [to_baseline(v) for v in value]
            elif name == "host_ip" and value is not None:
                value = str(value)
            setattr(copy, name, value)
    copy.obj_reset_changes()
    return copy
