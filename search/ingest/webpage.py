"""HTML pages: the article's own text, without scripts, menus, sidebars or comment forms."""
from __future__ import annotations

import codecs
import re
from urllib.parse import urlsplit

# selectolax 1.x removed the old `selectolax.parser` (Modest) backend; Lexbor has the same API.
from selectolax.lexbor import LexborHTMLParser, LexborNode

from search.errors import IngestError
from search.ingest.boilerplate import strip_boilerplate
from search.ingest.encoding import decode_bytes
from search.ingest.nesting import flatten_deep
from search.ingest.fields import (
    derive_title, join_paragraphs, normalise_lang, one_line, parse_date, truncate_body,
    truncate_title,
)
from search.model import Article

DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
             "iframe", "svg", "template", "button", "select", "canvas", "object", "embed"]
BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "center", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol",
    "p", "section", "summary", "table", "td", "th", "tr", "ul", "body", "html",
})
DATE_SELECTORS = (
    'meta[property="article:published_time"]', 'meta[name="article:published_time"]',
    'meta[property="og:published_time"]', 'meta[itemprop="datePublished"]',
    'meta[name="pubdate"]', 'meta[name="publishdate"]', 'meta[name="date"]',
    'meta[name="DC.date.issued"]',
)
_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ")


def decode_html(data: bytes) -> str:
    """Decode a page: BOM or UTF-8 first, then the charset its <meta> declares, then guess."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            or b"\x00" in data[:4096]:
        return decode_bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data)


def parse_html(text: str, article_id: str, path: str = "") -> Article:
    """Parse one HTML page into an Article; raises IngestError when it has no article text."""
    tree = LexborHTMLParser(flatten_deep(text))  # the parser is quadratic in nesting depth
    site = _meta(tree, 'meta[property="og:site_name"]')
    url = _absolute(_attr(tree.css_first('link[rel="canonical"]'), "href")) \
        or _absolute(_meta(tree, 'meta[property="og:url"]'))
    # Read title and date before dropping <header>, which often holds the <h1> and <time>.
    heading = _text_of(tree.css_first("article h1")) or _text_of(tree.css_first("h1"))
    title = truncate_title(_meta(tree, 'meta[property="og:title"]') or heading
                           or _strip_site(_text_of(tree.css_first("title")), site))
    date = None
    for selector in DATE_SELECTORS:
        date = date or parse_date(_meta(tree, selector))
    for moment in tree.css("article time[datetime]") + tree.css("time[datetime]"):
        date = date or parse_date(_attr(moment, "datetime"))
    lang = normalise_lang(_attr(tree.css_first("html"), "lang"))
    tree.strip_tags(DROP_TAGS, recursive=True)
    paragraphs = _paragraphs(_pick_container(tree))
    while paragraphs and one_line(paragraphs[0]) in (title, heading):
        paragraphs.pop(0)  # the headline again
    lines = [line for paragraph in paragraphs for line in paragraph.split("\n") + [""]]
    body = truncate_body(join_paragraphs(strip_boilerplate(lines)))
    if not body:
        raise IngestError("no article text in the page")
    return Article(
        id=article_id, title=title or derive_title(body), body=body, date=date,
        source=site or _domain(url), url=url, lang=lang, path=path,
    )


def _pick_container(tree: LexborHTMLParser) -> LexborNode:
    """The <article>, else <main>, else the element whose <p> children hold the most text."""
    # the outermost ones only: an article inside another holds less text, and measuring
    # each of a nested chain reads the same text again and again
    articles = [node for node in tree.css("article") if not _inside_article(node)]
    if articles:
        return max(articles, key=lambda node: len(node.text(strip=True)))
    main = tree.css_first("main") or tree.css_first('[role="main"]')
    if main is not None:
        return main
    scores: dict[int, tuple[int, LexborNode]] = {}
    for paragraph in tree.css("p"):
        parent = paragraph.parent
        if parent is not None:
            score, _ = scores.get(parent.mem_id, (0, parent))
            scores[parent.mem_id] = (score + len(paragraph.text(strip=True)), parent)
    if scores:
        return max(scores.values(), key=lambda pair: pair[0])[1]
    return tree.body or tree.root


def _inside_article(node: LexborNode) -> bool:
    parent = node.parent  # at most MAX_DEPTH steps: the page was flattened
    while parent is not None:
        if parent.tag == "article":
            return True
        parent = parent.parent
    return False


def _paragraphs(root: LexborNode) -> list[str]:
    """Text of each block under root; <br> becomes a line break inside a paragraph."""
    paragraphs: list[str] = []
    pieces: list[str] = []

    def flush() -> None:
        lines = (one_line(line) for line in "".join(pieces).split("\n"))
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
        pieces.clear()

    # An explicit stack, not recursion: scraped pages can nest thousands deep.
    stack: list[tuple[LexborNode, bool]] = [(root, True)]
    while stack:
        node, entering = stack.pop()
        tag = node.tag or ""
        if not entering:
            flush()
        elif tag == "-text":
            pieces.append(node.text(deep=False))
        elif tag == "br":
            pieces.append("\n")
        elif tag == "pre":
            flush()
            pieces.append(node.text())
            flush()
        elif not tag.startswith("-"):
            if tag in BLOCK_TAGS:
                flush()
                stack.append((node, False))
            children = []
            child = node.child
            while child is not None:
                children.append(child)
                child = child.next
            stack.extend((child, True) for child in reversed(children))
    flush()
    return paragraphs


def _meta(tree: LexborHTMLParser, selector: str) -> str:
    return one_line(_attr(tree.css_first(selector), "content"))


def _attr(node: LexborNode | None, name: str) -> str:
    value = node.attributes.get(name) if node is not None else None
    return value.strip() if isinstance(value, str) else ""


def _text_of(node: LexborNode | None) -> str:
    return one_line(node.text()) if node is not None else ""


def _strip_site(title: str, site: str) -> str:
    """"Headline | Site" → "Headline" when the site is known."""
    for separator in _TITLE_SEPARATORS:
        head, _, tail = title.rpartition(separator)
        if head and site and tail.strip().lower() == site.lower():
            return head.strip()
    return title


def _absolute(url: str) -> str:
    return url if url.lower().startswith(("http://", "https://")) else ""


def _domain(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # a malformed address is no reason to lose the article
        host = ""
    return host.removeprefix("www.")
