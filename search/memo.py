"""A memo of the last few values, bounded by count (least recently used goes first)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Hashable


def kept(memo: OrderedDict, key: Hashable | None, compute: Callable[[], object],
         limit: int):
    """``memo[key]``, computed and kept when missing, among the last ``limit`` used; a None
    key is computed and not kept (a value that cannot be named). Callers that share the memo
    between threads hold their own lock."""
    if key is None:
        return compute()
    value = memo.get(key)
    if value is None:
        value = memo[key] = compute()
        while len(memo) > limit:
            memo.popitem(last=False)
    else:
        memo.move_to_end(key)
    return value


__all__ = ["kept"]
