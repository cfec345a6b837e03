"""Marking the words a result matched by name key: a query for ``Lavrov`` marks ``ولافروف`` in an
Arabic article. The names field keeps keys, not words, so the shown articles' words are keyed
again (search.crossling.name_keys) and those with a key the query looked for are marked."""
from __future__ import annotations

from whoosh import query as Q

from search.analysis import analyze_word
from search.crossling import NAMES_FIELD, name_keys
from search.highlight import MatchSet


def mark_names(matches: MatchSet, q: Q.Query, docs: list[dict]) -> MatchSet:
    """``matches`` plus the stems of the words of ``docs`` (stored fields) whose name key the
    query ``q`` looks for."""
    keys = {text for field, text in q.all_terms() if field == NAMES_FIELD}
    if not keys:
        return matches
    stems = set()
    for stored in docs:
        text = f"{stored.get('title', '')}\n{stored.get('body', '')}"
        for word, key in name_keys(text):
            if key in keys and (terms := analyze_word(word, stored.get("lang") or "en")):
                stems.add(terms[1])
    return MatchSet(matches.stems | stems, matches.exact) if stems else matches


__all__ = ["mark_names"]
