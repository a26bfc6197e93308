"""The token key file: made 0600, rotated key by key, refused when open
to others."""

from __future__ import annotations

import stat

import pytest

from zerodown.compute.api.keys import (
    add_key,
    load_keys,
    promote_key,
    retire_key,
)
from zerodown.compute.api.tokens import TokenKeys, issue, verify
from zerodown.compute.errors import NotAuthenticated
from zerodown.exceptions import ConfigError


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_private_and_holds_one_strong_key(tmp_path):
    path = add_key(tmp_path / "etc" / "keys")
    assert _mode(path) == 0o600
    (key,) = load_keys(path, "aud").keys
    assert len(key) == 64  # 48 random bytes, base64
    assert list(tmp_path.joinpath("etc").iterdir()) == [path]


def _token(path, user):
    made, _ = issue(
        load_keys(path, "a"), project="p", user=user, roles=["member"]
    )
    return made


def _user(path, token):
    return verify(load_keys(path, "a"), token).user


def test_rotation_never_refuses_a_valid_token(tmp_path):
    """add (verifies only) -> promote (signs) -> retire the old key."""
    path = add_key(tmp_path / "keys")
    before = _token(path, "u")
    add_key(path)
    old, new = load_keys(path, "a").keys
    assert _user(path, before) == "u"
    # Added last, the new key signs nothing yet.
    assert verify(TokenKeys((old,), "a"), _token(path, "v")).user == "v"
    promote_key(path)
    assert load_keys(path, "a").keys == (new, old)
    after = _token(path, "w")
    assert (_user(path, before), _user(path, after)) == ("u", "w")
    retire_key(path)
    assert load_keys(path, "a").keys == (new,)
    assert _user(path, after) == "w"
    with pytest.raises(NotAuthenticated):
        _user(path, before)
    with pytest.raises(ConfigError, match="cannot retire a key"):
        retire_key(path)
    assert _mode(path) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o700])
def test_a_file_open_to_others_is_refused(tmp_path, mode):
    path = add_key(tmp_path / "keys")
    path.chmod(mode)
    if mode & 0o077:
        with pytest.raises(ConfigError, match="chmod 600"):
            load_keys(path, "aud")
    else:
        assert load_keys(path, "aud").keys


def test_comments_blank_lines_and_short_keys(tmp_path):
    path = tmp_path / "keys"
    path.write_text("# rotated 2030-01-01\n\n" + "k" * 32 + "\n  \n")
    path.chmod(0o600)
    assert load_keys(path, "aud").keys == (b"k" * 32,)
    path.write_text("too-short\n")
    with pytest.raises(ConfigError, match="has 9 bytes"):
        load_keys(path, "aud")
    path.write_text("# nothing\n")
    with pytest.raises(ConfigError, match="not 0"):
        load_keys(path, "aud")
    with pytest.raises(ConfigError, match="No such file"):
        load_keys(tmp_path / "missing", "aud")
