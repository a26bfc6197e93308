"""The objects packages' public API is ``__all__``, pinned here."""

from __future__ import annotations

import importlib

import pytest

PINNED = {
    "zerodown.objects": [
        "Change",
        "History",
        "Limits",
        "ObjectRegistry",
        "ObjectSerializer",
        "OsloSerializer",
        "RegistryView",
        "StepContext",
        "WireObject",
        "ZerodownObject",
        "fields",
    ],
    "zerodown.objects.wire": [
        "DEFAULT_LIMITS",
        "Limits",
        "WireObject",
        "decode",
        "encode",
    ],
    "zerodown.objects.history": [
        "Change",
        "History",
        "Refusal",
        "Step",
        "StepContext",
    ],
    "zerodown.objects.versions": [
        "VersionTuple",
        "format_version",
        "is_canonical",
        "parse_version",
    ],
    "zerodown.objects.registry": [
        "MAX_OBJECT_DEPTH",
        "ObjectRegistry",
        "RegistryView",
    ],
    "zerodown.objects.serializer": ["ObjectSerializer"],
    "zerodown.objects.indirection": [
        "IndirectionAPI",
        "ObjectActions",
        "remotable",
    ],
    "zerodown.objects.protocols": [
        "IndirectionAPI",
        "Registry",
        "Resolver",
        "Versioned",
    ],
    "zerodown.testing.indirection": ["LocalIndirection"],
    "zerodown.objects.manifest": [
        "Fingerprint",
        "ManifestChange",
        "check",
        "compare",
        "describe",
        "fingerprint",
        "read",
        "render",
        "write",
    ],
    "zerodown.objects.verify": [
        "Report",
        "instances",
        "verify_object",
        "verify_registry",
    ],
    "zerodown.objects.command": [
        "ObjectSettings",
        "check_manifest",
        "compare_manifest",
        "load_registry",
        "manifest_path",
        "verify",
        "write_manifest",
    ],
    "zerodown.compute.objects": [
        "MANIFEST",
        "REGISTRY",
        "ComputeNode",
        "Flavor",
        "ImageMetaProps",
        "Instance",
        "InstanceNUMACell",
        "InstanceNUMATopology",
        "NUMACell",
        "NUMAPagesTopology",
        "NUMATopology",
        "NUMATopologyLimits",
        "NetworkMetadata",
        "PciDevice",
        "PciDevicePool",
        "Service",
        "VirtCPUTopology",
        "format_cpu_spec",
        "parse_cpu_spec",
    ],
}


@pytest.mark.parametrize("module", sorted(PINNED))
def test_all_is_pinned(module):
    loaded = importlib.import_module(module)
    assert sorted(loaded.__all__) == sorted(PINNED[module])
    for name in loaded.__all__:
        assert hasattr(loaded, name), f"{module}.{name} is listed but missing"


def test_the_framework_does_not_import_the_compute_stack():
    import sys

    # Put the loaded compute modules back afterwards: importing them again
    # in this process would make a second copy of every class (its errors
    # among them), which other tests in this worker would then meet.
    compute = {
        name: module
        for name, module in sys.modules.items()
        if name.startswith("zerodown.compute")
    }
    for name in compute:
        del sys.modules[name]
    try:
        importlib.import_module("zerodown.objects.verify")
        importlib.import_module("zerodown.objects.command")
        assert not [n for n in sys.modules if n.startswith("zerodown.compute")]
    finally:
        sys.modules.update(compute)
