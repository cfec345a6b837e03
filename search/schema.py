"""The Whoosh schema: exact and stemmed text fields, filters, and a schema version."""
from __future__ import annotations

from typing import Any

from whoosh.analysis import IDAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from search.analysis.adapter import exact_analyzer, stem_analyzer

# Bump when fields or analysis change what is stored on disk: old indexes must be rebuilt.
SCHEMA_VERSION = 8  # 2: the light Arabic stemmer (issue 4); 3: stop words in the exact fields;
# 4: Arabic affixes decided by a lexicon (issue 17); 5: the names field (issue 12); 6: copy
# groups (group, bands: search.copies, issue 15); 7: the lead field (the stems of the body's
# first words, issue 17); 8: the copy finder's stored sketch (issue 13)

TEXT_FIELDS = ("title", "body")
EXACT_FIELDS = ("title_exact", "body_exact")
FILTER_FIELDS = ("lang", "source", "year")


class LangText(TEXT):
    """A TEXT field whose value may be ``(lang, text)``: the language picks the Latin stemmer."""

    def index(self, value: Any, **kwargs: Any):  # noqa: D401 - Whoosh's signature
        if isinstance(value, tuple):
            kwargs["lang"], value = value
        return super().index(value, **kwargs)


def build_schema() -> Schema:
    """The schema of a new index."""
    lowercase_id = IDAnalyzer(lowercase=True)
    return Schema(
        id=ID(stored=True, unique=True),
        # title and body: stems with positions and character offsets (phrases, highlights)
        title=LangText(analyzer=stem_analyzer(), phrase=True, chars=True, stored=True),
        body=LangText(analyzer=stem_analyzer(), phrase=True, chars=True, stored=True),
        # exact forms, frequencies only: they add score to exact-form matches
        title_exact=LangText(analyzer=exact_analyzer(), phrase=False),
        body_exact=LangText(analyzer=exact_analyzer(), phrase=False),
        # name keys (search.analysis.namekey): "a:lfrf" for لافروف, "l:lfrf" for Lavrov
        names=KEYWORD(scorable=True),
        lead=KEYWORD(),  # the body's first stems: a boost of relevance, never matched alone
        lang=ID(stored=True, sortable=True),
        source=ID(stored=True, sortable=True, analyzer=lowercase_id),
        year=ID(stored=True, sortable=True),
        date=DATETIME(stored=True, sortable=True),
        url=ID(stored=True, analyzer=lowercase_id),
        path=ID(stored=True),
        hash=ID(stored=True),
        # copies (search.copies): the group an article belongs to, its MinHash band words and
        # values (read back when it is a later article's candidate)
        group=ID(stored=True),
        bands=KEYWORD(),
        sketch=STORED(),
    )
