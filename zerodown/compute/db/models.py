"""The compute stack's tables (SQLAlchemy Core), Nova's shapes trimmed.

Versioned objects that nest (NUMA topologies, the flavor snapshot, image
properties) are stored as the JSON of their versioned primitive and read
back with ``obj_from_stored``, which upgrades older data on read.  The
revisions under ``migrations/`` create exactly this; the pytest plugin's
"models match the schema" check holds them to it.
"""

from __future__ import annotations

import sqlalchemy as sa

from zerodown.services import SERVICES

__all__ = [
    "COMPUTE_CLAIMS",
    "COMPUTE_NODES",
    "FLAVORS",
    "FLAVOR_EXTRA_SPECS",
    "INSTANCES",
    "INSTANCE_EXTRA",
    "INSTANCE_FAULTS",
    "PCI_DEVICES",
    "metadata",
]

metadata = sa.MetaData()

# The framework's services table lives in the same schema; the compute
# stack's expand revision creates it.
SERVICES.to_metadata(metadata)

FLAVORS = sa.Table(
    "flavors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("flavorid", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("memory_mb", sa.Integer, nullable=False),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("root_gb", sa.Integer, nullable=False),
    sa.Column("ephemeral_gb", sa.Integer, nullable=False),
    sa.Column("swap", sa.Integer, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("is_public", sa.Boolean, nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("flavorid", name="uq_flavors_flavorid"),
    sa.UniqueConstraint("name", name="uq_flavors_name"),
)

FLAVOR_EXTRA_SPECS = sa.Table(
    "flavor_extra_specs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "flavor_id",
        sa.Integer,
        sa.ForeignKey("flavors.id", name="fk_flavor_extra_specs_flavor"),
        nullable=False,
    ),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.String(255), nullable=False),
    sa.UniqueConstraint(
        "flavor_id", "key", name="uq_flavor_extra_specs_flavor_key"
    ),
)

INSTANCES = sa.Table(
    "instances",
    metadata,
    # 64 bits since release 3 (widen_primary_key); SQLite's INTEGER
    # PRIMARY KEY is the 64-bit rowid already.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
    ),
    sa.Column("uuid", sa.String(36), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=True),
    sa.Column("project_id", sa.String(255), nullable=True),
    sa.Column("user_id", sa.String(255), nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("node", sa.String(255), nullable=True),
    sa.Column("compute_id", sa.Integer, nullable=True),
    sa.Column("vm_state", sa.String(255), nullable=True),
    sa.Column("task_state", sa.String(255), nullable=True),
    sa.Column("power_state", sa.Integer, nullable=True),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("memory_mb", sa.Integer, nullable=False),
    sa.Column("root_gb", sa.Integer, nullable=False),
    sa.Column("ephemeral_gb", sa.Integer, nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.Column("launched_at", sa.DateTime, nullable=True),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.UniqueConstraint("uuid", name="uq_instances_uuid"),
    sa.Index("ix_instances_host_deleted", "host", "deleted"),
    # A project's pages of servers (expand e5c9a2f7b031).
    sa.Index("ix_instances_project_id_id", "project_id", "id"),
)

INSTANCE_EXTRA = sa.Table(
    "instance_extra",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "instance_uuid",
        sa.String(36),
        sa.ForeignKey(
            "instances.uuid", name="fk_instance_extra_instance_uuid"
        ),
        nullable=False,
    ),
    # JSON of versioned primitives: the fitted NUMA topology with its
    # pinning, the flavor as it was at boot, the image properties, the
    # PCI devices the instance holds.
    sa.Column("numa_topology", sa.Text, nullable=True),
    sa.Column("flavor", sa.Text, nullable=False),
    sa.Column("image_props", sa.Text, nullable=True),
    sa.Column("pci_devices", sa.Text, nullable=True),
    # Release 2 moved it here from ``instances`` (move_column).
    sa.Column("image_ref", sa.String(255), nullable=True),
    sa.UniqueConstraint("instance_uuid", name="uq_instance_extra_uuid"),
)

INSTANCE_FAULTS = sa.Table(
    "instance_faults",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_instance_faults_instance_uuid", "instance_uuid"),
)

COMPUTE_NODES = sa.Table(
    "compute_nodes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("hypervisor_hostname", sa.String(255), nullable=False),
    sa.Column("hypervisor_type", sa.String(255), nullable=False),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("memory_mb", sa.Integer, nullable=False),
    sa.Column("local_gb", sa.Integer, nullable=False),
    sa.Column("vcpus_used", sa.Integer, nullable=False),
    sa.Column("memory_mb_used", sa.Integer, nullable=False),
    sa.Column("local_gb_used", sa.Integer, nullable=False),
    sa.Column("cpu_info", sa.Text, nullable=False),
    sa.Column("numa_topology", sa.Text, nullable=True),
    sa.Column("pci_stats", sa.Text, nullable=True),
    sa.Column("cpu_allocation_ratio", sa.Float, nullable=False),
    sa.Column("ram_allocation_ratio", sa.Float, nullable=False),
    sa.Column("disk_allocation_ratio", sa.Float, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    # Release 3: bumped by every change of the node's usage (a report, a
    # claim, a claim given back); a scheduler claims only if it is still
    # the one it read (compare-and-swap).  NULL: release 2 wrote the row.
    sa.Column("generation", sa.Integer, nullable=True),
    sa.UniqueConstraint(
        "host", "hypervisor_hostname", name="uq_compute_nodes_host_node"
    ),
    sa.UniqueConstraint("uuid", name="uq_compute_nodes_uuid"),
)

PCI_DEVICES = sa.Table(
    "pci_devices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), nullable=False),
    sa.Column("compute_node_id", sa.Integer, nullable=False),
    sa.Column("address", sa.String(12), nullable=False),
    sa.Column("vendor_id", sa.String(4), nullable=False),
    sa.Column("product_id", sa.String(4), nullable=False),
    sa.Column("dev_type", sa.String(8), nullable=False),
    sa.Column("status", sa.String(36), nullable=False),
    sa.Column("numa_node", sa.Integer, nullable=True),
    sa.Column("instance_uuid", sa.String(36), nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint(
        "compute_node_id", "address", name="uq_pci_devices_node_address"
    ),
)

# Release 3: what the schedulers gave away that the node's report does
# not count yet (Placement's allocations, for the time between a
# scheduler's choice and the compute's own claim).  The conductor drops
# a claim once a report counts its instance, or when the build fails.
COMPUTE_CLAIMS = sa.Table(
    "compute_claims",
    metadata,
    sa.Column("instance_uuid", sa.String(36), primary_key=True),
    sa.Column("compute_node_id", sa.Integer, nullable=False),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("memory_mb", sa.Integer, nullable=False),
    sa.Column("disk_gb", sa.Integer, nullable=False),
    # The fitted InstanceNUMATopology (versioned JSON) of a guest that is
    # pinned, uses huge pages or devices: its cells' CPUs, memory, pages.
    sa.Column("numa_topology", sa.Text, nullable=True),
    # JSON list of the PCI requests ({count, spec, numa_policy, alias}).
    sa.Column("pci_requests", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_compute_claims_compute_node_id", "compute_node_id"),
)
