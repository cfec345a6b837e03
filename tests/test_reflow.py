"""Re-flowing hard-wrapped text at ingest (issue 15): wire copy reads as paragraphs."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from search.ingest import article_from_record, parse_file
from search.ingest.boilerplate import strip_boilerplate
from search.ingest.fields import join_paragraphs, split_lines, truncate_body
from search.ingest.reflow import reflow_text

NEWS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "news"

REUTERS = """Showers continued throughout the week in
the Bahia cocoa zone, alleviating the drought since early
January and improving prospects for the coming temporao,
although normal humidity levels have not been restored,
Comissaria Smith said in its weekly review.
The dry period means the temporao will be late this year.
Arrivals for the week ended February 22 were 155,221 bags
of 60 kilos making a cumulative total for the season of 5.93
mln against 5.81 at the same stage last year."""


def test_wire_copy_becomes_paragraphs():
    out = reflow_text(REUTERS)
    paragraphs = out.split("\n\n")
    assert len(paragraphs) == 3
    assert all("\n" not in p for p in paragraphs)
    assert paragraphs[0].startswith("Showers continued throughout the week in the Bahia")
    assert paragraphs[0].endswith("in its weekly review.")
    assert paragraphs[1] == "The dry period means the temporao will be late this year."
    # every word is kept, in order
    assert out.split() == REUTERS.split()


@pytest.mark.parametrize("text", [
    # scraped pages: one paragraph a line, each a sentence
    "First paragraph of a scraped page ends here.\nSecond paragraph, also a whole one.\n"
    "Third paragraph closes the article.",
    # Arabic verse: no case, so no proof of wrapping
    "وعاد العيد يا وطني\nوأنت على المدى جوهر\nوعدت اليوم يا وطني\nبرغم جراحنا أكبر",
    # a numbered list, and a signature block
    "1 - تطبيق «فيسبوك ميسنجر» Facebook Messenger\n2 - تطبيق «غوغل فوتوز» Google Photos\n"
    "3 - تطبيق «فيسبوك» Facebook",
    "* استشاري باطنية وقلب\nمركز الأمير سلطان للقلب في الرياض\nh.sandokji@asharqalawsat.com",
    # long lines are paragraphs already
    ("word " * 40 + "\n") * 3,
    # two lines tell nothing
    "a short line\nand another",
])
def test_text_that_is_not_wrapped_is_kept(text):
    assert reflow_text(text) == text


def test_blank_lines_still_end_paragraphs():
    text = REUTERS + "\n\nSecond block stays a paragraph of its own."
    out = reflow_text(text)
    assert out.endswith("\n\nSecond block stays a paragraph of its own.")


def test_records_and_text_files_are_reflowed(tmp_path):
    article = article_from_record({"id": "r1", "title": "COCOA", "body": REUTERS, "lang": "en"})
    assert article.body == reflow_text(REUTERS) and "\n\n" in article.body
    path = tmp_path / "wire.txt"
    path.write_text("Cocoa review\n\n" + REUTERS + "\n", encoding="utf-8")
    (parsed,) = list(parse_file(str(path)))
    assert parsed.body.split("\n\n")[1] == \
        "The dry period means the temporao will be late this year."


def test_the_reuters_corpus_reads_as_prose_and_arabic_is_untouched():
    """On the real corpora: most Reuters articles lose their line breaks inside sentences;
    the Arabic corpus keeps its text (no case, so no proof of wrapping)."""
    if not NEWS.exists():
        pytest.skip("../shared/data/news is not here")
    changed = {"reuters21578": 0, "saudinewsnet": 0}
    seen = dict.fromkeys(changed, 0)
    for name in changed:
        with gzip.open(NEWS / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
            for line, _ in zip(f, range(2000)):
                record = json.loads(line)
                article = article_from_record(record)
                unflowed = truncate_body(join_paragraphs(strip_boilerplate(
                    split_lines(record["body"]))))
                seen[name] += 1
                changed[name] += article.body != unflowed
    assert changed["reuters21578"] > 0.5 * seen["reuters21578"]
    assert changed["saudinewsnet"] < 0.01 * seen["saudinewsnet"]
