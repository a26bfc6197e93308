"""Bearer tokens of the compute API: JSON Web Tokens signed with HS256.

A token says who asks (``sub``, the user), for which project
(``project``), with which roles (``roles``), from when (``iat``) until
when (``exp``), for which deployment (``aud``) and by whom it was made
(``iss``, always ``zerodown``); ``jti`` is its id, by which an operator
can name a token without writing the token down.  The API verifies it
with the keys of its key file and nothing else: no database round trip.

The format and its checks are PyJWT's (``jwt.encode`` / ``jwt.decode``):
zerodown writes no cryptography of its own.  Verification pins the
algorithm to HS256 (so ``alg: none`` and every asymmetric algorithm are
refused before any key is used), requires every claim above, and checks
audience, issuer and expiry with :data:`LEEWAY` seconds for clock skew.
Each key of the file is tried in turn, so a new key can be added before
it signs anything (rotation without a failed request).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

import jwt

from zerodown.compute.errors import NotAuthenticated
from zerodown.exceptions import ConfigError

__all__ = [
    "ALGORITHM",
    "DEFAULT_LIFETIME",
    "ISSUER",
    "MAX_LIFETIME",
    "MIN_KEY_BYTES",
    "ROLES",
    "Claims",
    "TokenKeys",
    "issue",
    "parse_expiry",
    "verify",
]

ALGORITHM = "HS256"
ISSUER = "zerodown"
#: RFC 7518 section 3.2: an HS256 key is at least as long as its hash.
MIN_KEY_BYTES = 32
MAX_KEYS = 16
ROLES = ("member", "admin")
DEFAULT_LIFETIME = 3600
#: Tokens cannot be revoked one by one (only by retiring their key), so
#: none lives longer than a week.
MAX_LIFETIME = 7 * 86400
#: Seconds of clock difference forgiven between the machine that made
#: a token and the API that checks it.
LEEWAY = 30
#: A token is a few hundred bytes; anything far longer is not one.
MAX_TOKEN_CHARS = 4096
_REQUIRED = ["exp", "iat", "aud", "iss", "sub", "project", "roles", "jti"]
#: Project and user ids: Keystone's hex ids, names, e-mail addresses.
_IDENT = re.compile(r"[A-Za-z0-9_.@-]{1,255}")

# Why a token was refused, by PyJWT's error class (most specific first).
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is for another deployment"),
    (jwt.InvalidIssuerError, "the token was not made by zerodown"),
    (jwt.InvalidAlgorithmError, f"the token is not signed with {ALGORITHM}"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.InvalidIssuedAtError, "the token's issue time is invalid"),
    (jwt.DecodeError, "the token is malformed"),
)


@dataclasses.dataclass(frozen=True)
class TokenKeys:
    """The keys tokens are signed and verified with: the first signs,
    every one verifies."""

    keys: tuple[bytes, ...]
    audience: str = "zerodown-compute"

    def __post_init__(self) -> None:
        if not 0 < len(self.keys) <= MAX_KEYS:
            raise ConfigError(
                problem=f"token keys: 1 to {MAX_KEYS} keys, not "
                f"{len(self.keys)}"
            )
        for index, key in enumerate(self.keys, 1):
            if len(key) < MIN_KEY_BYTES:
                raise ConfigError(
                    problem=f"token key {index} has {len(key)} bytes; "
                    f"{ALGORITHM} needs at least {MIN_KEY_BYTES} "
                    "(`zerodown compute token add-key` makes one)"
                )


@dataclasses.dataclass(frozen=True)
class Claims:
    """What a verified token says."""

    project: str
    user: str
    roles: tuple[str, ...]
    issued_at: int
    expires_at: int
    token_id: str

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "roles": list(self.roles)}


def issue(
    keys: TokenKeys,
    *,
    project: str,
    user: str,
    roles: Sequence[str],
    lifetime: int = DEFAULT_LIFETIME,
    now: int | None = None,
) -> tuple[str, Claims]:
    """A token signed with the first key, and its claims.

    :raises ConfigError: for an id, role or lifetime it cannot carry.
    """
    _check_ident("project", project)
    _check_ident("user", user)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise ConfigError(
            problem=f"roles {unknown or '[]'}: choose from {', '.join(ROLES)}"
        )
    if not 0 < lifetime <= MAX_LIFETIME:
        raise ConfigError(
            problem=f"a token lives 1 s to {MAX_LIFETIME // 86400} days, "
            f"not {lifetime} s"
        )
    issued = int(time.time()) if now is None else now
    claims = Claims(
        project=project,
        user=user,
        roles=tuple(dict.fromkeys(roles)),
        issued_at=issued,
        expires_at=issued + lifetime,
        token_id=secrets.token_hex(16),
    )
    token = jwt.encode(
        _payload(claims, keys.audience), keys.keys[0], algorithm=ALGORITHM
    )
    return token, claims


def _payload(claims: Claims, audience: str) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "aud": audience,
        "sub": claims.user,
        "project": claims.project,
        "roles": list(claims.roles),
        "iat": claims.issued_at,
        "exp": claims.expires_at,
        "jti": claims.token_id,
    }


def verify(keys: TokenKeys, token: str) -> Claims:
    """The claims of a token one of ``keys`` signed and that is valid
    now.

    :raises NotAuthenticated: saying why it is not.
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise NotAuthenticated(reason="the token is too long")
    for key in keys.keys:
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=keys.audience,
                issuer=ISSUER,
                leeway=LEEWAY,
                options={
                    "require": _REQUIRED,
                    "strict_aud": True,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.InvalidSignatureError:
            continue  # perhaps the next key signed it
        except jwt.PyJWTError as err:
            raise NotAuthenticated(reason=_reason(err)) from None
        return _claims(payload)
    raise NotAuthenticated(reason="the token's signature does not verify")


def _reason(err: jwt.PyJWTError) -> str:
    for kind, reason in _REASONS:
        if isinstance(err, kind):
            return reason
    return "the token is invalid"


def _claims(payload: Mapping[str, Any]) -> Claims:
    """The claims, checked again although signed: a token must carry
    exactly what :func:`issue` could have put in it."""
    project, user = payload["project"], payload["sub"]
    roles, token_id = payload["roles"], payload["jti"]
    issued, expires = payload["iat"], payload["exp"]
    valid = (
        isinstance(project, str)
        and _IDENT.fullmatch(project) is not None
        and isinstance(user, str)
        and _IDENT.fullmatch(user) is not None
        and isinstance(roles, list)
        and all(isinstance(r, str) for r in roles)
        and isinstance(token_id, str)
        and type(issued) is int
        and type(expires) is int
    )
    if not valid:
        raise NotAuthenticated(reason="the token's claims are malformed")
    if expires - issued > MAX_LIFETIME:
        raise NotAuthenticated(reason="the token lives longer than allowed")
    known = tuple(r for r in roles if r in ROLES)
    if not known:
        raise NotAuthenticated(reason="the token grants no role")
    return Claims(project, user, known, issued, expires, token_id[:64])


def _check_ident(what: str, value: str) -> None:
    if _IDENT.fullmatch(value) is None:
        raise ConfigError(
            problem=f"{what} {value!r}: 1 to 255 of A-Z a-z 0-9 _ . @ -"
        )


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"([0-9]{1,7})([smhd])")


def parse_expiry(text: str, now: float | None = None) -> int:
    """Seconds until a token made now expires: a duration (``90s``,
    ``30m``, ``12h``, ``7d``) or an ISO 8601 time with its offset
    (``2030-01-01T12:00:00+00:00``).

    :raises ConfigError: for anything else, a time in the past or one
        beyond :data:`MAX_LIFETIME`.
    """
    found = _DURATION.fullmatch(text.strip())
    if found is not None:
        seconds = int(found.group(1)) * _UNITS[found.group(2)]
    else:
        seconds = _until(text, time.time() if now is None else now)
    if not 0 < seconds <= MAX_LIFETIME:
        raise ConfigError(
            problem=f"expiry {text!r}: a token lives 1 s to "
            f"{MAX_LIFETIME // 86400} days"
        )
    return seconds


def _until(text: str, now: float) -> int:
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            problem=f"expiry {text!r} is neither a duration such as 30m, "
            "12h or 7d nor an ISO 8601 time"
        ) from None
    if when.tzinfo is None:
        # A bare time is read differently on every machine: refuse it.
        raise ConfigError(
            problem=f"expiry {text!r} needs its UTC offset (+00:00)"
        )
    return int(when.timestamp() - now)
