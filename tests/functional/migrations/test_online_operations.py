"""Every online operation through expand, migrate, rollback, contract and
its undoing, with the old and the new release writing, on every backend:
the table is ``online_cases.CASES``, the driver ``online_table.drive``."""

from __future__ import annotations

import pytest
from online_cases import CASES
from online_table import Case, drive

from zerodown.migrations.operations import OnlineOperation


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_operation(case: Case, project) -> None:
    drive(project, case)


def test_every_registered_operation_has_a_case() -> None:
    covered = {case.operation for case in CASES}
    missing = sorted(set(OnlineOperation.registry) - covered)
    assert missing == [], f"online operations without a case: {missing}"
    assert covered <= set(OnlineOperation.registry)  # no case for nothing
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), ids
