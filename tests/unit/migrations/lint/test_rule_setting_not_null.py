"""setting-not-null: breaks old inserts in expand, scans or rebuilds."""

import pytest

RULE = "setting-not-null"
E, W, OK = ["error"], ["warning"], []

TIGHTEN = (
    'op.alter_column("t", "c", existing_type=sa.Integer(), nullable=False)'
)
LOOSEN = 'op.alter_column("t", "c", existing_type=sa.Integer(), nullable=True)'
ZOP = 'zop.set_not_null("t", "c")'

CASES = [
    pytest.param(TIGHTEN, "postgresql", "expand", E, id="pg-expand-breaks"),
    pytest.param(TIGHTEN, "postgresql", "contract", E, id="pg-contract-scan"),
    pytest.param(LOOSEN, "postgresql", "expand", OK, id="pg-loosen"),
    pytest.param(ZOP, "postgresql", "contract", OK, id="pg-online-operation"),
    pytest.param(TIGHTEN, "mysql", "expand", E, id="mysql-expand-breaks"),
    pytest.param(TIGHTEN, "mysql", "contract", W, id="mysql-inplace-rebuild"),
    pytest.param(
        TIGHTEN, "mariadb", "contract", W, id="mariadb-inplace-rebuild"
    ),
    pytest.param(TIGHTEN, "sqlite", "expand", E, id="sqlite-expand-breaks"),
    pytest.param(TIGHTEN, "sqlite", "contract", W, id="sqlite-copy"),
]


@pytest.mark.parametrize("body, dialect, phase, expected", CASES)
def test_setting_not_null(severities, body, dialect, phase, expected):
    assert severities(RULE, body, dialect, phase=phase) == expected
