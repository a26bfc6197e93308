"""API tokens: what verifies, and every way a token is refused."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from zerodown.compute.api.tokens import (
    MAX_LIFETIME,
    TokenKeys,
    issue,
    parse_expiry,
    verify,
)
from zerodown.compute.errors import NotAuthenticated
from zerodown.exceptions import ConfigError

KEY = b"k" * 32
KEYS = TokenKeys((KEY,))


def _payload(**changes):
    now = int(time.time())
    payload = {
        "iss": "zerodown",
        "aud": "zerodown-compute",
        "sub": "u1",
        "project": "p1",
        "roles": ["member"],
        "iat": now,
        "exp": now + 600,
        "jti": "abc",
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def _now() -> int:
    return int(time.time())


def _b64(data: dict) -> str:
    raw = json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_token_verifies_and_says_who_asks():
    token, claims = issue(KEYS, project="p1", user="u1", roles=["admin"])
    assert verify(KEYS, token) == claims
    assert (claims.project, claims.user, claims.roles) == (
        "p1",
        "u1",
        ("admin",),
    )
    assert claims.expires_at - claims.issued_at == 3600
    # The claims are what the token carries, signed: nothing else.
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_every_key_verifies_and_the_first_signs():
    old, new = b"o" * 32, b"n" * 40
    token, _ = issue(
        TokenKeys((old,)), project="p", user="u", roles=["member"]
    )
    both = TokenKeys((new, old))
    assert verify(both, token).project == "p"
    made, _ = issue(both, project="p", user="u", roles=["member"])
    assert verify(TokenKeys((new,)), made).user == "u"
    with pytest.raises(NotAuthenticated, match="signature does not verify"):
        verify(TokenKeys((old,)), made)


# Tokens are made when each test runs, not when the module is collected:
# a long run would otherwise see them all expire first.
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: jwt.encode(_payload(exp=_now() - 120), KEY), "has expired"),
        (
            lambda: jwt.encode(_payload(iat=_now() + 600), KEY),
            "not valid yet",
        ),
        (
            lambda: jwt.encode(_payload(aud="elsewhere"), KEY),
            "another deployment",
        ),
        (
            lambda: jwt.encode(_payload(aud=["zerodown-compute"]), KEY),
            "another",
        ),
        (
            lambda: jwt.encode(_payload(iss="keystone"), KEY),
            "not made by zerodown",
        ),
        (
            lambda: jwt.encode(_payload(project=None), KEY),
            "lacks a required claim",
        ),
        (
            lambda: jwt.encode(_payload(jti=None), KEY),
            "lacks a required claim",
        ),
        (
            lambda: jwt.encode(_payload(), b"x" * 32),
            "signature does not verify",
        ),
        (
            lambda: jwt.encode(_payload(), KEY * 2, algorithm="HS512"),
            "not signed with HS256",
        ),
        # alg "none": no signature at all.
        (
            lambda: (
                f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_payload())}."
            ),
            "HS256",
        ),
        (lambda: jwt.encode(_payload(roles=["owner"]), KEY), "grants no role"),
        (
            lambda: jwt.encode(_payload(roles="admin"), KEY),
            "claims are malformed",
        ),
        (
            lambda: jwt.encode(_payload(project="p 1"), KEY),
            "claims are malformed",
        ),
        (lambda: jwt.encode(_payload(sub=7), KEY), "invalid"),
        (
            lambda: jwt.encode(_payload(exp=_now() + MAX_LIFETIME + 600), KEY),
            "longer than allowed",
        ),
        (lambda: "garbage", "malformed"),
        (lambda: "a.b.c", "malformed"),
        (lambda: "\u00e9" * 10, "malformed"),
        (lambda: "x" * 5000, "too long"),
    ],
)
def test_bad_tokens_are_refused_with_the_reason(make, reason):
    with pytest.raises(NotAuthenticated, match=reason) as caught:
        verify(KEYS, make())
    assert caught.value.http_status == 401


def test_a_forged_payload_breaks_the_signature():
    token, _ = issue(KEYS, project="p1", user="u1", roles=["member"])
    header, _, signature = token.split(".")
    forged = f"{header}.{_b64(_payload(roles=['admin']))}.{signature}"
    with pytest.raises(NotAuthenticated, match="signature"):
        verify(KEYS, forged)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ((), "1 to 16 keys"),
        ((b"short",), "key 1 has 5 bytes"),
        ((KEY, b"x" * 31), "key 2 has 31 bytes"),
        (tuple(bytes([i]) * 32 for i in range(17)), "1 to 16 keys"),
    ],
)
def test_keys_are_long_enough_and_few(keys, message):
    with pytest.raises(ConfigError, match=message):
        TokenKeys(keys)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"project": ""}, "project ''"),
        ({"project": "p\n"}, "project"),
        ({"user": "a b"}, "user"),
        ({"roles": ["root"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"lifetime": 0}, "lives 1 s"),
        ({"lifetime": MAX_LIFETIME + 1}, "lives 1 s"),
    ],
)
def test_issue_refuses_what_a_token_cannot_carry(kwargs, message):
    arguments = {"project": "p", "user": "u", "roles": ["member"], **kwargs}
    with pytest.raises(ConfigError, match=message):
        issue(KEYS, **arguments)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("12h", 43200),
        ("7d", MAX_LIFETIME),
        ("1970-01-01T02:00:00+00:00", 3600),
        ("1970-01-01T03:00:00+01:00", 3600),
    ],
)
def test_expiry_durations_and_times(text, seconds):
    assert parse_expiry(text, now=3600) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8d", "1 s to 7 days"),
        ("0s", "1 s to 7 days"),
        ("1970-01-01T00:00:00+00:00", "1 s to 7 days"),
        ("1970-01-01T02:00:00", "UTC offset"),
        ("soon", "neither a duration"),
        ("1w", "neither a duration"),
        ("-5m", "neither a duration"),
        ("\u0661h", "neither a duration"),  # an Arabic-Indic 1
    ],
)
def test_bad_expiries_are_refused(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_expiry(text, now=3600)
