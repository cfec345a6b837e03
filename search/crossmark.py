"""Marking the words a result matched by name key: a query for ``Lavrov`` marks ``ولافروف`` in an
Arabic article. The names field keeps keys, not words, so the shown articles' words are keyed
again (search.crossling.name_words) and those with a key the query looked for are marked, through
the one highlighting path (search.highlight.Highlighter)."""
from __future__ import annotations

from whoosh import query as Q

from search.analysis import analyze_word
from search.crossling import NAMES_FIELD, name_words
from search.errors import NotSupportedError
from search.highlight import Highlighter


def name_stems(keys: set[str], docs: list[dict]) -> set[str]:
    """The stems of the words of ``docs`` (stored fields) that have one of the name ``keys``."""
    stems = set()
    for stored in docs:
        text = f"{stored.get('title', '')}\n{stored.get('body', '')}"
        for word in name_words(text, keys):
            if terms := analyze_word(word, stored.get("lang") or "en"):
                stems.add(terms[1])
    return stems


def mark_names(marks: Highlighter, docs: list[dict], docnums: list[int] | None = None) -> None:
    """Have ``marks`` also mark the words of ``docs`` whose name key its query looks for
    (excluded words left out, as for every mark); with their ``docnums``, only the articles
    whose names field has one of the keys are keyed again (the others have no such word)."""
    if marks.query is None:
        return
    keys = {word for field, word in marks.reader.query_terms(marks.query)
            if field == NAMES_FIELD}
    if keys and docnums is not None:
        try:
            having = marks.reader.evaluate(
                Q.Or([Q.Term(NAMES_FIELD, key) for key in sorted(keys)]), scored=False).mask
        except NotSupportedError:  # an engine without per-document arrays (Solr): key them all
            pass
        else:
            docs = [stored for stored, docnum in zip(docs, docnums) if having[docnum]]
    if keys and (stems := name_stems(keys, docs)):
        marks.also_mark(stems)


__all__ = ["mark_names", "name_stems"]
