"""Who is asking: the ``X-Auth-Token`` header, or nobody checked.

One authenticator per ``[api] auth`` mode, chosen through
:data:`AUTHENTICATORS`:

* ``token``: every request but the version document carries a token
  (:mod:`.tokens`) in ``X-Auth-Token``, as OpenStack clients send it;
  a missing or bad one is a 401.
* ``none``: nothing is checked and everyone is an admin.  It exists for
  deployments that sit behind their own gate; it says so in a warning
  when the API starts and again every :data:`WARN_EVERY` seconds while
  it serves, in the version document and in a header of every answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from zerodown.compute.api.keys import load_keys
from zerodown.compute.api.policy import ADMIN, Identity
from zerodown.compute.api.tokens import TokenKeys, verify
from zerodown.compute.conf import ApiConfig
from zerodown.compute.errors import NotAuthenticated

__all__ = [
    "AUTHENTICATORS",
    "Authenticator",
    "NoAuth",
    "TokenAuth",
    "from_config",
]

LOG = logging.getLogger(__name__)

#: Seconds between two warnings of an API that checks nobody.
WARN_EVERY = 300.0
_HEADER = "HTTP_X_AUTH_TOKEN"


class Authenticator(Protocol):
    mode: str

    def authenticate(self, environ: Mapping[str, Any]) -> Identity:
        """:raises NotAuthenticated: naming what is wrong."""
        ...


class TokenAuth:
    mode = "token"

    def __init__(self, keys: TokenKeys) -> None:
        self.keys = keys

    def authenticate(self, environ: Mapping[str, Any]) -> Identity:
        token = str(environ.get(_HEADER) or "").strip()
        if not token:
            raise NotAuthenticated(
                reason="no X-Auth-Token header (make a token with "
                "`zerodown compute token create`)"
            )
        claims = verify(self.keys, token)
        return Identity(
            project=claims.project,
            user=claims.user,
            roles=claims.roles,
            token_id=claims.token_id,
        )


class NoAuth:
    mode = "none"
    _IDENTITY = Identity(project=None, user=None, roles=(ADMIN,))

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._warned = clock()
        _warn()

    def authenticate(self, environ: Mapping[str, Any]) -> Identity:
        now = self._clock()
        with self._lock:
            due = now - self._warned >= WARN_EVERY
            if due:
                self._warned = now
        if due:
            _warn()
        return self._IDENTITY


def _warn() -> None:
    LOG.warning(
        'the compute API runs with [api] auth = "none": it checks no '
        "token, and anyone who reaches it is an admin"
    )


def _token_auth(config: ApiConfig) -> Authenticator:
    return TokenAuth(load_keys(config.token_key_file, config.token_audience))


def _no_auth(config: ApiConfig) -> Authenticator:
    return NoAuth()


AUTHENTICATORS: Mapping[str, Callable[[ApiConfig], Authenticator]] = {
    "token": _token_auth,
    "none": _no_auth,
}


def from_config(config: ApiConfig) -> Authenticator:
    """The authenticator ``[api]`` asks for.

    :raises ConfigError: if ``[api]`` does not say, or its keys are
        missing, open to others or too short.
    """
    return AUTHENTICATORS[config.auth_mode()](config)
