"""Hostile queries: whatever is typed, `run_search` answers or raises QueryError, quickly.

Property-based (hypothesis) through `search.run_search` on the seeds index and on an index with a
large generated vocabulary, a table of regressions found this way, and the real CLI in a
subprocess with the nastiest strings (JSON on stdout, one error line, never a traceback).
"""
from __future__ import annotations

import json
import random
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from whoosh.reading import IndexReader

import search
from search import searcher
from search.engine.whoosh_backend import expansion
from search import query as search_query
from search.analysis import analyze_word
from search.errors import QueryError, error_json
from search.highlight import MatchSet, make_snippet, mark_paragraphs, mark_text
from conftest import run_cli

BUDGET_SECONDS = 2.0  # the bound for one query
ENGLISH_LAVROV = {"000_f4c48d42ded4b03b", "001_55c22112cef1f973", "003_cc51eb2d56806ca4",
                  "004_4fea8e585e88a37b"}
ARABIC_ID = "002_1ce0b52695165950"

# Invisible and direction marks, joiners, combining marks alone, lone surrogates, NUL, BOM.
INVISIBLE = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202e", "\u2066", "\u2069", "\u200b",
             "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u0301", "\u064b", "\u0651",
             "\u0670", "\u0640", "\ud800", "\udbff", "\udc80", "\udcff", "\udfff", "\x00",
             "\ufffd", "\U0001f600", "\u061f", "\u060c"]
SYNTAX = list("\"'()[]{}:*?~^+-!<>=\\/&|,.;") + ["AND", "OR", "NOT", " TO ", "~2", "~9", "^2"]
FIELDS = ["title:", "body:", "text:", "lang:", "source:", "year:", "date:", "id:", "url:",
          "path:", "hash:", "foo:", "عنوان:", "title_exact:"]
WORDS = ["Lavrov", "Zarif", "Iran", "nuclear", "deal", "the", "of", "لافروف", "ظريف", "في",
         "الإيرانية", "شدّد", "2021", "2021-01", "[2021 TO]", "x", "a", "co", "Rouh"]

letters = st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Z"])
tokens = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(SYNTAX),
    st.sampled_from(INVISIBLE),
    st.builds("".join, st.lists(st.sampled_from(FIELDS + WORDS + SYNTAX + INVISIBLE),
                                min_size=1, max_size=4)),
    st.text(letters, min_size=1, max_size=12),
    st.text(min_size=1, max_size=8),  # any code point hypothesis likes, controls included
)
hostile_queries = st.one_of(
    st.lists(tokens, max_size=12).map(" ".join),
    st.lists(tokens, max_size=12).map("".join),
    st.text(max_size=60),
    st.sampled_from(INVISIBLE + SYNTAX + FIELDS).map(lambda s: s * 7),
)
numbers = st.one_of(st.integers(-3, 12), st.integers(-2**70, 2**70),
                    st.sampled_from([0, 101, 10_000, 10_001, 2**31, 2**63, -2**63]))
filters = st.one_of(st.none(), st.sampled_from(["ar", "en", "AR", " en ", "", "kayhan.ir", "2021"]),
                    st.text(max_size=10), st.sampled_from(INVISIBLE))


def searched(text: str, index_dir: str, **options) -> tuple[object, float]:
    """(SearchPage or QueryError, seconds); anything else escaping fails the test."""
    t0 = time.perf_counter()
    try:
        outcome = search.run_search(text, index_dir=index_dir, **options)
    except QueryError as error:
        outcome = error
    return outcome, time.perf_counter() - t0


def check_outcome(outcome: object, seconds: float) -> None:
    """Fast, and what the CLI and the API would print encodes as UTF-8 JSON."""
    assert seconds < BUDGET_SECONDS, f"took {seconds:.2f} s"
    if isinstance(outcome, QueryError):
        assert outcome.message and "\n" not in outcome.message and len(outcome.message) < 300
        payload = error_json(outcome)
    else:
        payload = outcome.to_json()
        assert len(outcome.results) <= outcome.size and outcome.total >= 0
    json.dumps(payload, ensure_ascii=False).encode("utf-8")  # no lone surrogate left


# --- property-based, in process ---------------------------------------------------------------

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_queries, mode=st.sampled_from(["all", "all", "any"]))
def test_any_query_answers_or_raises_query_error(seed_index, text, mode):
    check_outcome(*searched(text, seed_index, mode=mode))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_queries)
def test_article_page_with_any_query(seed_index, text):
    try:
        doc = search.get_document(ARABIC_ID, index_dir=seed_index, query=text)
    except QueryError:
        return  # the web shows the article unmarked then
    json.dumps(doc.to_json(), ensure_ascii=False).encode("utf-8")
    assert not re.search(r"[<>]", re.sub(r"</?(mark|p|br)>", "", doc.body_html))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.sampled_from(["Lavrov", "Iran lang:en", "Rouh*", "Lavrof~"]),
                      hostile_queries),
       page=numbers, size=numbers, lang=filters, source=filters, year=filters,
       sort=st.sampled_from(["relevance", "date", "", "DATE", "random", "\udcff"]))
def test_any_parameters_answer_or_raise_query_error(seed_index, text, page, size, lang, source,
                                                    year, sort):
    outcome, seconds = searched(text, seed_index, page=page, size=size, lang=lang,
                                source=source, year=year, sort=sort)
    check_outcome(outcome, seconds)
    if not (1 <= size <= 100 and page >= 1 and page * size <= 10_000):
        assert isinstance(outcome, QueryError)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(["Lavrov", "Iran", "nucl", "deal", "لافروف", "ظريف",
                                       "Rouhani", "talks", "x", "Z"]), min_size=1, max_size=30),
       suffix=st.sampled_from(["*", "?", "~", "~2", "~9", "*~", "?*", ""]),
       prefix=st.sampled_from(["", "*", "?", "-", "title:", "NOT "]))
def test_wildcards_and_fuzzy_on_every_word(seed_index, words, suffix, prefix):
    check_outcome(*searched(" ".join(prefix + w + suffix for w in words), seed_index))


@pytest.mark.parametrize("length", [999, 1000, 1001, 10_000])
@pytest.mark.parametrize("unit", ["Lavrov ", "a", "*", "?", "(", '"', "\u200f", "لافروف~ "])
def test_long_queries(seed_index, unit, length):
    text = (unit * length)[:length]
    outcome, seconds = searched(text, seed_index)
    check_outcome(outcome, seconds)
    if len(text.strip()) > search_query.MAX_QUERY_CHARS:
        assert isinstance(outcome, QueryError) and "too long" in outcome.message


# --- regressions: each was a crash, a leaked internal message or a silent wrong answer --------

OK, ERROR = "ok", "error"


@pytest.mark.parametrize("text, expected, detail", [
    # only common words: answered from the exact-form fields (issue 17), as a phrase
    ("the", OK, None),
    ("the of and", OK, set()),
    ("في من على", OK, None),
    ('"the of"', OK, set()),
    # only signs: was an empty page with no word of why
    ('"', ERROR, "Nothing to search for"),
    ("(((", ERROR, "Nothing to search for"),
    ("~", ERROR, "Nothing to search for"),
    ("\u0301", ERROR, "Nothing to search for"),  # a combining mark alone
    ("\u0651", OK, set()),  # shadda alone: analysed as a term of its own, found nowhere
    ("\u200f\u200e\u200d", ERROR, "Nothing to search for"),
    ("AND OR NOT", ERROR, "Nothing to search for"),
    ("x" * 70, ERROR, "over-long words"),
    # a field name with nothing after it: was a search for the word "title"
    ("title:", ERROR, "“title:” needs a value"),
    ("title: Lavrov", ERROR, "“title:” needs a value"),
    ("lang:", ERROR, "lang:ar"),
    ("Lavrov date:", ERROR, "date:2021-01"),
    # a date that is not one: was silently dropped, so every date matched
    ("date:notadate", ERROR, "is not a date"),
    ("Zarif date:2021-13", ERROR, "is not a date"),
    ("date:[notadate TO 2021]", ERROR, "is not a date"),
    ("date:[2021 TO]", OK, {"000_f4c48d42ded4b03b"}),
    # wildcards: * and ? inside a word were cut into two words (Lav?ov = lav AND ov)
    ("Lav?ov", OK, ENGLISH_LAVROV),
    ("Lavr*v", OK, ENGLISH_LAVROV),
    ("La*", OK, ENGLISH_LAVROV),
    ("ظري*", OK, {ARABIC_ID}),
    ("*", ERROR, "too short"),
    ("?", ERROR, "too short"),
    ("??", ERROR, "too short"),
    ("*foo", ERROR, "too short"),  # was silently "foo"
    ("*a*", ERROR, "too short"),
    ("L*v", ERROR, "too short"),
    ("a*", ERROR, "too short"),
    ("ظر؟ف", OK, {ARABIC_ID}),  # ؟ typed as the wildcard on an Arabic keyboard
    ("co?????", OK, None),  # several ? stay wildcards (council, country, …)
    # a question mark ending a word is a question, not a wildcard
    ("Lavrov?", OK, ENGLISH_LAVROV),
    ("لافروف؟", OK, {ARABIC_ID}),
    # fuzzy: any distance asked is at most 2
    ("Lavrof~", OK, ENGLISH_LAVROV),
    ("Lavrof~9", OK, ENGLISH_LAVROV),
    ("a~ b~2 c~9", OK, set()),
    # whoosh's parser failing inside: was "list index out of range", "'NoneType' object…"
    ("NOT NOT Iran", ERROR, "Could not understand the query"),
    ("~~~~", ERROR, "Nothing to search for"),
    # unbalanced or odd syntax still searches the words
    ('"unbalanced Lavrov', OK, None),
    ("(Lavrov", OK, ENGLISH_LAVROV),
    ("Lavrov)", OK, ENGLISH_LAVROV),
    ("Lavrov^-5", OK, ENGLISH_LAVROV),
    ("foo:Lavrov", OK, ENGLISH_LAVROV),
    ("OR Lavrov AND", OK, ENGLISH_LAVROV),
    ("-Lavrov", ERROR, "not only exclusions"),
    # lone surrogates (a bad byte in argv, "\ud800" in JSON): were un-encodable in the output
    ("Lavrov \udcff", OK, ENGLISH_LAVROV),
    ("\ud800", ERROR, "Nothing to search for"),
    ("Lavrov\x00Zarif", OK, None),
    ("id:*", OK, None),  # five ids: few enough to list
])
def test_regressions(seed_index, text, expected, detail):
    # the expected ids are the typed language's: the hypothesis tests search across too
    outcome, seconds = searched(text, seed_index, cross=False)
    check_outcome(outcome, seconds)
    if expected == ERROR:
        assert isinstance(outcome, QueryError), f"{text!r} gave {outcome}"
        assert detail in outcome.message
    else:
        assert not isinstance(outcome, QueryError), f"{text!r}: {outcome}"
        if detail is not None:
            assert {h.id for h in outcome.results} == detail


@pytest.mark.parametrize("text, maxdist", [
    ("Lavrof~", 1), ("Lavrof~2", 2), ("Lavrof~9", 2), ("oil~2", 2), ("ab~2", 1), ("2~2", 0),
    ("x~9", 0),  # as many edits as letters would match every short word
])
def test_fuzzy_distance_is_bounded(text, maxdist):
    leaves = [q for q in search.build_query(text).query.leaves() if hasattr(q, "maxdist")]
    assert leaves and {q.maxdist for q in leaves} == {maxdist}


@pytest.mark.parametrize("options, detail", [
    ({"page": 0}, "page must be 1 or more"),
    ({"page": -1}, "page must be 1 or more"),
    ({"size": 0}, "size between 1 and 100"),
    ({"size": -5}, "size between 1 and 100"),
    ({"size": 10**9}, "size between 1 and 100"),
    ({"page": 10**18}, "cannot be paged to"),
    ({"page": 2**70, "size": 100}, "cannot be paged to"),
    ({"page": 1.5}, "page must be"),
    ({"size": "10"}, "size between"),
    ({"sort": "random"}, "sort must be one of"),
])
def test_bad_parameters(seed_index, options, detail):
    outcome, seconds = searched("Lavrov", seed_index, **options)
    check_outcome(outcome, seconds)
    assert isinstance(outcome, QueryError) and detail in outcome.message


def test_surrogates_in_filters_are_echoed_encodable(seed_index):
    page = search.run_search("Lavrov", index_dir=seed_index, lang="\udcff", source="\ud800x")
    assert page.total == 0 and page.filters == {"lang": "\ufffd", "source": "\ufffdx"}
    json.dumps(page.to_json(), ensure_ascii=False).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.one_of(st.sampled_from(INVISIBLE + ["<", ">", "&", '"', "\n", "\r", " ",
                                                           ".", "…", "Lavrov", "لافروف", "شدّد",
                                                           "x" * 70, "<script>"]),
                               st.text(max_size=10)), max_size=60).map("".join),
       words=st.lists(st.sampled_from(["Lavrov", "لافروف", "شدد", "x", "\u0651"]), max_size=4),
       lang=st.sampled_from(["en", "ar", "", "xx"]), budget=st.integers(1, 400))
def test_highlights_escape_any_text(text, words, lang, budget):
    terms = [t for t in map(analyze_word, words) if t]
    matches = MatchSet(frozenset(t[1] for t in terms), frozenset(t[0] for t in terms))
    for html in (make_snippet(text, matches, lang, budget), mark_paragraphs(text, matches, lang),
                 mark_text(text, matches.spans(text, lang))):
        assert not re.search(r"[<>]", re.sub(r"</?(mark|p|br)>", "", html)), html


# --- a large vocabulary: broad wildcards and fuzzy words are limited, and quick ----------------

@pytest.fixture(scope="module")
def wide_index(tmp_path_factory) -> str:
    """An index of 300 articles over 6,000 generated words, all starting with "co" or "نف"."""
    rnd = random.Random(7)
    latin, arabic = "abdeghiklmnprstuvz", "بتجحدرسعفقكلمنهوي"
    latin_words: set[str] = set()
    arabic_words: set[str] = set()
    while len(latin_words) < 4000:
        latin_words.add("co" + "".join(rnd.choices(latin, k=5)))
    while len(arabic_words) < 2000:
        arabic_words.add("نف" + "".join(rnd.choices(arabic, k=4)))
    words = sorted(latin_words | arabic_words)
    rnd.shuffle(words)
    folder = tmp_path_factory.mktemp("wide-corpus")
    with open(folder / "wide.jsonl", "w", encoding="utf-8") as out:
        for n in range(300):
            chunk = words[n * 20:(n + 1) * 20]
            out.write(json.dumps({"id": f"w{n:03}", "title": f"Article {n} {chunk[0]}",
                                  "body": " ".join(chunk) + ".", "lang": "en",
                                  "source": f"source{n % 7}"}, ensure_ascii=False) + "\n")
    index_dir = str(tmp_path_factory.mktemp("wide-index"))
    report = search.build_index([str(folder)], index_dir)
    assert report.documents == 300 and not report.skipped
    return index_dir


@pytest.mark.parametrize("text, detail", [
    ("co*", "matches more than 256 words"),
    ("نف*", "matches more than 256 words"),
    ("co*i*", "matches more than 256 words"),
    ("co?????", "matches more than 256 words"),
    ("body:co*", "matches more than 256 words"),
    ("id:*", "matches more than 256 values"),
    ("id:[w0 TO w9]", "matches more than 256 words"),
    ("Article co* OR zz", "matches more than 256 words"),
])
def test_broad_expansions_are_refused_quickly(wide_index, text, detail):
    outcome, seconds = searched(text, wide_index)
    check_outcome(outcome, seconds)
    assert isinstance(outcome, QueryError) and detail in outcome.message
    assert seconds < 0.5


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(["coab", "coka", "cozz", "co", "نفب", "نفس", "alpha",
                                       "comp", "Article", "7"]), min_size=1, max_size=25),
       suffix=st.sampled_from(["*", "?*", "*a", "~", "~2", "??"]))
def test_many_multi_term_words_stay_bounded(wide_index, words, suffix):
    check_outcome(*searched(" ".join(w + suffix for w in words), wide_index))
    check_outcome(*searched(" OR ".join(w + suffix for w in words), wide_index))


def test_narrow_prefix_and_fuzzy_still_answer(wide_index):
    some = next(w for w in search.get_document("w000", index_dir=wide_index).body.split()
                if w.startswith("co"))
    for text in (some[:5] + "*", some[:4] + "?" + some[5:-1] + "*", some + "~", some[:-1] + "~2"):
        page = search.run_search(text, index_dir=wide_index)
        assert "w000" in {h.id for h in page.results} or page.total > 10, text


def test_scan_limits_are_counts(wide_index, monkeypatch):
    monkeypatch.setattr(expansion, "MAX_SCAN", 100)
    with pytest.raises(QueryError, match="look through too many words"):
        search.run_search("co*zz", index_dir=wide_index)  # 4,000 words start with "co"
    monkeypatch.setattr(expansion, "MAX_SCAN", 50_000)
    monkeypatch.setattr(expansion, "MAX_QUERY_SCAN", 5_000)  # each alone fits, not together
    search.run_search("co*zz", index_dir=wide_index)
    with pytest.raises(QueryError, match="too many words together"):
        search.run_search("co*zz co*ab", index_dir=wide_index)


def test_expansion_postings_are_bounded(wide_index, monkeypatch):
    monkeypatch.setattr(expansion, "MAX_POSTINGS", 3)
    with pytest.raises(QueryError, match="too many articles"):
        search.run_search("co*", index_dir=wide_index)


def test_fuzzy_words_keep_the_closest_most_frequent_terms(wide_index, monkeypatch):
    """Over the bound a fuzzy word is cut the same way every time, closest words first."""
    word = next(w for w in search.get_document("w000", index_dir=wide_index).body.split()
                if w.startswith("co"))
    whole = search.run_search(word + "~2", index_dir=wide_index, size=100)
    monkeypatch.setattr(expansion, "MAX_EXPANSION", 3)
    cut = [search.run_search(word + "~2", index_dir=wide_index, size=100) for _ in range(3)]
    assert len({tuple(h.id for h in page.results) for page in cut}) == 1  # the same each time
    assert "w000" in {h.id for h in cut[0].results}  # distance 0 is kept first
    assert cut[0].total < whole.total


def test_fuzzy_words_and_suggestions_never_scan_a_multi_segment_index(tmp_path, monkeypatch):
    index_dir = str(tmp_path / "ix")
    for batch in range(3):  # three commits: three segments, read through a MultiReader
        search.add_articles([search.Article(id=f"s{batch}", title=f"Batch {batch}",
                                            body=f"The zanzibarite{batch} report.", lang="en")],
                            index_dir, commit_every=None)
    assert len(searcher.open_reader(index_dir).searcher.reader().leaf_readers()) == 3

    def linear_scan(*args, **kwargs):  # Whoosh's fallback: the distance to every word
        raise AssertionError("terms_within scanned the whole multi-segment word list")

    monkeypatch.setattr(IndexReader, "terms_within", linear_scan)
    assert search.run_search("zanzibarite1~", index_dir=index_dir).total == 3
    suggestion = search.run_search("zanzibarit", index_dir=index_dir).suggestion
    assert suggestion and suggestion.startswith("zanzibarite")


# --- the real CLI -------------------------------------------------------------------------------

NASTY_CLI = ["Lavrov \udcff", "\udcff", "\u200f\u202e\u0301", '"', "title:", "date:notadate",
             "NOT NOT Iran", "~~~~", "*", "Lav?ov", "(((" * 300, "x" * 10_000, "-",
             "a~ b~2 c~9 " * 20]


@pytest.mark.parametrize("text", NASTY_CLI, ids=lambda t: ascii(t[:12]))
def test_cli_json_is_a_page_or_the_error_shape(seed_index, text):
    out = run_cli("query", text, "--index", seed_index, "--json")
    assert out.returncode in (0, 2) and "Traceback" not in out.stderr
    data = json.loads(out.stdout)
    if out.returncode == 0:
        assert {"query", "total", "results"} <= set(data)
    else:
        assert set(data) == {"error"} and data["error"]["status"] == 400
        assert data["error"]["type"] == "QueryError" and data["error"]["message"]
        assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [
    ("query", "Lavrov \udcff"), ("query", "*foo"), ("query", "Lavrov", "--page", "999999999"),
    ("query", "Lavrov", "--limit", "0"), ("query", "Lavrov", "--page", "-1"),
    ("query", "Lavrov", "--lang", "\udcff"), ("explain", "title: \udcff"), ("explain", "Lav?ov"),
], ids=lambda a: ascii(" ".join(a))[:40])
def test_cli_text_never_a_traceback(seed_index, args):
    extra = ("--index", seed_index) if args[0] == "query" else ()
    out = run_cli(*args, *extra)
    assert out.returncode in (0, 1, 2) and "Traceback" not in out.stderr + out.stdout
    if out.returncode and not out.stderr.startswith("Usage:"):  # click's own usage errors
        assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1


@pytest.mark.parametrize("text", ["Lavrof~2", "Gorbachev~2", "Zari*", "Lav?ov"])
def test_expansions_give_the_same_answer_under_load(seed_index, text):
    """Bounds are counts, not time: four threads asking at once all get the one answer."""
    from concurrent.futures import ThreadPoolExecutor

    def ask(_):
        page = search.run_search(text, index_dir=seed_index, size=100)
        return page.total, tuple(h.id for h in page.results)
    with ThreadPoolExecutor(4) as pool:
        answers = set(pool.map(ask, range(16)))
    assert len(answers) == 1
