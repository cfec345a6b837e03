"""Re-flow text wrapped at a fixed width (wire copy such as Reuters breaks every line).

A blank line ends a paragraph. Inside a block that reads as hard-wrapped, a single line break
becomes a space, except after a line that ends a sentence when the next line starts one: wire
paragraphs are often one sentence, and their indentation was lost before the text reached us.
A block whose lines mostly end sentences (scraped pages put one paragraph on each line) is
left as it is, as are lists, and so is text whose lines do not go on in lower case (Arabic
has no case, and its line-broken text is verse or lists, not wrapping).
"""
from __future__ import annotations

import re

MIN_LINES = 3  # fewer lines tell nothing about wrapping
MAX_WRAP_WIDTH = 110  # wrapped text is narrower than this; longer lines are paragraphs
MID_SENTENCE_SHARE = 0.5  # at least this share of the breaks fall inside a sentence
LOWER_SHARE = 0.3  # at least this share of the lines go on in lower case
# wrapped lines fill most of the width: at least this share of them reach FULL of the longest
# (signatures, addresses and tables have short lines of any length)
FULL, FULL_SHARE = 0.6, 0.7
# a line that ends a sentence: . ! ? ؟ (Arabic too), maybe closed by a quote or bracket
_SENTENCE_END = re.compile(r"[.!?\u061f\u06d4][\"'\u201d\u2019\u00bb)\]]*$")
# a line that starts a sentence: a capital, a digit, an opening quote, or a letter of a
# script without case (Arabic)
_SENTENCE_START = re.compile(r"^[\"'\u201c\u2018\u00ab(\[]*(?:[A-Z0-9]|[^\W\d_a-z])")
_LOWER_START = re.compile(r"^[\"'\u201c\u2018(]*[a-z\u00df-\u00ff]")
_LIST_ITEM = re.compile(r"^[\u200e\u200f\u202a-\u202e]*(?:[-*\u2022\u2013]\s|\d{1,3}[\u200e\u200f\u202a-\u202e]*\s?[-\u2013.)])")


def reflow_text(text: str) -> str:
    """``text`` with the line breaks of hard wrapping removed; paragraphs end at blank lines."""
    return "\n\n".join(_reflow_block(block) for block in text.split("\n\n"))


def _looks_wrapped(lines: list[str]) -> bool:
    if len(lines) < MIN_LINES or max(len(line) for line in lines) > MAX_WRAP_WIDTH:
        return False
    inner = lines[:-1]
    width = max(len(line) for line in lines)
    if sum(len(line) >= FULL * width for line in inner) < FULL_SHARE * len(inner):
        return False
    if sum(bool(_LIST_ITEM.match(line)) for line in lines) > len(lines) // 2:
        return False
    mid = sum(not _SENTENCE_END.search(line) for line in inner)
    # the proof of wrapping: lines go on in lower case. Scripts without case (Arabic) give no
    # such proof, and their line-broken text is verse, lists and signatures: kept as it is.
    lower = sum(bool(_LOWER_START.match(line)) for line in lines[1:])
    return mid >= MID_SENTENCE_SHARE * len(inner) and lower >= max(2, LOWER_SHARE * len(inner))


def _reflow_block(block: str) -> str:
    lines = [line.strip() for line in block.split("\n")]
    lines = [line for line in lines if line]
    if not _looks_wrapped(lines):
        return block
    paragraphs: list[list[str]] = [[lines[0]]]
    for before, line in zip(lines, lines[1:]):
        if (_SENTENCE_END.search(before) and _SENTENCE_START.match(line)) \
                or _LIST_ITEM.match(line):
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    return "\n\n".join(" ".join(p) for p in paragraphs)


__all__ = ["reflow_text"]
