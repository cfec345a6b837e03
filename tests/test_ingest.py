"""search.ingest: seeds, encodings, JSON/JSONL/HTML, limits and awkward files, on real files."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from search.errors import IngestError
from search.ingest import (
    MAX_BODY_CHARS, MAX_FILE_BYTES, SUPPORTED_SUFFIXES, decode_bytes, parse_file, read_articles,
)
from search.ingest.fields import file_article_id
from search.ingest.reflow import reflow_text
from search.model import Article, Skipped

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED = {n: next(SEEDS.glob(f"{n}_*.txt")) for n in ("000", "001", "002", "003", "004")}
ARABIC = "ظريف ولافروف يوقعان اتفاقية تعاون"
ARABIC_TEXT = f"{ARABIC}\n\nقال وزير الخارجية الروسي إن العلاقات بين البلدين جيدة ومتينة.\n"


def write(folder: Path, name: str, content: bytes | str) -> Path:
    """Create a file under folder (parents too) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read_all(*paths: os.PathLike | str) -> list[Article | Skipped]:
    return list(read_articles(paths))


def one_skip(path: Path) -> Skipped:
    items = read_all(path)
    assert len(items) == 1 and isinstance(items[0], Skipped), items
    return items[0]


# --- the seeds -------------------------------------------------------------------------

@pytest.mark.parametrize("seed, title", [
    ("000", "Iran, Russia Sign Information Security Cooperation Pact"),
    ("001", "Iran and Russia have held high-level talks on bilateral ties, the region…"),
    ("002", "ظريف ولافروف يوقعان اتفاقية تعاون في مجال الأمن السيبراني ويتباحثان حول الملف "
            "النووي وأمن المنطقة"),
    ("003", "Iranian FM: Iran-Russia Defense Coop. Against No Side"),
    ("004", "Lavrov’s visit to Tehran amid JCPOA talks heralds bright prospects for ties "
            "with Russia"),
])
def test_seed_titles(seed: str, title: str) -> None:
    [article] = parse_file(SEED[seed])
    assert article.title == title
    assert article.id == SEED[seed].stem
    assert article.path == str(SEED[seed])
    assert article.lang == ""


def test_seed_000_header_gives_source_and_date() -> None:
    [article] = parse_file(SEED["000"])
    assert article.source == "kayhan.ir"
    assert article.date == datetime(2021, 1, 26, 21, 36)
    assert article.body.startswith("TEHRAN (Dispatches) –Highest-ranking diplomats")
    assert "News ID" not in article.body and "kayhan.ir" not in article.body


def test_seed_001_title_is_derived_from_first_paragraph() -> None:
    [article] = parse_file(SEED["001"])
    assert article.body.startswith("Tehran, Iran – Iran and Russia have held high-level talks")
    assert article.title.endswith("…") and len(article.title) <= 101
    assert "Tehran, Iran" not in article.title  # the dateline is not the headline


def test_seed_003_byline_is_not_title_or_text() -> None:
    [article] = parse_file(SEED["003"])
    assert "By Staff" not in article.title and "By Staff" not in article.body
    assert article.body.startswith("Saying that defense cooperation is one of the issues")


def test_seed_004_agency_dateline_gives_source() -> None:
    [article] = parse_file(SEED["004"])
    assert article.source == "IRNA"
    assert article.body.startswith("Moscow, April 18, IRNA – Analysts believe")


@pytest.mark.parametrize("seed, gone, last_sentence", [
    ("001", ["No comments", "Post a Comment"],
     "called a turning point in joint cybersecurity work."),
    ("002", ["اترك تعليقاً", "مقالات ذات صلة", "لن يتم نشر عنوان بريدك", "الحقول الإلزامية",
             "5 × واحد", "زر الذهاب إلى الأعلى", "التلغرام"],
     "لذا آمل أن تتاح لي الفرصة لمناقشتها في موسكو”."),
    ("004", ["Follow us on Twitter", "Related News", "Your Comment", "You are replying to"],
     "They also agreed upon going ahead with talks on issues of mutual interests."),
    ("000", [], "the 42nd anniversary of the victory of Iran’s Islamic Revolution in February."),
    ("003", [], "a terrorist war against nations,\" he underlined."),
])
def test_seed_boilerplate_is_cut_and_last_sentence_kept(seed: str, gone: list[str],
                                                        last_sentence: str) -> None:
    [article] = parse_file(SEED[seed])
    for text in gone:
        assert text not in article.body
    assert article.body.endswith(last_sentence)


def test_seed_folder_reads_five_articles_in_name_order() -> None:
    items = read_all(SEEDS)
    assert [item.id for item in items] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert all(isinstance(item, Article) for item in items)


# --- plain text layout -----------------------------------------------------------------

def test_line_endings_and_whitespace_are_normalised(tmp_path: Path) -> None:
    raw = b"  Title line  \r\n\r\n  Line one.\rLine two.  \n\n\n\n\tPara two.\r\n"
    [article] = parse_file(write(tmp_path, "mixed.txt", raw))
    assert article.title == "Title line"
    assert article.body == "Line one.\nLine two.\n\nPara two."


@pytest.mark.parametrize("header, date, source, url", [
    ("Publish Date : 26 January 2021 - 21:36", datetime(2021, 1, 26, 21, 36), "", ""),
    ("Date: 2021-01-26", datetime(2021, 1, 26), "", ""),
    ("Published: 2021-01-26T21:36:00Z", datetime(2021, 1, 26, 21, 36), "", ""),
    ("Date: 2021-01-26T21:36:00+03:30", datetime(2021, 1, 26, 18, 6), "", ""),
    ("التاريخ: 26 يناير 2021", datetime(2021, 1, 26), "", ""),
    ("January 26, 2021", datetime(2021, 1, 26), "", ""),
    ("https://www.presstv.ir/Detail/2021/01/26/1", None, "presstv.ir",
     "https://www.presstv.ir/Detail/2021/01/26/1"),
    ("Source: Tehran Times", None, "Tehran Times", ""),
])
def test_header_lines(tmp_path: Path, header: str, date: datetime | None, source: str,
                      url: str) -> None:
    text = f"{header}\n\nNews ID: 1\n\nThe Headline\n\nThe body says something.\n"
    [article] = parse_file(write(tmp_path, "h.txt", text))
    assert (article.title, article.body) == ("The Headline", "The body says something.")
    assert (article.date, article.source, article.url) == (date, source, url)


@pytest.mark.parametrize("text, title, body_start", [
    ("By Staff, Agencies\n\nThe minister arrived in Moscow on Tuesday night. He met officials "
     "from many countries and spoke about trade, energy and security for a long time.",
     "The minister arrived in Moscow on Tuesday night", "The minister arrived"),
    ("A single short line", "A single short line", "A single short line"),
    ("Elections on 5 May 2021\n\nVoters went to the polls.", "Elections on 5 May 2021", "Voters"),
    ("Tuesday, 26 January 2021\nThe Headline\nText.", "The Headline", "Text."),
    ("Is Iran ready for talks?\nYes, officials said on Monday.", "Is Iran ready for talks?",
     "Yes, officials said"),
    ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
     "fifteen sixteen seventeen eighteen nineteen twenty twentyone twentytwo twentythree "
     "twentyfour twentyfive twentysix",
     "one two three four five six seven eight nine ten eleven twelve…", "one two three"),
])
def test_title_choice_and_derivation(tmp_path: Path, text: str, title: str,
                                     body_start: str) -> None:
    [article] = parse_file(write(tmp_path, "t.txt", text))
    assert article.title == title
    assert article.body.startswith(body_start)


@pytest.mark.parametrize("tail", [
    "Share this\nTweet\nEmail",
    "Related Articles\nIran signs deal with Russia\nZarif visits Moscow",
    "Leave a Reply\nYour email address will not be published. Required fields are marked *\n"
    "Name *\nEmail *",
    "You may also like\nTags: Iran, Russia",
    "اقرأ أيضا\nشارك\nتابعونا على تويتر",
    "أخبار ذات صلة\nعنوان خبر آخر\nجميع الحقوق محفوظة 2021",
])
def test_boilerplate_tails_are_cut(tmp_path: Path, tail: str) -> None:
    text = f"Title\n\nThe real article has a sentence that ends here.\n\n{tail}\n"
    [article] = parse_file(write(tmp_path, "b.txt", text))
    assert article.body == "The real article has a sentence that ends here."


@pytest.mark.parametrize("body", [
    "The minister declined to comment on the report.\nComments from officials were mixed.",
    "Officials would not comment\non the sale of the company's shares.\nshare.",
    "First paragraph of the story.\n\nRelated News\n\n" + "A long real paragraph goes on. " * 8,
    "Short story.\n\nShare",  # the marker is all but the text: too much to cut
])
def test_text_that_merely_mentions_markers_is_kept(tmp_path: Path, body: str) -> None:
    [article] = parse_file(write(tmp_path, "k.txt", f"Title\n\n{body}"))
    if body.endswith("Share"):
        assert article.body == "Short story."  # an isolated marker line at the end is dropped
    else:
        assert article.body == reflow_text(body.strip())  # wrapped lines are joined (issue 15)


def test_read_also_links_are_dropped_inside_the_text(tmp_path: Path) -> None:
    text = ("عنوان\n\nالفقرة الأولى من الخبر.\n\nاقرأ أيضاً: عنوان خبر آخر لا علاقة له\n\n"
            "الفقرة الثانية من الخبر.\n")
    [article] = parse_file(write(tmp_path, "a.txt", text))
    assert article.body == "الفقرة الأولى من الخبر.\n\nالفقرة الثانية من الخبر."


# --- encodings -------------------------------------------------------------------------

@pytest.mark.parametrize("encode", [
    pytest.param(lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"), id="utf-8-bom"),
    pytest.param(lambda s: s.encode("utf-16"), id="utf-16-le-bom"),
    pytest.param(lambda s: b"\xfe\xff" + s.encode("utf-16-be"), id="utf-16-be-bom"),
    pytest.param(lambda s: s.encode("utf-16-le"), id="utf-16-le-no-bom"),
    pytest.param(lambda s: s.encode("utf-16-be"), id="utf-16-be-no-bom"),
    pytest.param(lambda s: s.encode("cp1256"), id="windows-1256"),
    pytest.param(lambda s: s.encode("utf-32"), id="utf-32-bom"),
])
def test_arabic_in_every_encoding(tmp_path: Path, encode) -> None:
    [article] = parse_file(write(tmp_path, "ar.txt", encode(ARABIC_TEXT)))
    assert article.title == ARABIC
    assert article.body == "قال وزير الخارجية الروسي إن العلاقات بين البلدين جيدة ومتينة."


@pytest.mark.parametrize("data, text", [
    (b"plain ascii", "plain ascii"),
    ("Le président a été élu.".encode("cp1252"), "Le président a été élu."),
    ("Title\n\nBody".encode("utf-16-le"), "Title\n\nBody"),
])
def test_decode_bytes_text(data: bytes, text: str) -> None:
    assert decode_bytes(data) == text


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 8,
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00!\xf9\x04",
])
def test_decode_bytes_binary(data: bytes) -> None:
    with pytest.raises(IngestError, match="binary file"):
        decode_bytes(data)


# --- files that are skipped ------------------------------------------------------------

@pytest.mark.parametrize("name, content, reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \n\t\r\n  ", "empty file"),
    ("blank16.txt", "   \n  ".encode("utf-16"), "empty file"),
    ("nul.txt", b"Title\n\nbody\x00\x01\x02\x00\x00\x00\x07\x00binary" * 20, "binary file"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
     "unsupported or binary file (.png)"),
    ("archive.zip", b"PK\x03\x04" + b"x" * 100, "unsupported or binary file (.zip)"),
    ("only-header.txt", "kayhan.ir\n\nNews ID: 5\n", "no article text after the header"),
    ("empty.jsonl", b"\n\n", "empty file"),
    ("empty.html", b"<html><body><nav>menu</nav><script>x()</script></body></html>",
     "no article text in the page"),
])
def test_unreadable_files_are_skipped_with_a_reason(tmp_path: Path, name: str, content: bytes,
                                                    reason: str) -> None:
    path = write(tmp_path, name, content)
    skipped = one_skip(path)
    assert (skipped.path, skipped.reason) == (str(path), reason)
    with pytest.raises(IngestError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_file(path)


def test_unknown_suffix_with_text_is_read_as_text(tmp_path: Path) -> None:
    [article] = parse_file(write(tmp_path, "notes.md", "A Headline\n\nSome text here.\n"))
    assert (article.id, article.title, article.body) == ("notes", "A Headline", "Some text here.")


@pytest.mark.parametrize("name, limit", [("huge.txt", "50 MB"), ("huge.json", "50 MB"),
                                         ("huge.html", "10 MB")])
def test_file_over_the_limit_is_skipped_without_reading(tmp_path: Path, name: str,
                                                         limit: str) -> None:
    path = tmp_path / name
    with open(path, "wb") as f:
        f.truncate(212 * 1024 * 1024)  # sparse: no disk used, nothing written
    assert one_skip(path).reason == f"file too large (212 MB > {limit} limit)"
    assert MAX_FILE_BYTES == 50 * 1024 * 1024


def test_long_body_is_truncated_at_a_word_boundary(tmp_path: Path) -> None:
    body = ("word " * 9 + "final.\n") * (MAX_BODY_CHARS // 50 + 1000)
    [article] = parse_file(write(tmp_path, "long.txt", "Long One\n\n" + body))
    assert article.title == "Long One"
    assert MAX_BODY_CHARS // 2 < len(article.body) <= MAX_BODY_CHARS
    assert article.body.endswith("final.")


def test_dangling_symlink_in_a_folder(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "Title A\n\nBody A.")
    (tmp_path / "b.txt").symlink_to(tmp_path / "missing.txt")
    items = read_all(tmp_path)
    assert [type(i).__name__ for i in items] == ["Article", "Skipped"]
    assert items[1].path == str(tmp_path / "b.txt")
    assert items[1].reason.startswith("broken symbolic link")


def test_named_pipe_is_skipped_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    assert one_skip(tmp_path / "pipe.txt").reason == "not a regular file (a named pipe)"


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", "Title\n\nBody.")
    path.chmod(0)
    try:
        with open(path, "rb"):
            readable = True  # root reads anything: then the file must simply come through
    except PermissionError:
        readable = False
    items = read_all(path)
    path.chmod(0o644)
    if readable:
        assert isinstance(items[0], Article) and items[0].body == "Body."
    else:
        assert items == [Skipped(str(path), "permission denied")]


def test_missing_path() -> None:
    missing = "/no/such/place.txt"
    assert read_all(missing) == [Skipped(missing, "no such file or directory")]


# --- JSON and JSON Lines ---------------------------------------------------------------

RECORD = {"id": "00547aa58e06a45f", "title": "عنوان", "body": "نص الخبر.",
          "date": "2015-07-21T02:51:32", "source": "aawsat", "url": "http://aawsat.com/x",
          "lang": "ar"}


def test_json_object(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", json.dumps(RECORD, ensure_ascii=False))
    [article] = parse_file(path)
    assert article == Article(id="00547aa58e06a45f", title="عنوان", body="نص الخبر.",
                              date=datetime(2015, 7, 21, 2, 51, 32), source="aawsat",
                              url="http://aawsat.com/x", lang="ar", path=str(path))


def test_json_list_with_a_bad_record(tmp_path: Path) -> None:
    records = [RECORD, 3, dict(RECORD, id="b", title=["x"])]
    path = write(tmp_path, "list.json", json.dumps(records))
    items = read_all(path)
    assert isinstance(items[0], Article) and items[0].id == "00547aa58e06a45f"
    assert items[1:] == [
        Skipped(f"{path}#2", "record 2: record is a number, expected an object"),
        Skipped(f"{path}#3", "record 3: title is a list, expected text"),
    ]
    assert [a.id for a in parse_file(path)] == ["00547aa58e06a45f"]


@pytest.mark.parametrize("content, reason", [
    ('{"id": "a", "title": "T", "body": "tru', "invalid JSON: Unterminated string"),
    ("[1, 2", "invalid JSON: Expecting ',' delimiter"),
    ("42", "JSON holds a number, expected an object or a list of objects"),
    ('"just text"', "JSON holds text, expected an object or a list of objects"),
    ("[]", "JSON list holds no records"),
    ('{"title": 5, "body": "b"}', "title is a number, expected text"),
    ('{"title": "t", "body": ["b"]}', "body is a list, expected text"),
    ('{"title": "t", "text": {"p": 1}}', "text is an object, expected text"),
    ('{"id": [1], "body": "b"}', "id is a list, expected text or a whole number"),
    ('{"body": "b", "source": 7}', "source is a number, expected text"),
    ('{"title": "No body here"}', "record has no body"),
    ('{"title": "t", "body": "  \\n "}', "record has no body"),
])
def test_bad_json_files(tmp_path: Path, content: str, reason: str) -> None:
    path = write(tmp_path, "bad.json", content)
    assert one_skip(path).reason.startswith(reason)
    with pytest.raises(IngestError):
        parse_file(path)


@pytest.mark.parametrize("record, field, value", [
    ({"id": 12, "body": "b"}, "id", "12"),
    ({"text": "from text"}, "body", "from text"),
    ({"content": "from content"}, "body", "from content"),
    ({"body": "b", "published": "2021-01-26"}, "date", datetime(2021, 1, 26)),
    ({"body": "b", "published_at": "2021-01-26T21:36:00Z"}, "date", datetime(2021, 1, 26, 21, 36)),
    ({"body": "b", "date": "2021-01-26T21:36:00+03:30"}, "date", datetime(2021, 1, 26, 18, 6)),
    ({"body": "b", "date": "not a date"}, "date", None),
    ({"body": "b", "date": 1611696960}, "date", datetime(2021, 1, 26, 21, 36)),
    ({"body": "b", "lang": "en-US"}, "lang", "en"),
    ({"body": "b", "source": "  Reuters "}, "source", "Reuters"),
    ({"body": "First sentence of the body here. Second one."}, "title",
     "First sentence of the body here"),
    ({"url": "http://x.com/a", "body": "b"}, "id",
     hashlib.sha1(b"http://x.com/a").hexdigest()[:16]),
    ({"title": "T", "body": "B"}, "id", hashlib.sha1(b"T\nB").hexdigest()[:16]),
])
def test_json_fields(tmp_path: Path, record: dict, field: str, value: object) -> None:
    [article] = parse_file(write(tmp_path, "r.json", json.dumps(record)))
    assert getattr(article, field) == value


def test_jsonl_broken_lines_are_skipped_and_good_ones_kept(tmp_path: Path) -> None:
    lines = [json.dumps(dict(RECORD, id="a")), '{"id": "b", "title": ', "",
             json.dumps({"id": "c", "title": 5, "body": "x"}), json.dumps(dict(RECORD, id="d"))]
    path = write(tmp_path, "feed.jsonl", "\ufeff" + "\n".join(lines) + "\n")
    items = read_all(path)
    assert [i.id for i in items if isinstance(i, Article)] == ["a", "d"]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [s.path for s in skipped] == [f"{path}:2", f"{path}:4"]
    assert skipped[0].reason.startswith("line 2: invalid JSON: ")
    assert skipped[1].reason == "line 4: title is a number, expected text"
    assert [a.id for a in parse_file(path)] == ["a", "d"]


def test_jsonl_line_over_10_mb_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "big", "body": "x" * (11 * 1024 * 1024)}) + "\n")
        f.write(json.dumps({"id": "small", "body": "fine"}) + "\n")
    items = read_all(path)
    assert items[0] == Skipped(f"{path}:1", "line 1: line too long (11 MB > 10 MB limit)")
    assert isinstance(items[1], Article) and items[1].id == "small"


@pytest.mark.parametrize("name", ["feed.jsonl.gz", "feed.json.gz", "feed.ndjson.gz"])
def test_gzipped_json(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    records = [dict(RECORD, id=str(n)) for n in range(3)]
    text = json.dumps(records) if name.endswith(".json.gz") else \
        "\n".join(json.dumps(r) for r in records)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text)
    assert [a.id for a in parse_file(path)] == ["0", "1", "2"]
    assert name.removeprefix("feed") in SUPPORTED_SUFFIXES


def test_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    lines = "".join(json.dumps(dict(RECORD, id=str(n), body=f"body {n} " * 50)) + "\n"
                    for n in range(2000))
    data = gzip.compress(lines.encode("utf-8"))
    path.write_bytes(data[: len(data) // 2])
    items = read_all(path)
    assert isinstance(items[0], Article) and items[0].id == "0"
    assert items[-1] == Skipped(str(path), "gzip data is truncated or corrupt")


# --- HTML ------------------------------------------------------------------------------

PAGE = """<!doctype html><html lang="en-US"><head><meta charset="utf-8">
<title>Iran &amp; Russia sign pact | Kayhan</title>
<meta property="og:site_name" content="Kayhan">
<meta property="article:published_time" content="2021-01-26T21:36:00+03:30">
<link rel="canonical" href="https://www.kayhan.ir/en/news/86965">
<style>.secret-style { color: red }</style>
<script>var t = "SECRET_SCRIPT";</script></head><body>
<header><nav><a href="/">Home</a><a>MENU_ITEM</a></nav></header>
<article><h1>Iran &amp; Russia sign pact</h1>
<p>TEHRAN &ndash; Iran and Russia signed an &quot;information security&quot; deal.</p>
<p>Zarif said:<br>&laquo;We are ready.&raquo;</p>
<script>document.write("SECRET_SCRIPT")</script><noscript>NOSCRIPT_TEXT</noscript>
<p>Sputnik&nbsp;V &mdash; caf&eacute; &#1587;&#1604;&#1575;&#1605;.</p>
<div>Share this</div><form><p>Your Comment</p><textarea></textarea></form></article>
<aside><p>SIDEBAR_TEXT</p></aside><footer>FOOTER_TEXT</footer></body></html>"""


def test_html_page(tmp_path: Path) -> None:
    path = write(tmp_path, "page.html", PAGE)
    [article] = parse_file(path)
    assert article.title == "Iran & Russia sign pact"
    assert article.body == ('TEHRAN – Iran and Russia signed an "information security" deal.\n\n'
                            "Zarif said:\n«We are ready.»\n\nSputnik V — café سلام.")
    for hidden in ("SECRET_SCRIPT", "secret-style", "MENU_ITEM", "NOSCRIPT_TEXT", "SIDEBAR_TEXT",
                   "FOOTER_TEXT", "Your Comment", "&amp;"):
        assert hidden not in article.body
    assert article.date == datetime(2021, 1, 26, 18, 6)
    assert (article.source, article.url, article.lang) == (
        "Kayhan", "https://www.kayhan.ir/en/news/86965", "en")
    assert article.id == "page"


@pytest.mark.parametrize("head, body, title", [
    ('<meta property="og:title" content="From OG">', "<h1>From H1</h1>", "From OG"),
    ("<title>From Title</title>", "<h1>From H1</h1>", "From H1"),
    ("<title>From Title</title>", "", "From Title"),
    ('<meta property="og:site_name" content="Site"><title>Story - Site</title>', "", "Story"),
    ("", "", "The text of the page is here"),
])
def test_html_title_sources(tmp_path: Path, head: str, body: str, title: str) -> None:
    html = (f"<html><head>{head}</head><body>{body}"
            "<p>The text of the page is here.</p></body></html>")
    [article] = parse_file(write(tmp_path, "t.htm", html))
    assert article.title == title
    assert article.body == "The text of the page is here."


def test_html_without_article_takes_the_densest_block(tmp_path: Path) -> None:
    html = ("<html><body><div class=side><p>Short link</p></div><div class=story>"
            "<p>The first real paragraph of the story.</p><h2>Sub heading</h2>"
            "<p>The second real paragraph of the story.</p></div>"
            '<time datetime="2020-05-01T10:00">May 1</time></body></html>')
    [article] = parse_file(write(tmp_path, "d.html", html))
    assert article.body == ("The first real paragraph of the story.\n\nSub heading\n\n"
                            "The second real paragraph of the story.")
    assert article.date == datetime(2020, 5, 1, 10, 0)


def test_html_in_windows_1256_with_declared_charset(tmp_path: Path) -> None:
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
            f"</head><body><main><h1>{ARABIC}</h1><p>نص الخبر هنا.</p></main></body></html>")
    [article] = parse_file(write(tmp_path, "ar.html", html.encode("cp1256")))
    assert (article.title, article.body) == (ARABIC, "نص الخبر هنا.")


# --- names, walking, ids ---------------------------------------------------------------

@pytest.mark.parametrize("name, expected_id", [
    ("abc-1_x.txt", "abc-1_x"),
    ("مقال عربي.txt", "f-" + hashlib.sha1("مقال عربي.txt".encode()).hexdigest()[:16]),
    ("with space.txt", "f-" + hashlib.sha1(b"with space.txt").hexdigest()[:16]),
    ("new\nline.txt", "f-" + hashlib.sha1(b"new\nline.txt").hexdigest()[:16]),
    ("x" * 90 + ".txt", "f-" + hashlib.sha1(("x" * 90 + ".txt").encode()).hexdigest()[:16]),
])
def test_awkward_file_names(tmp_path: Path, name: str, expected_id: str) -> None:
    path = write(tmp_path / "dir with space", name, "Title\n\nBody.")
    [article] = read_all(path.parent)
    assert (article.id, article.path) == (expected_id, str(path))
    assert [a.id for a in read_all(path.parent)] == [expected_id]  # stable across runs


def test_walk_is_sorted_recursive_and_skips_hidden(tmp_path: Path) -> None:
    for name in ("b/2.txt", "a.txt", "b/1.txt", "c.txt", ".hidden.txt", ".git/x.txt", "b/.h/y.txt"):
        write(tmp_path, name, f"Title {name}\n\nBody.")
    assert [Path(i.path).relative_to(tmp_path).as_posix() for i in read_all(tmp_path)] == [
        "a.txt", "b/1.txt", "b/2.txt", "c.txt"]


def test_symlink_loops_do_not_hang_and_files_are_read_once(tmp_path: Path) -> None:
    write(tmp_path, "sub/a.txt", "Title\n\nBody.")
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # sub/up/sub/up/... forever
    (tmp_path / "sub" / "same.txt").symlink_to(tmp_path / "sub" / "a.txt")
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    items = read_all(tmp_path, tmp_path / "sub", tmp_path / "sub" / "a.txt")
    # read once, from the first root: a file in a subfolder has its relative path in its id
    assert [i.id for i in items if isinstance(i, Article)] == [
        file_article_id(str(tmp_path / "sub" / "a.txt"), str(tmp_path))]
    assert [(Path(s.path).name, s.reason) for s in items if isinstance(s, Skipped)] == [
        ("self.txt", "symbolic link loop")]


def test_read_articles_takes_path_objects_and_strings(tmp_path: Path) -> None:
    write(tmp_path, "x.txt", "Title\n\nBody.")
    assert [a.path for a in read_all(tmp_path / "x.txt")] == [str(tmp_path / "x.txt")]
    assert [a.path for a in read_all(str(tmp_path))] == [str(tmp_path / "x.txt")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400),
       suffix=st.sampled_from([".txt", ".json", ".jsonl", ".html", ".bin"]))
def test_read_articles_never_raises(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"f{suffix}"
        path.write_bytes(data)
        for item in read_articles([path]):
            assert isinstance(item, (Article, Skipped))
            if isinstance(item, Skipped):
                assert item.reason and item.path.startswith(str(path))
            else:
                assert item.body.strip() and item.title.strip() and "\r" not in item.body
