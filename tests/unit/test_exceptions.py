"""The error tree: templates filled from fields, stable exit codes, and
each package's errors in its own module, drawn in that module's tree."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
import warnings

import pytest

import zerodown
from zerodown import exceptions
from zerodown.exceptions import FRAMEWORK_ERRORS, ZerodownError
from zerodown.grenade.errors import JobFailed
from zerodown.grenade.phases import PHASES
from zerodown.migrations.errors import MultipleHeads, PendingMigrations
from zerodown.rpc.errors import RPCError

_ERRORS_MODULE = re.compile(r"zerodown\.exceptions|zerodown\.\w+\.errors")


def _tree() -> list[type[ZerodownError]]:
    """Every error class of zerodown, with every module imported."""
    for found in pkgutil.walk_packages(zerodown.__path__, "zerodown."):
        if not found.name.endswith("__main__"):
            importlib.import_module(found.name)
    seen: dict[type[ZerodownError], None] = {}
    pending = [ZerodownError]
    while pending:
        cls = pending.pop()
        seen[cls] = None
        pending.extend(cls.__subclasses__())
    return [cls for cls in seen if cls.__module__.startswith("zerodown.")]


def test_fields_fill_the_template_and_become_attributes():
    err = MultipleHeads(branch="expand", count=2, heads="a, b")
    assert err.branch == "expand" and err.count == 2
    assert "branch 'expand' has 2 heads (a, b)" in str(err)
    assert err.exit_code == 1


def test_a_missing_field_is_a_bug_not_a_vague_message():
    with pytest.raises(TypeError, match="MultipleHeads needs count, heads"):
        MultipleHeads(branch="expand")


def test_not_safe_yet_has_its_own_exit_code():
    assert PendingMigrations(count=1, branch="contract").exit_code == 3


def test_every_error_is_in_its_package_tree_and_documented():
    tree = _tree()
    modules = {cls.__module__ for cls in tree}
    assert modules >= {
        "zerodown.exceptions",
        "zerodown.compute.errors",
        "zerodown.grenade.errors",
        *FRAMEWORK_ERRORS,
    }
    for error in tree:
        where = f"{error.__module__}.{error.__name__}"
        assert _ERRORS_MODULE.fullmatch(error.__module__), (
            f"{where}: errors live in their package's errors module"
        )
        module = sys.modules[error.__module__]
        assert error.__name__ in (module.__doc__ or ""), (
            f"{where} missing from its module's tree"
        )
        assert error.__name__ in module.__all__, f"{where} not exported"
        if error is JobFailed:  # the phase's number (docs/grenade.md)
            continue
        assert error.exit_code in (1, 2, 3), where


def test_a_failed_job_exits_with_its_phase():
    codes = [JobFailed(phase=p, reason="-").exit_code for p in PHASES]
    assert codes == list(range(10, 10 + len(PHASES)))


def test_no_two_errors_answer_to_one_name_on_the_wire():
    names: dict[tuple[str, str], type[ZerodownError]] = {}
    for error in _tree():
        for module in {error.__module__, error.wire_module}:
            other = names.setdefault((module, error.__name__), error)
            assert other is error, f"{module}.{error.__name__} is ambiguous"


def test_the_root_exports_no_package_errors():
    assert set(exceptions.__all__) == {
        "EXIT_ERROR",
        "EXIT_NOT_SAFE_YET",
        "EXIT_OK",
        "EXIT_USAGE",
        "FRAMEWORK_ERRORS",
        "ConfigError",
        "DatabaseUnreachable",
        "ZerodownError",
    }


def test_release_2s_imports_of_framework_errors_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match="zerodown.rpc.errors"):
        from zerodown.exceptions import RPCError as old
    assert old is RPCError


def test_the_compute_stacks_errors_are_not_the_frameworks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="ComputeError"):
            exceptions.ComputeError  # noqa: B018
