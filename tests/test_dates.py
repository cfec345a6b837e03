"""Date filters to the day (issue 17, item 4): the grammar, explain, the seeds, a news subset."""
from __future__ import annotations

from datetime import date, datetime

import pytest

import search
from conftest import all_result_ids
from search.dates import parse_span
from search.errors import QueryError

ZARIF_JAN = "000_f4c48d42ded4b03b"  # the seed article of 26 Jan 2021


@pytest.mark.parametrize("spec, first, last", [
    ("2021", date(2021, 1, 1), date(2021, 12, 31)),
    ("2021-01", date(2021, 1, 1), date(2021, 1, 31)),
    ("2020-02", date(2020, 2, 1), date(2020, 2, 29)),  # a leap year
    ("2021-01-26", date(2021, 1, 26), date(2021, 1, 26)),
    ("20210126", date(2021, 1, 26), date(2021, 1, 26)),
    ("[2015-07-14 TO 2015-07-15]", date(2015, 7, 14), date(2015, 7, 15)),
    ("[2015-07 TO 2015-08]", date(2015, 7, 1), date(2015, 8, 31)),
    ("{2015-07-14 TO 2015-07-16}", date(2015, 7, 15), date(2015, 7, 15)),
    ("[2015-07-01 TO *]", date(2015, 7, 1), None),
    ("[* TO 2015]", None, date(2015, 12, 31)),
    ("[2021 TO]", date(2021, 1, 1), None),
    (">2015-07-01", date(2015, 7, 2), None),
    (">=2015-07-01", date(2015, 7, 1), None),
    ("<2015-07", None, date(2015, 6, 30)),
    ("<=2015-07", None, date(2015, 7, 31)),
])
def test_date_grammar(spec, first, last):
    span = parse_span(spec)
    assert (span.first, span.last) == (first, last)


@pytest.mark.parametrize("spec, message", [
    ("2021-13", "is not a date"), ("2021-02-30", "is not a date"), ("notadate", "is not a date"),
    ("[2021-05 TO 2021-01]", "ends before it starts"), ("[* TO *]", "at least one end"),
    ("<0001-01-01", "is not a date"), ("2021-01-01T10:00", "is not a date"),
])
def test_bad_dates_say_what_to_write(spec, message):
    with pytest.raises(QueryError, match=message):
        search.build_query(f"Zarif date:{spec}")


@pytest.mark.parametrize("text, shown", [
    ("Zarif date:[2015-07-14 TO 2015-07-15]", "date:[2015-07-14 TO 2015-07-15]"),
    ("date:2021-01", "date:[2021-01-01 TO 2021-01-31]"),
    ("date:2021-01-26", "date:2021-01-26"),
    ("date:>2015-07-01", "date:[2015-07-02 TO *]"),
])
def test_explain_shows_readable_dates(text, shown):
    explained = search.explain_query(text)
    assert shown in explained and "6355" not in explained  # no raw tick counts


@pytest.mark.parametrize("text, found", [
    ("Zarif date:[2021-03-01 TO 2021-04-30]", False),  # was widened to all of 2021
    ("Zarif date:2021-01", True),
    ("Zarif date:2021-01-26", True),
    ("Zarif date:[2021-01-26 TO 2021-01-26]", True),
    ("Zarif date:2021-01-27", False),
    ("Zarif date:>2021-01-26", False),
    ("Zarif date:>=2021-01-26", True),
    ("Zarif date:<2021-01-26", False),
    ("Zarif date:[2021-01-20 TO *]", True),
])
def test_seed_dates_to_the_day(seed_index, text, found):
    page = search.run_search(text, index_dir=seed_index, size=100)
    assert (ZARIF_JAN in {h.id for h in page.results}) is found


@pytest.mark.parametrize("spec", [
    "2015-07-25", "2015-07", "[2015-07-27 TO 2015-07-31]", "[2015-08-05 TO *]", ">2015-08-08",
    "<2015-07-23", "1987-03", "[1987-03-01 TO 1987-03-31]", "<=1987-02-28", "1987",
])
def test_news_dates_match_the_records(news_index, news_subset, spec):
    span = parse_span(spec)

    def inside(record: dict) -> bool:
        if not record.get("date") or not record.get("body", "").strip():
            return False
        day = datetime.fromisoformat(record["date"]).date()
        return (span.first is None or day >= span.first) and (span.last is None
                                                              or day <= span.last)
    expected = {r["id"] for r in news_subset if inside(r)}
    assert expected, f"the subset has no article in {spec}: pick another day"
    assert all_result_ids(f"date:{spec}", news_index) == expected
