"""Research tools (issue 15): timeline, date window, date order, export and feeds.

A real index of a small dated bilingual corpus, the real Flask app and the real CLI. Expected
numbers are counted from the corpus records themselves, not written down.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, timedelta

import feedparser
import pytest

import search
from conftest import run_cli
from search import timeline
from search.export import BOM, COLUMNS, EXPORT_CAP
from web import create_app

START = date(2015, 3, 2)  # a Monday


def _records() -> list[dict]:
    """Oil news in both languages over about four months, other news, and undated articles."""
    out = []
    for n in range(120):
        day = START + timedelta(days=(n * 7) % 113)
        ar = n % 3 == 0
        oil = n % 2 == 0
        if ar:
            title = f"أسعار النفط ترتفع في السوق رقم {n}" if oil else f"مباراة كرة القدم رقم {n}"
            body = ("ارتفعت أسعار النفط اليوم في الأسواق العالمية.\n\nوقال محللون إن الطلب قوي."
                    if oil else "فاز الفريق في مباراة كرة القدم أمس.\n\nوحضر الجمهور بكثافة.")
        else:
            title = f"Oil prices rise, report {n}" if oil else f"Football match report {n}"
            body = ("Oil prices rose today on world markets.\n\nAnalysts said demand was strong."
                    if oil else "The team won the football match yesterday.\n\nCrowds came.")
        out.append({"id": f"r{n:03d}", "title": title, "body": body, "lang": "ar" if ar else "en",
                    "source": "aawsat" if ar else "reuters", "url": f"https://example.org/{n}",
                    "date": day.isoformat() + "T09:30:00"})
    out.append({"id": "undated-oil", "title": "Oil without a date", "body": "Oil prices, undated.",
                "lang": "en", "source": "reuters"})
    return out


RECORDS = _records()


def _is_oil(r: dict) -> bool:
    return "Oil" in r["title"] or "النفط" in r["title"]


def _dated_oil() -> list[dict]:
    return [r for r in RECORDS if _is_oil(r) and r.get("date")]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("research-corpus")
    (folder / "news.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    out = tmp_path_factory.mktemp("research-index")
    search.build_index([str(folder)], str(out))
    return str(out)


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app({"SEARCH_INDEX": index_dir}).test_client()


QUERY = "oil OR نفط"


# ---- timeline ---------------------------------------------------------------------------------

@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_timeline_counts_match_the_corpus(client, interval):
    body = client.get("/api/timeline", query_string={"q": QUERY, "interval": interval}).json
    assert list(body)[:3] == ["query", "interval", "buckets"]
    assert body["query"] == QUERY and body["interval"] == interval
    expected = Counter()
    for r in _dated_oil():
        day = date.fromisoformat(r["date"][:10])
        expected[(timeline.period_start(day, interval).isoformat(), r["lang"])] += 1
    got = Counter()
    for bucket in body["buckets"]:
        assert set(bucket) == {"start", "count", "share"}
        assert set(bucket["count"]) == {"ar", "en"} == set(bucket["share"])
        for lang, n in bucket["count"].items():
            if n:
                got[(bucket["start"], lang)] = n
    assert got == expected
    # periods follow each other without gaps, from the first match to the last
    starts = [date.fromisoformat(b["start"]) for b in body["buckets"]]
    assert starts[0] == timeline.period_start(min(date.fromisoformat(r["date"][:10])
                                                  for r in _dated_oil()), interval)
    for a, b in zip(starts, starts[1:]):
        assert b == timeline.period_end(a, interval) + timedelta(days=1)
    assert body["total"] == {"ar": sum(r["lang"] == "ar" for r in RECORDS if _is_oil(r)),
                             "en": sum(r["lang"] == "en" for r in RECORDS if _is_oil(r))}


def test_timeline_share_is_of_all_articles_of_the_language(client):
    body = client.get("/api/timeline", query_string={"q": QUERY, "interval": "month"}).json
    for bucket in body["buckets"]:
        month = bucket["start"][:7]
        for lang in ("ar", "en"):
            every = [r for r in RECORDS if r.get("date", "")[:7] == month and r["lang"] == lang]
            oil = [r for r in every if _is_oil(r)]
            assert bucket["count"][lang] == len(oil)
            assert bucket["share"][lang] == pytest.approx(len(oil) / len(every) if every else 0,
                                                          abs=1e-6)
            assert 0 < bucket["share"][lang] < 1 or not every or not oil


def test_timeline_auto_interval_and_filters(client):
    body = client.get("/api/timeline", query_string={"q": QUERY}).json
    span = (max(date.fromisoformat(r["date"][:10]) for r in _dated_oil())
            - min(date.fromisoformat(r["date"][:10]) for r in _dated_oil())).days
    assert body["interval"] == timeline.choose_interval(date(2000, 1, 1),
                                                        date(2000, 1, 1) + timedelta(days=span))
    only_ar = client.get("/api/timeline", query_string={"q": QUERY, "lang": "ar",
                                                        "interval": "month"}).json
    assert sum(b["count"]["en"] for b in only_ar["buckets"]) == 0
    assert sum(b["count"]["ar"] for b in only_ar["buckets"]) == sum(
        r["lang"] == "ar" for r in _dated_oil())


def test_timeline_compares_queries_and_keeps_the_single_shape(client):
    one = client.get("/api/timeline", query_string={"q": "oil", "interval": "week"}).json
    two = client.get("/api/timeline", query_string=[("q", "oil"), ("q", "نفط"),
                                                    ("interval", "week")]).json
    assert "queries" not in one
    assert [q["query"] for q in two["queries"]] == ["oil", "نفط"]
    assert two["query"] == "oil"
    assert two["queries"][0]["buckets"] == two["buckets"]
    # the same periods for both, so the series line up
    ar = two["queries"][1]["buckets"]
    assert [b["start"] for b in ar] == [b["start"] for b in two["buckets"]]
    assert sum(b["count"]["ar"] for b in ar) == sum(r["lang"] == "ar" for r in _dated_oil())


@pytest.mark.parametrize("args, message", [
    ({"q": "oil", "interval": "year"}, "interval must be one of"),
    ({"interval": "day"}, "Give a query"),
    ([("q", "a1"), ("q", "b1"), ("q", "c1"), ("q", "d1")], "At most 3 queries"),
    ({"q": "oil", "from": "2015-02-30"}, "YYYY-MM-DD"),
    ({"q": "oil", "from": "2015-05-01", "to": "2015-04-01"}, "before it starts"),
    ({"q": "oil", "interval": "day", "from": "1900-01-01"}, None),
])
def test_timeline_bad_input_is_a_clear_400(client, args, message):
    response = client.get("/api/timeline", query_string=args)
    if message is None:  # a window wider than the data: fine, the periods span the matches
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert message in response.json["error"]["message"]


def test_cli_timeline_json_csv_and_chart(index_dir):
    api = json.loads(run_cli("timeline", QUERY, "--interval", "month", "--json",
                             "--index", index_dir).stdout)
    assert api["interval"] == "month" and api["buckets"]
    table = run_cli("timeline", QUERY, "--interval", "month", "--csv", "--index", index_dir)
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert {(r["start"], r["lang"]): int(r["count"]) for r in rows} == {
        (b["start"], lang): n for b in api["buckets"] for lang, n in b["count"].items()}
    chart = run_cli("timeline", QUERY, "--interval", "month", "--index", index_dir)
    assert chart.returncode == 0, chart.stderr
    assert "█" in chart.stdout and api["buckets"][0]["start"][:7] in chart.stdout
    bad = run_cli("timeline", QUERY, "--from", "yesterday", "--index", index_dir)
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr


# ---- the chart on the results page ---------------------------------------------------------

def test_results_page_has_a_chart_whose_periods_narrow_the_search(client):
    page = client.get("/", query_string={"q": QUERY, "interval": "month"}).get_data(as_text=True)
    assert '<svg class="chart__svg"' in page and "<script" not in page.split("<main")[1]
    assert "The chart&#39;s numbers as a table" in page or "numbers as a table" in page
    import re
    links = re.findall(r'<a class="chart__period" href="([^"]+)"', page)
    assert len(links) == len({r["date"][:7] for r in _dated_oil()})
    href = links[0].replace("&amp;", "&")
    narrowed = client.get(href.replace("/?", "/api/search?")).json
    month = min(r["date"][:7] for r in _dated_oil())
    assert narrowed["total"] == sum(r["date"][:7] == month for r in _dated_oil())
    assert all(h["date"][:7] == month for h in narrowed["results"])


# ---- date window and date order ------------------------------------------------------------

def test_date_window_filters_the_results(client):
    args = {"q": QUERY, "from": "2015-04-01", "to": "2015-04-30", "size": 100}
    body = client.get("/api/search", query_string=args).json
    arabic_digits = client.get("/api/search", query_string={
        **args, "from": "٢٠١٥-٠٤-٠١", "to": "۲۰۱۵-۰۴-۳۰"}).json
    assert arabic_digits["total"] == body["total"]
    expected = [r for r in _dated_oil() if "2015-04-01" <= r["date"][:10] <= "2015-04-30"]
    assert body["total"] == len(expected) > 0
    assert {h["id"] for h in body["results"]} == {r["id"] for r in expected}
    page = client.get("/", query_string=args).get_data(as_text=True)
    assert 'name="from" id="window-from" value="2015-04-01"' in page
    assert "Last month" in page


@pytest.mark.parametrize("sort, newest", [("date", True), ("oldest", False)])
def test_date_sort_both_ways_with_real_scores(client, sort, newest):
    body = client.get("/api/search", query_string={"q": QUERY, "sort": sort, "size": 100}).json
    dates = [h["date"] for h in body["results"] if h["date"]]
    assert dates == sorted(dates, reverse=newest) and len(dates) == len(_dated_oil())
    assert body["results"][-1]["id"] == "undated-oil"  # undated last, both ways
    assert all(h["score"] > 0 for h in body["results"])
    relevance = client.get("/api/search", query_string={"q": QUERY, "size": 100}).json
    scores = {h["id"]: h["score"] for h in relevance["results"]}
    assert {h["id"]: h["score"] for h in body["results"]} == scores


def test_cli_date_sort_shows_no_zero_scores(index_dir):
    out = run_cli("query", "oil", "--sort", "oldest", "--index", index_dir).stdout
    assert " 0.00" not in out and "] " in out


# ---- export --------------------------------------------------------------------------------

def test_export_csv_every_result_with_arabic(client):
    response = client.get("/api/export", query_string={"q": QUERY, "format": "csv"})
    assert response.status_code == 200 and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(BOM.encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    oil = {r["id"]: r for r in RECORDS if _is_oil(r)}
    assert {r["id"] for r in rows} == set(oil)
    for row in rows:
        assert row["title"] == oil[row["id"]]["title"]  # Arabic intact
        assert "<mark>" not in row["snippet"] and row["snippet"]
        assert float(row["score"]) > 0
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)


def _export_jsonl(client, **args) -> list[dict]:
    lines = client.get("/api/export", query_string={"q": "نفط", "format": "jsonl",
                                                     "sort": "oldest", **args})
    return [json.loads(line) for line in lines.get_data(as_text=True).splitlines()]


def test_export_jsonl_and_cli_all(client, index_dir):
    rows = _export_jsonl(client, cross="0")  # only the typed language
    assert rows and all(r["lang"] == "ar" for r in rows)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert list(rows[0]) == list(COLUMNS)
    cli = run_cli("query", "نفط", "--all", "--format", "jsonl", "--sort", "oldest",
                  "--no-cross", "--index", index_dir)
    assert [json.loads(line) for line in cli.stdout.splitlines()] == rows
    # by default an export holds what the results page finds: the English "oil" articles too
    both = _export_jsonl(client)
    assert {r["id"] for r in both} > {r["id"] for r in rows}
    assert {r["lang"] for r in both} == {"ar", "en"}
    cli_csv = run_cli("query", "نفط", "--all", "--index", index_dir)
    assert cli_csv.stdout.startswith(BOM)
    assert len(list(csv.DictReader(io.StringIO(cli_csv.stdout[1:])))) == len(both)
    total = client.get("/api/search", query_string={"q": "نفط"}).json["total"]
    assert len(both) == total


@pytest.mark.parametrize("args, message", [
    ({"q": "oil", "format": "xlsx"}, "format must be one of"),
    ({"format": "csv"}, "Give a query"),
    ({"q": "oil", "sort": "random"}, "sort must be one of"),
])
def test_export_bad_input(client, args, message):
    response = client.get("/api/export", query_string=args)
    assert response.status_code == 400 and message in response.json["error"]["message"]


def test_export_cap_is_documented():
    readme = (search.__file__.rsplit("/search/", 1)[0] + "/README.md")
    assert f"{EXPORT_CAP:,}" in open(readme, encoding="utf-8").read()


def test_results_page_links_export_and_feed(client):
    page = client.get("/", query_string={"q": "نفط", "lang": "ar"}).get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml"' in page
    assert "/api/export?format=csv&amp;q=" in page and "lang=ar" in page.split("/api/export")[1]


# ---- feeds ---------------------------------------------------------------------------------

def test_feed_parses_newest_first_with_arabic_titles(client):
    response = client.get("/feed", query_string={"q": QUERY})
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title.endswith(QUERY)
    entries = feed.entries
    assert entries and len({e.id for e in entries}) == len(entries)
    assert all(e.id.startswith("http://localhost/doc/") for e in entries)
    times = [e.updated_parsed for e in entries]
    assert times == sorted(times, reverse=True)
    by_id = {r["id"]: r for r in RECORDS}
    arabic = [e for e in entries if by_id[e.id.rsplit("/", 1)[1]]["lang"] == "ar"]
    assert arabic
    for entry in arabic:
        assert entry.title == by_id[entry.id.rsplit("/", 1)[1]]["title"]
        assert entry.title_detail.language == "ar"
    newest = max(r["date"] for r in _dated_oil())
    assert entries[0].published.startswith(newest[:10])


def test_feed_without_query_is_a_400(client):
    response = client.get("/feed")
    assert response.status_code == 400


# ---- sources as outlets --------------------------------------------------------------------

def test_source_names_come_from_one_data_file():
    from search.sources import source_name, source_names
    names = source_names()
    assert source_name("aawsat") == "الشرق الأوسط" and source_name("Reuters") == "Reuters"
    assert source_name("unknown.example") == "unknown.example"
    corpus = {r["source"] for r in RECORDS}
    assert corpus <= set(names)


@pytest.mark.parametrize("spec, expected", [
    ("aawsat", {"aawsat"}),
    ("aawsat,reuters", {"aawsat", "reuters"}),
    ("-reuters", {"aawsat"}),
    ("reuters,-aawsat", {"reuters"}),
])
def test_source_filter_takes_several_values_and_exclusions(client, spec, expected):
    body = client.get("/api/search", query_string={"q": QUERY, "source": spec,
                                                    "size": 100}).json
    assert {h["source"] for h in body["results"]} == expected
    assert body["total"] == sum(1 for r in RECORDS if _is_oil(r) and r["source"] in expected)
    tl = client.get("/api/timeline", query_string={"q": QUERY, "source": spec}).json
    assert sum(tl["total"].values()) == body["total"]


def test_source_facet_shows_outlet_names_and_toggles(client):
    page = client.get("/", query_string={"q": QUERY}).get_data(as_text=True)
    assert "<bdi>الشرق الأوسط</bdi>" in page and 'aria-label="Exclude Reuters"' in page
    chosen = client.get("/", query_string={"q": QUERY, "source": "aawsat"}).get_data(
        as_text=True)
    # with one outlet chosen, the others are still offered (counted without the source filter)
    assert "source=aawsat,reuters" in chosen
    assert 'aria-labelledby="facet-source"' in chosen


# ---- the home page -------------------------------------------------------------------------

def test_home_page_says_what_is_in_the_index(client):
    import html
    import re
    page = client.get("/").get_data(as_text=True)
    langs = Counter(r["lang"] for r in RECORDS)
    stats = " ".join(re.search(r'class="hero__stats">(.*?)</p>', page, re.S).group(1).split())
    assert f"{len(RECORDS):,} articles" in stats
    assert f"{langs['ar']:,} in Arabic" in stats and f"{langs['en']:,} in English" in stats
    assert f"from {len({r['source'] for r in RECORDS})} sources" in stats
    first = min(r["date"] for r in RECORDS if r.get("date"))[:10]
    assert f'datetime="{first}"' in stats
    examples = [html.unescape(q) for q in re.findall(
        r'<a class="chip" href="[^"]*" dir="auto"><bdi>(.*?)</bdi>', page)]
    assert examples and not set(examples) & {"لافروف", "Lavrov"}  # from this index, not seeds
    assert any(re.search(r"[\u0600-\u06ff]", q) for q in examples)
    for q in examples:  # each comes from titles and finds them
        body = client.get("/api/search", query_string={"q": q}).json
        assert body["total"] >= 2, q


def test_one_result_reads_result(client, index_dir):
    page = client.get("/", query_string={"q": "undated"}).get_data(as_text=True)
    assert " 1 result\n" in page or " 1 result " in page and "1 results" not in page
    out = run_cli("query", "undated", "--index", index_dir).stdout
    assert out.startswith("1 result (") and "1 results" not in out


def test_chart_draws_a_long_empty_run_as_one_break():
    from web.chart import GAP, ChartSeries, render_chart
    counts = [3, 0, 1] + [0] * (GAP + 4) + [2]
    svg = render_chart([f"2015-01-{d:02d}" for d in range(1, len(counts) + 1)], "day",
                       [ChartSeries("English", counts)], lambda i: f"/?i={i}",
                       lambda i: f"period {i}")
    assert svg.count('class="chart__period"') == 4  # three short periods and the last
    assert f"{GAP + 4:,} days without a match" in svg
    assert 'href="/?i=1"' in svg  # a short empty run stays, as periods one can click


# ---- proximity: "word1 word2"~N, documented in the README's syntax table -------------------

@pytest.mark.parametrize("query, found", [
    ('"Russian Lavrov"~4', True),  # "Russian Foreign Minister Sergei Lavrov": 4 apart
    ('"Russian Lavrov"', False),
    ('"Lavrov Russian"~4', False),  # in order
    ('"وزير لافروف"~4', True),  # "وزير الخارجية الروسي سيرغي لافروف"
    ('"وزير لافروف"~3', False),
    ('"لافروف وزير"~4', False),
])
def test_proximity_in_both_languages(seed_index, query, found):
    import re
    page = search.run_search(query, index_dir=seed_index, size=20)
    assert not page.fallback
    assert bool(page.total) is found
    pair = re.findall(r'"(\S+) (\S+)"', query)[0]
    for hit in page.results:  # both words are there, the first before the second
        text = hit.title + " " + search.get_document(hit.id, index_dir=seed_index).body
        assert pair[0] in text and pair[1] in text
    if found:  # the README's syntax table shows it
        readme = search.__file__.rsplit("/search/", 1)[0] + "/README.md"
        assert query in open(readme, encoding="utf-8").read()


def test_chart_offers_each_interval(client):
    import re
    page = client.get("/", query_string={"q": QUERY}).get_data(as_text=True)
    links = dict((name, href.replace("&amp;", "&")) for href, name in re.findall(
        r'<a href="([^"]+)"[^>]*>(Auto|Day|Week|Month)</a>', page))
    assert set(links) == {"Day", "Week", "Month"}  # auto is the page itself
    assert '<strong class="chart__interval" aria-current="true">Auto</strong>' in page
    monthly = client.get(links["Month"]).get_data(as_text=True)
    assert "Articles per month" in monthly
    assert monthly.count('class="chart__period"') == len({r["date"][:7] for r in _dated_oil()})


def test_timeline_feed_and_source_facet_follow_the_cross_choice(client):
    args = {"q": "نفط", "interval": "month"}
    both = client.get("/api/timeline", query_string=args).json
    typed = client.get("/api/timeline", query_string={**args, "cross": "0"}).json
    assert typed["total"]["en"] == 0 < both["total"]["en"]  # "oil" through the dictionary
    assert typed["total"]["ar"] == both["total"]["ar"]
    page = client.get("/api/search", query_string={"q": "نفط", "size": 100}).json
    assert sum(both["total"].values()) == page["total"]
    feed_typed = client.get("/feed", query_string={"q": "نفط", "cross": "0"}).get_data(
        as_text=True)
    feed_both = client.get("/feed", query_string={"q": "نفط"}).get_data(as_text=True)
    assert 'xml:lang="en"' not in feed_typed and 'xml:lang="en"' in feed_both
    html = client.get("/", query_string={"q": "نفط", "source": "aawsat,reuters",
                                         "cross": "0"}).get_data(as_text=True)
    assert "cross=False" in html.split('aria-label="Languages"')[0]  # links keep the choice
