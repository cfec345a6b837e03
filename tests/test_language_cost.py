"""Language detection is cheap (issue 16, item 13): the script and function words decide most
texts, langdetect is asked only about long ambiguous ones, and only a bounded prefix is read."""
from __future__ import annotations

import random

import pytest

import search
from conftest import SEEDS
from search.analysis import language
from search.analysis.language import MIN_WORDS, PREFIX_CHARS, detect_language, language_sample
from search.ingest import read_articles

FRENCH = ("Le gouvernement a annoncé mardi une nouvelle série de mesures pour soutenir les "
          "entreprises touchées par la crise sanitaire, selon un communiqué publié dans la "
          "soirée par le ministère de l'économie et des finances. ")
GERMAN = ("Die Regierung hat am Dienstag eine neue Reihe von Maßnahmen angekündigt, um die von "
          "der Krise betroffenen Unternehmen zu unterstützen, teilte das Ministerium mit. ")


@pytest.fixture
def detector_calls(monkeypatch) -> list[str]:
    """The samples langdetect is asked about (the real detector still answers)."""
    calls: list[str] = []
    real = language._langdetect

    def counted(sample: str) -> str:
        calls.append(sample)
        return real(sample)
    monkeypatch.setattr(language, "_langdetect", counted)
    return calls


def _seed_texts() -> list[str]:
    articles = [a for a in read_articles([str(SEEDS)]) if isinstance(a, search.Article)]
    assert len(articles) >= 5
    return [a.title + "\n" + a.body for a in articles]


def test_seed_languages_are_the_detectors(detector_calls):
    # on real articles the shortcuts give what langdetect itself says on the same sample
    for text in _seed_texts():
        assert len(text.split()) >= MIN_WORDS
        assert detect_language(text) == language._langdetect(language_sample(text))


def test_tiny_records_never_ask_the_detector(detector_calls):
    rng = random.Random(3)
    words = "market trade oil bank rate dollar shares profit talks minister".split()
    tiny = [f"Report {n}\n" + " ".join(rng.choice(words) for _ in range(6)) for n in range(500)]
    assert {detect_language(t) for t in tiny} == {"en"}
    assert {detect_language(t) for t in ("Lavrov", "لافروف في موسكو", "Лавров в Москве")} == \
        {"en", "ar", "ru"}
    assert detector_calls == []


@pytest.mark.parametrize("text, lang", [(FRENCH * 3, "fr"), (GERMAN * 3, "de")])
def test_long_other_latin_text_still_asks_the_detector(detector_calls, text, lang):
    assert detect_language(text) == lang
    assert len(detector_calls) == 1


def test_a_bounded_prefix_is_examined(detector_calls):
    head = (FRENCH * 40)[:PREFIX_CHARS]
    huge = head + "لافروف في موسكو " * 200_000  # 3 MB of Arabic after the prefix
    assert detect_language(huge) == "fr"  # the tail is never read
    assert all(len(sample) <= PREFIX_CHARS for sample in detector_calls)
    assert detect_language(huge) == detect_language(head)
    assert len(language_sample(huge)) == PREFIX_CHARS
