"""create-in-contract: additions come too late after the new release."""

import pytest

RULE = "create-in-contract"
E, OK = ["error"], []

CREATES = {
    "table": 'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))',
    "column": 'op.add_column("t", sa.Column("c", sa.Integer()))',
    "index": 'op.create_index("ix_t_c", "t", ["c"], postgresql_concurrently=True)',
}


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@pytest.mark.parametrize(
    "body, phase, expected",
    [
        *(
            pytest.param(b, "contract", E, id=f"contract-{n}")
            for n, b in CREATES.items()
        ),
        *(
            pytest.param(b, "expand", OK, id=f"expand-{n}")
            for n, b in CREATES.items()
        ),
        pytest.param(
            'op.drop_column("t", "c")', "contract", OK, id="contract-drop"
        ),
        pytest.param(
            'zop.rename_column("t", "a", "b")',
            "contract",
            OK,
            id="contract-online-operation",
        ),
    ],
)
def test_create_in_contract(severities, body, phase, expected, dialect):
    assert severities(RULE, body, dialect, phase=phase) == expected


def test_a_reasoned_phase_exception_allows_it(severities):
    header = 'phase_exceptions = [allow("create_index", "ix_t_c", reason="rebuilt smaller")]'
    assert (
        severities(RULE, CREATES["index"], phase="contract", header=header)
        == OK
    )
