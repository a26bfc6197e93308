"""Reading ``limit`` and ``marker`` (Nova's semantics)."""

from __future__ import annotations

from zerodown.compute.api.pagination import MAX_LIMIT, Page, page_of


def test_no_limit_is_a_page_of_max_limit_and_a_bigger_one_is_capped():
    assert page_of({}) == Page(MAX_LIMIT, None)
    assert page_of({"QUERY_STRING": "limit=5000"}).limit == MAX_LIMIT == 1000
    assert page_of({"QUERY_STRING": "limit=7&marker=abc"}) == Page(7, "abc")
