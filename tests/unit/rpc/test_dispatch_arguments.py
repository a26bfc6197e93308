"""The dispatcher's quick argument check never admits what
``Signature.bind`` would refuse (it only spares bind the common case)."""

from __future__ import annotations

import inspect
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from zerodown.rpc.dispatcher import _Parameters


def plain(context, a, b=1): ...
def keyword_only(context, *, a, b=2): ...
def any_keyword(context, a, **rest): ...
def star_context(*args, a): ...
def only_keywords(**kwargs): ...
def positional_only(context, a, /, b): ...
def no_context(): ...
def context_named_a(a, b): ...


METHODS = [
    plain,
    keyword_only,
    any_keyword,
    star_context,
    only_keywords,
    positional_only,
    no_context,
    context_named_a,
]
NAMES = ["a", "b", "c", "context", "args", "rest", 1, b"a"]


def _binds(method, args) -> bool:
    try:
        inspect.signature(method).bind(None, **args)
    except TypeError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(METHODS),
    names=st.sets(st.sampled_from(NAMES), max_size=4),
)
def test_fit_implies_bind(method, names):
    args = dict.fromkeys(names, 0)
    if _Parameters(method).fit(args):
        assert _binds(method, args), (method.__name__, args)


def test_the_common_cases_take_the_quick_path():
    for method, args in [
        (plain, {"a": 0}),
        (plain, {"a": 0, "b": 0}),
        (keyword_only, {"a": 0}),
    ]:
        assert _Parameters(method).fit(args)
    for method, args in itertools.product(
        [positional_only, only_keywords, no_context], [{}, {"a": 0}]
    ):
        assert not _Parameters(method).fit(args)
