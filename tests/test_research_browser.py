"""Research tools in a real browser (issue 15): the chart narrows the search, the date window
filters, the export downloads, the skip link works, and axe-core finds no serious or critical
accessibility violation on the home, results and article pages in both directions.

`python -m web` on a free port with its index built from a dated bilingual corpus; Debian's
chromium through Playwright; axe-core from the npm registry (installed by `make test`).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import unavailable, web_server
from test_research import QUERY, RECORDS, _dated_oil

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(os.environ.get("AXE_CORE_JS") or
           ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js")
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("research-browser-corpus")
    (folder / "news.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("research-browser") / "index"
    log = tmp_path_factory.mktemp("research-browser-log") / "server.log"
    with web_server(str(index_dir), "--build-from", str(folder), log=log) as base:
        yield base
    assert "Traceback" not in log.read_text()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.foreign, page.errors = [], []
    page.on("request", lambda r: r.url.startswith(server) or page.foreign.append(r.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    yield page
    context.close()
    assert page.foreign == [], "the page fetched something from another origin"
    assert not [e for e in page.errors if "Content Security Policy" in e]


def _results(page) -> list[dict]:
    """The shown results' ids and dates."""
    return page.eval_on_selector_all(
        "li.result", "els => els.map(e => ({href: e.querySelector('h2 a').getAttribute('href'),"
                     " date: (e.querySelector('time') || {}).getAttribute ?"
                     " e.querySelector('time').getAttribute('datetime') : null}))")


def test_clicking_a_period_of_the_chart_narrows_the_search(page, server):
    page.goto(f"{server}/?q={QUERY}&interval=month&size=100")
    bars = page.locator("svg.chart__svg a.chart__period")
    months = sorted({r["date"][:7] for r in _dated_oil()})
    assert bars.count() == len(months)
    assert page.locator(".chart__legend li").all_inner_texts() == ["Arabic", "English"]
    assert page.locator("svg.chart__svg").bounding_box()["width"] > 500
    bars.nth(1).click()
    page.wait_for_url(re.compile(r".*from=.*"))
    args = parse_qs(urlsplit(page.url).query)
    assert args["from"] == [f"{months[1]}-01"] and args["to"][0].startswith(months[1])
    shown = _results(page)
    expected = [r for r in _dated_oil() if r["date"][:7] == months[1]]
    assert len(shown) == len(expected) > 0
    assert all(s["date"][:7] == months[1] for s in shown)
    # the chart's numbers as a table, for screen readers and anyone who wants them
    page.goto(f"{server}/?q={QUERY}&interval=month")
    page.locator(".chart__table summary").click()
    cells = page.locator(".chart__table tbody tr").first.locator("td").all_inner_texts()
    first = [r for r in _dated_oil() if r["date"][:7] == months[0]]
    assert cells[0] == str(sum(r["lang"] == "ar" for r in first))


def test_the_date_window_filters_and_sorts_oldest_first(page, server):
    page.goto(f"{server}/?q={QUERY}")
    page.fill("#window-from", "2015-04-01")
    page.fill("#window-to", "2015-04-30")
    page.get_by_role("button", name="Apply dates").click()
    page.wait_for_url(re.compile(r".*from=2015-04-01.*"))
    expected = [r for r in _dated_oil() if r["date"].startswith("2015-04")]
    heading = page.locator("#results-heading").inner_text()
    assert heading.startswith(f"{len(expected)} results")
    page.get_by_role("link", name="Oldest").click()
    page.wait_for_url(re.compile(r".*sort=oldest.*"))
    dates = [s["date"] for s in _results(page)]
    assert dates == sorted(dates) and dates[0].startswith("2015-04")
    assert page.locator("#window-from").input_value() == "2015-04-01"
    # a preset: the last week of the index's data
    page.get_by_role("link", name="Last week").click()
    page.wait_for_url(re.compile(r".*from=.*"))
    last = max(r["date"] for r in RECORDS if r.get("date"))[:10]
    assert parse_qs(urlsplit(page.url).query)["to"] == [last]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_export_downloads_with_arabic_intact(page, server, fmt):
    page.goto(f"{server}/?q=نفط&cross=0")  # as typed: the download keeps the choice
    label = "CSV" if fmt == "csv" else "JSON Lines"
    with page.expect_download() as info:
        page.locator(".downloads").get_by_role("link", name=label).click()
    download = info.value
    assert download.suggested_filename == f"news-export.{fmt}"
    data = Path(download.path()).read_bytes().decode("utf-8")
    if fmt == "csv":
        assert data.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(data[1:])))
    else:
        rows = [json.loads(line) for line in data.splitlines()]
    arabic = {r["id"]: r for r in RECORDS if r["lang"] == "ar" and "النفط" in r["title"]}
    assert {r["id"] for r in rows} == set(arabic)
    assert all(r["title"] == arabic[r["id"]]["title"] for r in rows)


def test_skip_to_results_passes_the_facets_and_the_chart(page, server):
    page.goto(f"{server}/?q={QUERY}")
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent.trim()")
    assert skip == "Skip to results"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # the next stop is the first result's title, not a facet or a period of the chart
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href == _results(page)[0]["href"]
    assert page.locator(".facets section ul[aria-labelledby]").count() >= 2


def _axe(page) -> list[dict]:
    if not AXE.exists():
        unavailable(f"axe-core is not installed at {AXE}: run `make axe` (npm install)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", [
    "/",
    f"/?q={QUERY}",  # both scripts: English left to right, Arabic right to left
    "/?q=نفط&lang=ar",  # an Arabic page of results
    "/?q=oil&sort=oldest&from=2015-04-01&to=2015-05-31",
    "/?q=oil&source=aawsat,-reuters",  # the multi-value source facet, no results
    "/doc/r000?q=نفط",  # an Arabic article
    "/doc/r001?q=oil",  # an English article
])
def test_no_serious_accessibility_violations(browser, server, path):
    # axe is injected as a script of the test's own: the page's CSP (no inline scripts)
    # would refuse it, so this context alone bypasses it
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(server + path)
        violations = _axe(page)
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    finally:
        context.close()


def test_suggestions_as_you_type_are_chosen_with_the_keyboard(page, server):
    page.goto(server + "/")
    box = page.locator("#q")
    box.press_sequentially("oil pr", delay=30)
    options = page.locator("#q-suggestions [role=option]")
    options.first.wait_for(state="visible")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "true"
    shown = options.all_inner_texts()
    expected = requests_suggest(server, "oil pr")
    assert shown == expected and shown
    box.press("ArrowDown")
    box.press("ArrowDown")
    second = options.nth(1) if len(shown) > 1 else options.first
    assert box.get_attribute("aria-activedescendant") == second.get_attribute("id")
    assert second.get_attribute("aria-selected") == "true"
    chosen = second.inner_text()
    box.press("Enter")
    page.wait_for_url(re.compile(r".*[?&]q=.*"))
    assert parse_qs(urlsplit(page.url).query)["q"] == [chosen]
    assert page.locator("#q").input_value() == chosen
    # Arabic, right to left: Escape closes the list and the box keeps what was typed
    page.goto(server + "/")
    page.locator("#q").press_sequentially("النف", delay=30)
    options.first.wait_for(state="visible")
    assert all(t.startswith("النف") for t in options.all_inner_texts())
    page.locator("#q").press("Escape")
    assert page.locator("#q-suggestions").is_hidden()
    assert page.locator("#q").input_value() == "النف"


def requests_suggest(server: str, prefix: str) -> list[str]:
    """What the API suggests for a prefix (what the list must show)."""
    from urllib.parse import quote
    from urllib.request import urlopen
    with urlopen(f"{server}/api/suggest?q={quote(prefix)}") as answer:
        return json.loads(answer.read())["suggestions"]


def test_no_serious_accessibility_violations_with_suggestions_open(browser, server):
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{server}/?q=oil")
        page.locator("#q").fill("")
        page.locator("#q").press_sequentially("oil", delay=30)
        page.locator("#q-suggestions [role=option]").first.wait_for(state="visible")
        page.locator("#q").press("ArrowDown")
        violations = _axe(page)
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    finally:
        context.close()
