"""Bounded HTML nesting: lexbor (selectolax) takes time quadratic in how deep elements nest
(32,000 nested <div>s: 1.5 s; 100,000: 22 s), and the page's reader holds the write lock.

``flatten_deep`` is one linear pass over the tags: it follows the nesting depth as the tags
open and close, and drops the tags (never the text) below MAX_DEPTH, so the parser sees a
tree at most that deep and every word of the page is still read.
"""
from __future__ import annotations

import re

MAX_DEPTH = 256  # real pages nest a few dozen deep
# elements that never hold others (their close tag, if any, is ignored by browsers too)
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "param", "source", "track", "wbr"})
# raw text: what follows is not markup until the matching close tag
_RAW = ("script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed",
        "noframes", "plaintext")
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*?(/?)>|<!--.*?-->", re.S)


def nesting_depth(html: str) -> int:
    """The deepest nesting of elements, as the tags open and close (linear in the text)."""
    return _walk(html, None)[1]


def flatten_deep(html: str, max_depth: int = MAX_DEPTH) -> str:
    """``html`` with the tags nested deeper than ``max_depth`` removed (their text kept)."""
    if html.count("<") <= max_depth:  # cannot nest that deep: the common case, no work
        return html
    return _walk(html, max_depth)[0]


def _walk(html: str, max_depth: int | None) -> tuple[str, int]:
    out: list[str] = []
    depth = deepest = at = 0
    for match in _TAG.finditer(html):
        if match.start() < at:
            continue  # inside raw text skipped below
        closing, name, self_closing = match.group(1), (match.group(2) or "").lower(), match.group(3)
        if not name:  # a comment
            continue
        if closing:
            keep = max_depth is None or depth <= max_depth
            depth = max(0, depth - 1) if name not in VOID else depth
        elif name in VOID or self_closing:
            keep = True  # it nests nothing
        else:
            depth += 1
            deepest = max(deepest, depth)
            keep = max_depth is None or depth <= max_depth
            if name in _RAW:  # its text is not markup: kept whole, it nests nothing
                end = re.compile(rf"</{name}\s*>", re.I).search(html, match.end())
                if end is not None:
                    depth -= 1
                    if max_depth is not None:
                        out.append(html[at:end.end()])
                    at = end.end()
                    continue
        if max_depth is not None and not keep:
            out.append(html[at:match.start()])
            at = match.end()
    if max_depth is None:
        return "", deepest
    out.append(html[at:])
    return "".join(out), deepest


__all__ = ["MAX_DEPTH", "nesting_depth", "flatten_deep"]
