"""DDL without a lock timeout can queue behind a long transaction and
block every query that arrives after it."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.script import Call


@rule(
    "require-lock-timeout",
    severity=Severity.WARNING,
    dialects=("postgresql", "mysql"),
    scope="revision",
    why="a DDL waiting for its lock sits in the lock queue, and every "
    "read and write of the table waits behind it",
    recipe="keep zerodown's lock timeout on (lock_timeout > 0 in "
    "[zerodown], env.py calling zerodown.migrations.env.run_migrations), "
    "or set one first: op.execute(\"SET LOCAL lock_timeout = '2s'\") on "
    "PostgreSQL, op.execute('SET SESSION lock_wait_timeout = 2') on "
    "MySQL/MariaDB",
)
def check(ctx: Context) -> Iterator[Hit]:
    if ctx.options.lock_timeout or not ctx.profile.lock_queue:
        return
    ddl = [call for call in ctx.script.calls if _is_ddl(call)]
    if not ddl or _sets_timeout(ctx):
        return
    yield Hit(
        f"{len(ddl)} schema change(s) and no lock timeout: the engine's "
        "lock timeout is off and the revision sets none",
        line=ddl[0].line,
    )


def _is_ddl(call: Call) -> bool:
    if call.name == "execute":
        return any(
            s.kind not in ("set_timeout", "dml") for s in call.statements
        )
    return call.receiver != "zop" and call.name != "bulk_insert"


def _sets_timeout(ctx: Context) -> bool:
    settings = ctx.profile.lock_timeout_settings
    return any(
        statement.kind == "set_timeout"
        and any(name in statement.text.lower() for name in settings)
        for call in ctx.script.calls
        for statement in call.statements
    )
