"""Memory pages: which page size a guest cell gets on a host cell.

A guest cell that asks for a page size (``hw:mem_page_size``) gets whole
free pages of one size: ``small`` the smallest size, ``large`` the largest
size other than the smallest that fits, ``any`` the largest that fits, or
exactly the size asked for.  Huge pages are locked in memory, so they are
never overcommitted.
"""

from __future__ import annotations

from collections.abc import Sequence

from zerodown.compute.hardware.specs import (
    MEMPAGES_ANY,
    MEMPAGES_LARGE,
    MEMPAGES_SMALL,
)
from zerodown.compute.hardware.views import HostCell

__all__ = ["fit_page_size", "page_candidates", "smallest_page_size"]


def page_candidates(host: HostCell, request: int) -> Sequence[int]:
    """The sizes to try for ``request``, preferred first."""
    sizes = host.page_sizes
    if request == MEMPAGES_SMALL:
        return sizes[-1:]
    if request == MEMPAGES_LARGE:
        return sizes[:-1]
    if request == MEMPAGES_ANY:
        return sizes
    return (request,)


def fit_page_size(host: HostCell, request: int, memory_mb: int) -> int | None:
    """The page size ``memory_mb`` gets on ``host`` for ``request``, or
    ``None`` when no candidate size has enough free pages (or the host
    lacks the exact size asked for)."""
    memory_kb = memory_mb * 1024
    for size in page_candidates(host, request):
        pages = host.page(size)
        if pages is not None and pages.can_fit(memory_kb):
            return size
    return None


def smallest_page_size(host: HostCell) -> int | None:
    """The host cell's smallest page size, ``None`` if it reports none."""
    return host.page_sizes[-1] if host.page_sizes else None
