"""The page in a real browser: `python -m web` on a free port, driven by headless Chromium.

Uses Debian's chromium (/usr/bin/chromium) through Playwright's Python package; nothing is
downloaded. Without them the tests skip locally and fail under CI=true.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import web_server

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory, web_hostile_dir):
    """The real server, as `make run` starts it: builds its index from seeds/ and more."""
    index_dir = tmp_path_factory.mktemp("browser") / "index"
    log = tmp_path_factory.mktemp("browser-log") / "server.log"
    with web_server(str(index_dir), "--build-from", "seeds", "--build-from", web_hostile_dir,
                    log=log) as base:
        yield base
    output = log.read_text()
    assert "Built the index" in output and "Serving on http://127.0.0.1:" in output
    assert "Traceback" not in output, output


@pytest.fixture()
def page(browser, server):
    """A fresh page that records dialogs, requests to other origins and console errors."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.dialogs, page.foreign, page.errors = [], [], []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: r.url.startswith(server) or page.foreign.append(r.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()
    assert page.dialogs == [], "a script from an article or a query ran"
    assert page.foreign == [], "something was loaded from another origin"
    csp = [e for e in page.errors if "Content Security Policy" in e]
    assert csp == [], "the page breaks its own Content-Security-Policy"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def search_from_home(page, server, query: str) -> None:
    """Type a query into the home page's box and submit it, as a person does."""
    page.goto(server + "/")
    box = page.locator("#q")
    assert page.evaluate("document.activeElement.id") == "q", "the box is focused"
    box.fill(query)
    box.press("Enter")
    page.wait_for_url("**/?q=*")
    page.locator("li.result").first.wait_for()


def computed(locator, prop: str) -> str:
    return locator.evaluate(f"el => getComputedStyle(el).{prop}")


def test_home_page(page, server):
    page.goto(server + "/")
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.get_by_label("Search Arabic and English news").count() == 1
    shoot(page, "home-desktop")


def test_arabic_query_reads_right_to_left(page, server):
    search_from_home(page, server, "لافروف")
    result = page.locator("li.result[lang='ar']").first
    assert computed(result, "direction") == "rtl"
    assert computed(result.locator(".result__snippet"), "direction") == "rtl"
    assert computed(result.locator(".result__title"), "direction") == "rtl"
    marks = result.locator("mark").all_inner_texts()
    assert "لافروف" in marks
    # the text starts on the right: the title's right edge is at the card's right edge
    card, title = result.bounding_box(), result.locator(".result__title a").bounding_box()
    assert card["x"] + card["width"] - (title["x"] + title["width"]) < 40
    shoot(page, "results-ar-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "results-ar-phone")
    page.set_viewport_size(DESKTOP)

    result.locator(".result__title a").click()
    page.wait_for_url("**/doc/**")
    body = page.locator(".doc__body")
    assert computed(body, "direction") == "rtl"
    assert "لافروف" in body.locator("mark").all_inner_texts()
    assert computed(page.locator(".doc__title"), "direction") == "rtl"
    shoot(page, "article-ar-desktop")


def test_english_query_reads_left_to_right(page, server):
    search_from_home(page, server, "Lavrov")
    results = page.locator("li.result")
    assert results.count() >= 3
    first = results.first
    assert computed(first, "direction") == "ltr"
    assert "Lavrov" in page.locator("li.result mark").all_inner_texts()
    assert page.locator(".results-bar__count").inner_text().split()[0].isdigit()
    shoot(page, "results-en-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "results-en-phone")
    page.set_viewport_size(DESKTOP)

    title = first.locator(".result__title a").inner_text()
    first.locator(".result__title a").click()
    page.wait_for_url("**/doc/**")
    assert page.locator("h1.doc__title").inner_text() == title
    assert "Lavrov" in page.locator(".doc__body mark").all_inner_texts()
    page.go_back()
    page.locator("li.result").first.wait_for()


def test_facets_and_sort_narrow_the_results(page, server):
    page.goto(server + "/?q=" + "Lavrov OR لافروف")
    total = page.locator("li.result").count()
    directions = page.locator("li.result").evaluate_all(
        "els => els.map(e => getComputedStyle(e).direction)")
    assert set(directions) == {"ltr", "rtl"}  # both directions on one page
    shoot(page, "results-mixed-desktop")
    page.locator(".facet__link", has_text="Arabic").click()
    page.wait_for_url("**lang=ar**")
    assert 0 < page.locator("li.result").count() < total
    assert page.locator("li.result[lang='en']").count() == 0
    page.locator(".sort__option", has_text="Newest").click()  # date, newest first
    page.wait_for_url("**sort=date**")
    assert "lang=ar" in page.url


def test_slash_focuses_the_search_box(page, server):
    page.goto(server + "/?q=Lavrov")
    page.locator("h1").click()
    assert page.evaluate("document.activeElement.id") != "q"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"


def test_hostile_article_runs_no_script(page, server):
    search_from_home(page, server, "zanzibarquux")
    hrefs = page.locator(".result__title a").evaluate_all("els => els.map(e => e.href)")
    assert len(hrefs) >= 2
    for href in hrefs:
        page.goto(href)
        page.locator(".doc__body").wait_for()
        assert page.locator("img[src='x'], iframe, b").count() == 0
        assert page.locator("script").count() == 1  # the page's own app.js
        assert not page.locator("a[href^='javascript']").count()
    page.goto(server + "/?q=zanzibarquux+headline")
    page.locator(".result__title a").first.click()
    page.wait_for_url("**/doc/**")
    assert "<script>alert(1)</script>" in page.locator("h1.doc__title").inner_text()
    assert "<img src=x onerror=alert(3)>" in page.locator(".doc__body").inner_text()
    # and the query itself
    page.goto(server + "/?q=" + '"><img src=x onerror=alert(9)><script>alert(10)</script>')
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#q").input_value().startswith('"><img')
    page.wait_for_timeout(200)  # give a dialog, if any, the time to open
