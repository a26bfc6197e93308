"""CPU, thread, emulator and PCI affinity policies of flavor and image.

The CPU policy matrix is Nova's ``test_cpu_policy_constraint``; the rest
follow Nova's constraint functions, with zerodown's typed errors.
"""

from __future__ import annotations

import pytest
from hardware_cells import flavor, image

from zerodown.compute.errors import ImagePropertyConflict, InvalidExtraSpec
from zerodown.compute.hardware import (
    get_cpu_policy_constraint,
    get_cpu_thread_policy_constraint,
    get_dedicated_cpu_constraint,
    get_emulator_thread_policy_constraint,
    get_pci_numa_policy_constraint,
    get_realtime_cpu_constraint,
    is_realtime_enabled,
)

FORBIDDEN = ImagePropertyConflict

CPU_POLICY = [
    # (flavor hw:cpu_policy, image hw_cpu_policy, result or error)
    ("dedicated", "dedicated", "dedicated"),
    ("dedicated", "shared", "dedicated"),
    ("dedicated", "mixed", "dedicated"),
    ("dedicated", None, "dedicated"),
    ("mixed", "dedicated", FORBIDDEN),
    ("mixed", "mixed", "mixed"),
    ("mixed", "shared", "mixed"),
    ("mixed", None, "mixed"),
    ("shared", "dedicated", FORBIDDEN),
    ("shared", "mixed", FORBIDDEN),
    ("shared", "shared", "shared"),
    ("shared", None, "shared"),
    (None, "dedicated", "dedicated"),
    (None, "mixed", "mixed"),
    (None, "shared", "shared"),
    (None, None, None),
    ("invalid", None, InvalidExtraSpec),
]


def _inputs(name, wanted, offered):
    specs = {name: wanted} if wanted else {}
    props = {name: offered} if offered else {}
    return flavor(**specs), image(**props)


@pytest.mark.parametrize("wanted, offered, expected", CPU_POLICY)
def test_cpu_policy(wanted, offered, expected):
    inputs = _inputs("cpu_policy", wanted, offered)
    if isinstance(expected, type):
        with pytest.raises(expected):
            get_cpu_policy_constraint(*inputs)
    else:
        assert get_cpu_policy_constraint(*inputs) == expected


def test_cpu_policy_conflict_names_both_sides():
    with pytest.raises(ImagePropertyConflict) as caught:
        get_cpu_policy_constraint(*_inputs("cpu_policy", "shared", "mixed"))
    assert str(caught.value) == (
        "image property hw_cpu_policy='mixed' is not allowed with this "
        "flavor: the flavor's hw:cpu_policy is shared"
    )
    assert caught.value.prop == "hw_cpu_policy"


THREAD_POLICY = [
    (None, None, None),
    (None, "isolate", "isolate"),
    ("prefer", "require", "prefer"),  # Nova: the flavor wins, no error
    ("prefer", None, "prefer"),
    ("isolate", None, "isolate"),
    ("isolate", "isolate", "isolate"),
    ("isolate", "require", FORBIDDEN),
    ("require", "prefer", FORBIDDEN),
    ("sometimes", None, InvalidExtraSpec),
]


@pytest.mark.parametrize("wanted, offered, expected", THREAD_POLICY)
def test_cpu_thread_policy(wanted, offered, expected):
    inputs = _inputs("cpu_thread_policy", wanted, offered)
    if isinstance(expected, type):
        with pytest.raises(expected):
            get_cpu_thread_policy_constraint(*inputs)
    else:
        assert get_cpu_thread_policy_constraint(*inputs) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("share", "share"), ("isolate", "isolate")],
)
def test_emulator_threads_policy_comes_from_the_flavor(value, expected):
    specs = {"emulator_threads_policy": value} if value else {}
    assert get_emulator_thread_policy_constraint(flavor(**specs)) == expected


def test_unknown_emulator_threads_policy_lists_the_choices():
    with pytest.raises(InvalidExtraSpec) as caught:
        get_emulator_thread_policy_constraint(
            flavor(emulator_threads_policy="spread")
        )
    assert caught.value.reason == "must be one of share, isolate"
    assert caught.value.source == "flavor extra spec"


PCI_POLICY = [
    (None, None, None),
    ("required", None, "required"),
    (None, "socket", "socket"),
    ("preferred", "preferred", "preferred"),
    ("legacy", "required", FORBIDDEN),
    ("nearby", None, InvalidExtraSpec),
]


@pytest.mark.parametrize("wanted, offered, expected", PCI_POLICY)
def test_pci_numa_affinity_policy(wanted, offered, expected):
    inputs = _inputs("pci_numa_affinity_policy", wanted, offered)
    if isinstance(expected, type):
        with pytest.raises(expected):
            get_pci_numa_policy_constraint(*inputs)
    else:
        assert get_pci_numa_policy_constraint(*inputs) == expected


DEDICATED_MASK = [
    # (vcpus, mask, pinned CPUs or the error's reason)
    (4, None, None),
    (4, "0-1", {0, 1}),
    (4, "^0", {1, 2, 3}),
    (4, "^0,^3", {1, 2}),
    (8, " 2,4-5", {2, 4, 5}),
    (4, "0-3", "a mixed instance needs shared CPUs too"),
    (4, "^0-3", "selects no CPU"),
    (4, "2-4", "CPU 4 is beyond the flavor's 4 vCPUs"),
    (4, "1-x", "'x' is not a CPU id"),
]


@pytest.mark.parametrize("vcpus, mask, expected", DEDICATED_MASK)
def test_dedicated_cpu_mask(vcpus, mask, expected):
    specs = {"cpu_dedicated_mask": mask} if mask else {}
    subject = flavor(vcpus, **specs)
    if isinstance(expected, str):
        with pytest.raises(InvalidExtraSpec) as caught:
            get_dedicated_cpu_constraint(subject)
        assert caught.value.reason == expected
        assert caught.value.key == "hw:cpu_dedicated_mask"
    else:
        assert get_dedicated_cpu_constraint(subject) == expected


REALTIME = [
    # (flavor specs, image mask, realtime CPUs or the error's reason)
    ({}, None, None),
    ({"cpu_realtime": "no", "cpu_realtime_mask": "^0"}, None, None),
    ({"cpu_realtime": "yes", "cpu_realtime_mask": "^0-1"}, None, {2, 3}),
    ({"cpu_realtime": "True", "cpu_realtime_mask": "^0"}, "^0-2", {3}),
    ({"cpu_realtime": "1", "cpu_realtime_mask": "1-2"}, None, {1, 2}),
    (
        {"cpu_realtime": "yes"},
        None,
        "every vCPU is realtime, which needs hw:emulator_threads_policy",
    ),
    (
        {"cpu_realtime": "yes", "emulator_threads_policy": "isolate"},
        None,
        {0, 1, 2, 3},
    ),
    (
        {"cpu_realtime": "yes", "cpu_realtime_mask": "^0-3"},
        None,
        "selects no CPU",
    ),
    ({"cpu_realtime": "yes"}, "2-6", "CPU 4 is beyond the flavor's 4 vCPUs"),
]


@pytest.mark.parametrize("specs, mask, expected", REALTIME)
def test_realtime_cpus(specs, mask, expected):
    props = image(cpu_realtime_mask=mask) if mask else None
    subject = flavor(4, **specs)
    if isinstance(expected, str):
        with pytest.raises(InvalidExtraSpec) as caught:
            get_realtime_cpu_constraint(subject, props)
        assert caught.value.reason == expected
    else:
        assert get_realtime_cpu_constraint(subject, props) == expected


@pytest.mark.parametrize(
    "value, enabled",
    [(None, False), ("yes", True), ("Y", True), ("on", True), ("0", False)],
)
def test_realtime_is_enabled_by_a_true_value(value, enabled):
    specs = {"cpu_realtime": value} if value else {}
    assert is_realtime_enabled(flavor(**specs)) is enabled


@pytest.mark.parametrize(
    "name, get, wanted, offered",
    [
        (
            "cpu_thread_policy",
            get_cpu_thread_policy_constraint,
            "isolate",
            "require",
        ),
        (
            "pci_numa_affinity_policy",
            get_pci_numa_policy_constraint,
            "legacy",
            "required",
        ),
    ],
)
def test_policy_conflict_names_the_image_property(name, get, wanted, offered):
    with pytest.raises(ImagePropertyConflict) as caught:
        get(*_inputs(name, wanted, offered))
    assert caught.value.prop == "hw_" + name
    assert caught.value.value == offered
    assert str(caught.value).endswith(f"the flavor's hw:{name} is {wanted}")


def test_unknown_flavor_policy_names_the_extra_spec():
    with pytest.raises(InvalidExtraSpec) as caught:
        get_cpu_thread_policy_constraint(
            *_inputs("cpu_thread_policy", "x", None)
        )
    assert (caught.value.source, caught.value.key) == (
        "flavor extra spec",
        "hw:cpu_thread_policy",
    )


@pytest.mark.parametrize(
    "mask, source, key",
    [
        ("^0-3", "image property", "hw_cpu_realtime_mask"),
        (None, "flavor extra spec", "hw:cpu_realtime_mask"),
    ],
)
def test_a_bad_realtime_mask_names_where_it_came_from(mask, source, key):
    specs = {"cpu_realtime": "yes", "cpu_realtime_mask": "0-5"}
    props = image(cpu_realtime_mask=mask) if mask else None
    with pytest.raises(InvalidExtraSpec) as caught:
        get_realtime_cpu_constraint(flavor(4, **specs), props)
    assert (caught.value.source, caught.value.key) == (source, key)


@pytest.mark.parametrize("value", ["t", "true", " Yes "])
def test_realtime_true_spellings(value):
    assert is_realtime_enabled(flavor(cpu_realtime=value))
