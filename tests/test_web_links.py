"""The results page's links (issue 13, item 5: built without a deep copy and one url_for per
timeline bar) are the links search_url makes for each, and to_args keeps its rules."""
from __future__ import annotations

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
        for row in chart["rows"]:
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


def test_to_args_refuses_an_unknown_parameter():
    with pytest.raises(TypeError, match="bogus"):
        SearchParams(q="x").to_args(bogus=1)
