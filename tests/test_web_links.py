"""The results page's links (issue 13, item 5: built without a deep copy and one url_for per
timeline bar) are the links search_url makes for each, and to_args keeps its rules."""
from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from web import create_app
from web.params import SearchParams, parse_params
from web.research import timeline_chart
from web.views import search_url


@pytest.mark.parametrize("args", [
    {"q": "Lavrov"}, {"q": "Iran Russia", "lang": "en", "page": "2"},
    {"q": "Lavrov", "cross": "0", "source": "-irna"}, {"q": "from=9999-12-01 Lavrov"},
    {"q": "Iran", "interval": "day", "from": "2021-01-01", "sort": "date"}])
def test_every_timeline_bar_links_as_search_url_would(seed_index, args):
    app = create_app({"SEARCH_INDEX": seed_index})
    with app.test_request_context("/", query_string=args):
        params = parse_params(args)
        chart = timeline_chart(params)
        assert chart is not None and chart["rows"]
        for row in (r for r in chart["rows"] if not r["empty"]):
            assert row["link"] == search_url(params, date_from=row["start"],
                                             date_to=row["end"])
            assert f"from={row['start']}" in row["link"]


@pytest.mark.parametrize("params,changes", [
    (SearchParams(q="x"), {}), (SearchParams(q="x", page=3, lang="ar"), {"page": 1}),
    (SearchParams(q="x", cross=False, exact=True), {"date_from": "2020-01-01"}),
    (SearchParams(q="", size=20), {"source": "reuters", "sort": "date"})])
def test_to_args_leaves_out_defaults_as_before(params, changes):
    values, defaults = asdict(replace(params, **changes)), asdict(SearchParams())
    names = {"date_from": "from", "date_to": "to"}
    expected = {names.get(k, k): v for k, v in values.items()
                if v not in (None, "") and v != defaults[k]}
    assert params.to_args(**changes) == expected


@pytest.mark.parametrize("params", [
    SearchParams(q="لافروف & co/x?#"), SearchParams(q="a b", page=2, lang="ar", sort="date",
                                                   source="aawsat,okaz"),
    SearchParams(q="x", cross=False, exact=True, group=False, size=50),
    SearchParams(q="", date_from="2011-01-01", date_to="2011-12-31")])
@pytest.mark.parametrize("changes", [
    {}, {"page": 3}, {"lang": "en"}, {"year": 2012}, {"source": "-reuters"},
    {"q": "new query é+%"}, {"date_from": "1987-03-01", "date_to": "1987-03-31"}])
def test_search_url_is_url_for_with_the_page_reset(tmp_path, params, changes):
    """search_url builds its links without url_for's rule matching (once a request): the same
    links, under a script root too."""
    from flask import url_for
    app = create_app({"SEARCH_INDEX": str(tmp_path)})
    expected = dict(changes)
    if any(k in changes for k in ("lang", "source", "year", "sort", "q", "date_from",
                                  "date_to", "cross")):
        expected.setdefault("page", 1)
    for root in ("", "/news"):
        with app.test_request_context("/", base_url="http://localhost" + root):
            link = search_url(params, **changes)
            assert link == url_for("web.index", **params.to_args(**expected))
            assert link.startswith(root + "/")


def test_to_args_refuses_an_unknown_parameter():
    with pytest.raises(TypeError, match="bogus"):
        SearchParams(q="x").to_args(bogus=1)


def test_the_charts_table_says_a_run_of_empty_periods_once(tmp_path):
    """Wire copy of one year and papers of years later on one monthly chart: the table has a
    row per month with matches and one row for the months between, as the chart's break."""
    from search.indexer import build_index
    from web.chart import GAP
    corpus = tmp_path / "corpus.jsonl"
    dated = ["1987-03-02", "1987-04-10", "1987-04-20", "2015-06-01", "2015-08-05"]
    corpus.write_text("".join(
        json.dumps({"id": f"a{i}", "title": f"Oil report {i}", "body": "Oil prices moved.",
                    "date": day, "lang": "en", "source": "wire"}) + "\n"
        for i, day in enumerate(dated)), encoding="utf-8")
    index_dir = str(tmp_path / "index")
    build_index([str(corpus)], index_dir)
    app = create_app({"SEARCH_INDEX": index_dir})
    args = {"q": "oil", "interval": "month"}
    with app.test_request_context("/", query_string=args):
        chart = timeline_chart(parse_params(args))
    full = [r for r in chart["rows"] if not r["empty"]]
    gaps = [r for r in chart["rows"] if r["empty"]]
    assert [r["start"][:7] for r in full if sum(c for c, _ in r["cells"])] == [
        "1987-03", "1987-04", "2015-06", "2015-08"]
    assert [(g["start"], g["end"], g["empty"]) for g in gaps] == [("1987-05-01", "2015-05-31",
                                                                   337)]
    assert all(r["empty"] < GAP for r in full) and len(chart["rows"]) == 6
    page = app.test_client().get("/", query_string=args).get_data(as_text=True)
    assert "No matches in these 337 months" in page
    assert page.count('<tr class="chart__gap">') == 1
