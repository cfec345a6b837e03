"""The writer's fingerprint: a small value object whose stored form is that of schema 2, so
indexes written before it still find their unchanged articles and duplicates."""
from __future__ import annotations

import re
from datetime import datetime

import search
from search.model import Article
from search.writer import Fingerprint, fingerprint


def _article(**changes) -> Article:
    fields = dict(id="a1", title="Oil  prices", body="Rose today.", source="wire",
                  url="https://x.example/1", lang="en", date=datetime(2021, 5, 1), path="/n/a.txt")
    return Article(**{**fields, **changes})


def test_stored_form_is_the_schema_2_string():
    fp = fingerprint(_article())
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{8}", fp.stored())
    assert fp.stored().startswith(Fingerprint.stored_prefix(fp.text))
    assert fp.content == tuple(fp.stored().split("-")[:2])


def test_what_changes_which_digest():
    base = fingerprint(_article())
    moved = fingerprint(_article(path="/n/b.txt"))
    spaced = fingerprint(_article(title="oil prices"))  # same text, other record
    assert moved.content == base.content and moved.file != base.file
    assert spaced.text == base.text and spaced.record != base.record


def test_an_index_keeps_recognising_its_articles(tmp_path):
    folder = str(tmp_path / "index")
    first = search.add_articles([_article()], folder)
    again = search.add_articles([_article()], folder)
    twin = search.add_articles([_article(id="a2", url="")], folder)
    assert (first.added, again.unchanged, twin.added, len(twin.duplicates)) == (1, 1, 0, 1)
