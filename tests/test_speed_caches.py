"""The count-bounded memos of the read path and of analysis (issue 13): what they keep, what
they never keep, and that answers are the same with them as without."""
from __future__ import annotations

import pytest

from search import plancache
from search.analysis import chain
from search.query import build_query


@pytest.fixture(autouse=True)
def fresh_plans():
    plancache.clear_plans()
    yield
    plancache.clear_plans()


def test_a_plan_is_kept_and_each_caller_gets_its_own_copy():
    first = plancache.plan_query("Iran oil", cross=True)
    first.words.append("changed")
    first.filter = "refined by a caller"
    again = plancache.plan_query("Iran oil", cross=True)
    built = build_query("Iran oil", cross=True)
    assert again.query is first.query  # kept: not parsed again
    assert again.words == built.words and again.filter == built.filter
    assert str(again.query) == str(built.query) and str(again.fallback) == str(built.fallback)


@pytest.mark.parametrize("options", [{"cross": False}, {"lang": "ar"}, {"year": "2015"},
                                     {"mode": "any"}])
def test_options_are_part_of_the_key(options):
    plain = plancache.plan_query("Iran oil", cross=True)
    other = plancache.plan_query("Iran oil", **{"cross": True, **options})
    built = build_query("Iran oil", **{"cross": True, **options})
    assert (str(other.query), str(other.filter)) == (str(built.query), str(built.filter))
    assert other.query is not plain.query  # built for its own key, not served another's


def test_a_wildcard_plan_is_built_afresh_each_time():
    # its expansion budget is spent while it runs: a kept plan would share it between requests
    one, two = plancache.plan_query("opec*"), plancache.plan_query("opec*")
    assert one.query is not two.query


def test_plans_are_bounded_by_count(monkeypatch):
    monkeypatch.setattr(plancache, "PLANS_KEPT", 3)
    for word in ("alpha", "bravo", "charlie", "delta", "echo"):
        plancache.plan_query(word)
    assert len(plancache._plans) == 3


def test_errors_are_raised_every_time():
    for _ in range(2):
        with pytest.raises(Exception, match="Type something"):
            plancache.plan_query("   ")


def test_the_word_memo_stays_within_two_generations(monkeypatch):
    monkeypatch.setattr(chain, "WORDS_KEPT", 50)
    monkeypatch.setattr(chain, "_cache", {})
    monkeypatch.setattr(chain, "_older", {})
    words = [f"word{i}x" for i in range(400)] + ["والمدير", "running", "the"]
    answers = [chain.analyze_word(w, "en") for w in words]
    for _ in range(2):  # again, after the tables turned over several times
        assert [chain.analyze_word(w, "en") for w in words] == answers
        held = len(chain._cache.get("en", {})) + len(chain._older.get("en", {}))
        assert held <= 2 * 50
    assert answers[-3:] == [chain._analyze(w, "en") for w in words[-3:]]
    assert answers[-1] is None  # a stop word's None is remembered like any answer
