"""MySQL/MariaDB: ALGORITHM=COPY or LOCK=SHARED/EXCLUSIVE blocks writes."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule

_BLOCKING_LOCKS = frozenset({"SHARED", "EXCLUSIVE"})


@rule(
    "mysql-copy-or-shared-lock",
    severity=Severity.ERROR,
    dialects=("mysql",),
    why="ALGORITHM=COPY rebuilds the table while writes wait; LOCK=SHARED "
    "blocks writes and LOCK=EXCLUSIVE reads and writes for the whole "
    "statement",
    recipe="leave both out (InnoDB picks INSTANT or INPLACE when it can) "
    "or ask for ALGORITHM=INPLACE, LOCK=NONE so the server refuses "
    "instead of blocking; a change that must copy goes through zop's "
    "online operations or gh-ost/pt-online-schema-change",
)
def check(ctx: Context) -> Iterator[Hit]:
    for statement in ctx.the_call.statements:
        clauses = []
        if statement.algorithm == "COPY":
            clauses.append("ALGORITHM=COPY")
        if statement.lock in _BLOCKING_LOCKS:
            clauses.append(f"LOCK={statement.lock}")
        if clauses:
            yield Hit(
                f"{' and '.join(clauses)} blocks writes: {statement.short}",
                target=statement.short,
            )
