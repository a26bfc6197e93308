"""A data change inside a revision holds its locks for the whole change."""

from __future__ import annotations

import re
from collections.abc import Iterator

import sqlalchemy as sa

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import statements_of

_CONSTRUCT = re.compile(r"(\.|\b)(update|delete)\s*\(")


@rule(
    "unbatched-backfill",
    severity=Severity.WARNING,
    why="an UPDATE or DELETE in a revision runs in the revision's "
    "transaction: it locks every row it touches until the revision "
    "commits, next to DDL locks, and cannot resume if it is killed",
    recipe="move the data change to a data migration "
    "(@data_migration, a function (context, max_count) -> (found, "
    "done)) that 'zerodown db migrate' runs in small resumable batches",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    if call.name != "execute":
        return
    for statement in statements_of(call, "dml"):
        if not statement.text.upper().startswith("INSERT"):
            yield Hit(
                f"data change in the revision: {statement.short}",
                target=statement.short,
            )
    construct = call.args[0] if call.args else None
    if isinstance(construct, (sa.Update, sa.Delete)) or (
        not call.statements and _CONSTRUCT.search(call.source)
    ):
        shown = call.source[:60]
        yield Hit(f"data change in the revision: {shown}", target=shown)
