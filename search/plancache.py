"""Built queries kept by their text and options, so a query asked again is not parsed again.

Parsing and expanding a query (Whoosh's parser, analysis, the cross-language dictionary) is a
fixed cost of every request, as large as the matching itself on a small index. A plan depends
only on the text and the options (never on the index), so the last PLANS_KEPT plans are kept,
by count. Only plans made of plain terms and phrases are kept: a wildcard, range or fuzzy node
carries its expansion budget, which is spent while it runs and must be fresh for each request.
Each caller gets its own copy of the plan's mutable parts (it may refine the filter).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

from whoosh import query as Q

from search.query import Plan, build_query

PLANS_KEPT = 1024
_KEEPABLE = (Q.Term, Q.Phrase)
_plans: OrderedDict = OrderedDict()
_lock = threading.Lock()


def keepable(q: Q.Query | None) -> bool:
    """Whether a query tree holds only terms and phrases (no state spent while it runs)."""
    if q is None or isinstance(q, type(Q.NullQuery)):
        return True
    if q.is_leaf():
        return type(q) in _KEEPABLE
    return all(keepable(child) for child in q.children())


def plan_query(text: str, *, lang: str | None = None, year: str | None = None,
               mode: str = "all", cross: bool = False) -> Plan:
    """search.query.build_query's plan, from the kept ones when the same query was built
    lately (QueryError as build_query raises it)."""
    key = (text, lang, year, mode, cross)
    with _lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
    if plan is None:
        plan = build_query(text, lang=lang, year=year, mode=mode, cross=cross)
        if keepable(plan.query) and keepable(plan.fallback) and keepable(plan.filter):
            with _lock:
                _plans[key] = plan
                while len(_plans) > PLANS_KEPT:
                    _plans.popitem(last=False)
    return replace(plan, words=list(plan.words))


def clear_plans() -> None:
    """Forget the kept plans (tests; a change of the analysis tables)."""
    with _lock:
        _plans.clear()


__all__ = ["PLANS_KEPT", "clear_plans", "keepable", "plan_query"]
