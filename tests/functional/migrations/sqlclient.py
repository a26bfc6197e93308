"""Running a script as the database's own command-line client runs a file
(``psql``, ``mysql``, ``sqlite3``): how ``--sql`` output is applied."""

from __future__ import annotations

import os
import subprocess

from sqlalchemy.engine import make_url

__all__ = ["client"]


def client(url: str, script: str, fails: bool = False) -> str:
    """Run ``script`` as the database's command-line client runs a file;
    what it said on stderr."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.get_backend_name() == "postgresql":
        libpq = parsed.set(drivername="postgresql").render_as_string(False)
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", libpq]
    elif parsed.get_backend_name() == "mysql":
        argv = ["mysql", "--protocol=tcp", "-h", parsed.host or "127.0.0.1"]
        argv += ["-P", str(parsed.port or 3306), "-u", parsed.username or ""]
        argv += [parsed.database or ""]
        if parsed.password:
            env["MYSQL_PWD"] = str(parsed.password)
    else:
        argv = ["sqlite3", "-bail", parsed.database or ""]
    done = subprocess.run(
        argv, input=script, capture_output=True, text=True, env=env
    )
    assert (done.returncode != 0) is fails, done.stderr
    return done.stderr
