"""Choosing distinct host cells for the guest cells, without trying every
permutation.

Nova tries the permutations of host cells in order and returns the first
whose every pair fits and whose chosen set passes the PCI and network
checks.  :func:`find_assignment` returns that same permutation but walks
it as a depth-first search that cuts a branch as soon as it cannot lead
anywhere:

* the guest cells still to place must each get their own host cell that
  fits them (a bipartite matching, checked per branch and cached);
* the set checks must still be possible with every host cell that could
  yet be chosen (``possible`` is monotone: more cells never hurt);
* host cells of one ``class`` (fitting the same guest cells, with the same
  devices and networks) are interchangeable, so once one fails at a step
  its twins are skipped there.

Each cut removes only branches that hold no answer, so the first answer
found is Nova's first.  A guest that cannot fit for want of capacity, or
of a device or network its cells can reach, is refused at the root; what
remains exponential is a device check that fails only for cells chosen
together, and then the twins rule keeps the branching to the distinct
kinds of host cell, and each set is checked once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

__all__ = ["find_assignment", "max_matching"]

SetCheck = Callable[[int], bool]


def find_assignment(
    masks: Sequence[int],
    classes: Callable[[int], Hashable],
    accept: SetCheck | None = None,
    possible: SetCheck | None = None,
) -> list[int] | None:
    """The first assignment in permutation order, as host positions.

    :param masks: per guest cell, a bit mask of the host positions it fits.
    :param classes: the symmetry class of a host position.
    :param accept: checks the set of chosen positions (a bit mask).
    :param possible: a monotone necessary condition for ``accept``.
    """
    search = _Search(masks, classes, accept, possible)
    if not search.feasible(0, 0):
        return None
    chosen: list[int] = []
    return chosen if search.walk(0, 0, chosen) else None


class _Search:
    def __init__(
        self,
        masks: Sequence[int],
        classes: Callable[[int], Hashable],
        accept: SetCheck | None,
        possible: SetCheck | None,
    ) -> None:
        self.masks = masks
        self.classes = classes
        self.accept = accept
        self.possible = possible
        self.seen: dict[tuple[int, int], bool] = {}

    def walk(self, index: int, used: int, chosen: list[int]) -> bool:
        if index == len(self.masks):
            return self.accept is None or self.accept(used)
        failed: set[Hashable] = set()
        options = self.masks[index] & ~used
        while options:
            bit = options & -options
            options ^= bit
            position = bit.bit_length() - 1
            if failed and self.classes(position) in failed:
                continue
            if self.feasible(index + 1, used | bit):
                chosen.append(position)
                if self.walk(index + 1, used | bit, chosen):
                    return True
                chosen.pop()
            failed.add(self.classes(position))
        return False

    def feasible(self, index: int, used: int) -> bool:
        """Whether guest cells from ``index`` on can still be placed."""
        key = (index, used)
        known = self.seen.get(key)
        if known is None:
            rest = self.masks[index:]
            known = _matchable(rest, ~used)
            if known and self.possible is not None:
                reach = 0
                for mask in rest:
                    reach |= mask
                known = self.possible(used | (reach & ~used))
            self.seen[key] = known
        return known


def _matchable(masks: Sequence[int], free: int) -> bool:
    # Enough options each settles it without a matching: any k of the
    # masks then cover at least len(masks) >= k bits (Hall's condition).
    if all((m & free).bit_count() >= len(masks) for m in masks):
        return True
    return max_matching(masks, free) == len(masks)


def max_matching(masks: Sequence[int], free: int = -1) -> int:
    """How many of ``masks`` can each get their own bit of ``free``."""
    owner: dict[int, int] = {}
    matched = 0
    for index in range(len(masks)):
        if _augment(index, masks, free, owner, [0]):
            matched += 1
    return matched


def _augment(
    index: int,
    masks: Sequence[int],
    free: int,
    owner: dict[int, int],
    visited: list[int],
) -> bool:
    options = masks[index] & free & ~visited[0]
    while options:
        bit = options & -options
        options ^= bit
        if visited[0] & bit:
            continue
        visited[0] |= bit
        holder = owner.get(bit)
        if holder is None or _augment(holder, masks, free, owner, visited):
            owner[bit] = index
            return True
    return False
