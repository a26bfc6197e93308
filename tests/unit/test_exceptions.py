"""The error tree: templates filled from fields, stable exit codes."""

from __future__ import annotations

import inspect

import pytest

from zerodown import exceptions
from zerodown.exceptions import (
    MultipleHeads,
    PendingMigrations,
    ZerodownError,
)


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


def test_every_error_is_in_the_tree_and_documented():
    doc = exceptions.__doc__ or ""
    errors = [
        obj
        for name, obj in vars(exceptions).items()
        if inspect.isclass(obj) and issubclass(obj, ZerodownError)
    ]
    for error in errors:
        assert error.__name__ in doc, f"{error.__name__} missing from the tree"
        assert error.__name__ in exceptions.__all__
        assert error.exit_code in (1, 2, 3)
