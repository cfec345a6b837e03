"""The writer: one session's changes to an index, committed in batches (a killed writer loses
at most one batch, readers see progress), with unchanged articles and duplicates left out."""
from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator

from search.analysis import detect_language, lead_stems
from search.copies import CopyFinder
from search.crossling import name_field
from search.engine import LEAD_WORDS, WriteSession
from search.model import Article, Skipped
from search.settings import DEFAULTS

COMMIT_EVERY = DEFAULTS.commit_every  # articles per commit in a long run: what a crash can lose at most
COMMIT_SECONDS = 5.0  # and how long readers wait, at most, to see progress
GROUP_COPIES = True  # near-duplicates grouped at index time (off only to measure its cost)


@dataclass
class IndexReport:
    """What an indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    by_lang: Counter = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)  # unreadable files and records
    duplicates: list[Skipped] = field(default_factory=list)  # same text or URL as another id
    warnings: list[Skipped] = field(default_factory=list)  # indexed, but something dropped
    missing: list[str] = field(default_factory=list)  # ids asked to remove that were not there
    commits: int = 0
    files: int = 0
    recovered: str | None = None  # the writer that died holding the lock, if one did
    seconds: float = 0.0
    index_dir: str = ""

    @property
    def documents(self) -> int:
        """Articles written (added or updated)."""
        return self.added + self.updated

    def to_json(self) -> dict:
        """A JSON summary for the CLI and the API."""
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "by_lang": dict(self.by_lang),
                "skipped": [_skip_json(s) for s in self.skipped],
                "duplicates": [_skip_json(s) for s in self.duplicates],
                "warnings": [_skip_json(s) for s in self.warnings],
                "missing": self.missing, "commits": self.commits, "files": self.files,
                "recovered": self.recovered, "seconds": round(self.seconds, 3),
                "index_dir": self.index_dir}


def _skip_json(skipped: Skipped) -> dict:
    """A skipped file for JSON: an undecodable file name's bytes shown as \\udcXX escapes."""
    return {"path": skipped.path.encode("utf-8", "backslashreplace").decode("utf-8"),
            "reason": skipped.reason}


@dataclass(frozen=True)
class Fingerprint:
    """Digests of an article: its text finds the same story under another id; text, record
    and file together find an unchanged article (same text, metadata and file)."""

    text: str  # 16 hex digits of the title and body, spaces and case folded
    record: str  # 16 hex digits of every indexed field
    file: str  # 8 hex digits of the path it was read from

    @property
    def content(self) -> tuple[str, str]:
        """What the article says, wherever it was read from."""
        return self.text, self.record

    def stored(self) -> str:
        """The form kept in the index's ``hash`` field (schema 2: ``text-record-file``)."""
        return f"{self.text}-{self.record}-{self.file}"

    @staticmethod
    def stored_prefix(text: str) -> str:
        """The start of every stored fingerprint with this text digest."""
        return text + "-"


def fingerprint(article: Article) -> Fingerprint:
    """The article's fingerprint."""
    text = " ".join(f"{article.title} {article.body}".split()).casefold()
    record = "\x1f".join([article.title, article.body, article.source, article.url,
                          article.lang, article.date.isoformat() if article.date else ""])
    return Fingerprint(_sha1(text)[:16], _sha1(record)[:16], _sha1(article.path)[:8])


def _content(stored: dict) -> tuple[str, str]:
    """The content digests (Fingerprint.content) of a stored article."""
    text, _, rest = (stored.get("hash") or "").partition("-")
    return text, rest.partition("-")[0]


def _seen_key(doc_id: str, content: tuple[str, str]) -> bytes:
    """8 bytes for an article read with this content (a digest: a set of them is small)."""
    return hashlib.blake2b("\x1f".join((doc_id, *content)).encode("utf-8", "surrogatepass"),
                           digest_size=8).digest()


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def _utf8(text: str) -> str:
    """Text Whoosh can encode: lone surrogates (from JSON "\\ud800") become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def article_fields(article: Article, digest: Fingerprint | None = None) -> dict:
    """The Whoosh document of an article (language detected here when not given)."""
    title, body = _utf8(article.title), _utf8(article.body)
    lang = article.lang or detect_language(title + "\n" + body)
    article.lang = lang
    doc = {
        "id": _utf8(article.id),
        "title": (lang, title), "_stored_title": title,
        "title_exact": (lang, title),
        "body": (lang, body), "_stored_body": body,
        "body_exact": (lang, body),
        "names": name_field(title + "\n" + body),
        "lead": " ".join(lead_stems(body, lang, LEAD_WORDS)) or None,
        "lang": lang,
        "source": _utf8(article.source) or None,
        "url": _utf8(article.url) or None,
        "path": article.path or None,
        "hash": (digest or fingerprint(article)).stored(),
    }
    if article.date is not None:
        doc["date"] = article.date
        doc["year"] = str(article.date.year)
    return doc


Progress = Callable[[Article | Skipped], None]


class IndexSession:
    """One writer's changes to an index, committed every ``commit_every`` articles or
    ``commit_seconds``; duplicates are checked against the last commit plus this batch.
    ``target`` is the engine's write session (search.engine.WriteSession)."""

    def __init__(self, target: WriteSession, report: IndexReport, *,
                 commit_every: int | None = COMMIT_EVERY,
                 commit_seconds: float | None = COMMIT_SECONDS,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.target, self.report = target, report
        self.commit_every, self.commit_seconds = commit_every, commit_seconds
        self.on_commit = on_commit
        self._started = 0.0
        self._seen: dict[str, tuple[str, str]] = {}  # id -> content, of every article read
        # … and of those written out (_forget_written) 8 bytes each: (id, content) digests
        self._seen_out: set[bytes] = set()
        self._reset_batch()
        self.copies = CopyFinder(self._band_lookup) if GROUP_COPIES else None

    def _reset_batch(self) -> None:
        self._batch: dict[str, str] = {}  # id -> file, of articles written since the commit
        self._texts: dict[str, str] = {}  # text digest -> id, in this batch
        self._urls: dict[str, str] = {}  # lowercased URL -> id, in this batch
        self._gone: set[str] = set()  # ids deleted since the last commit
        self._changes = 0

    # -- what the index holds ----------------------------------------------------------------

    def _committed(self, fieldname: str, text: str) -> Iterator[dict]:
        """Stored fields of committed, undeleted documents with ``text`` in ``fieldname``."""
        for stored in self.target.lookup(fieldname, text):
            if stored["id"] not in self._gone:
                yield stored

    def _band_lookup(self, bands: list[str]) -> Iterator[dict]:
        """Committed articles sharing a band word (search.copies), deleted ones left out."""
        for stored in self.target.lookup_any("bands", bands):
            if stored["id"] not in self._gone:
                yield stored

    def indexed(self, doc_id: str) -> dict | None:
        """The stored fields of an article as last committed (None if absent or deleted)."""
        return next(self._committed("id", doc_id), None)

    def _owner(self, kind: str, key: str, doc_id: str) -> str | None:
        """Another id that already has this text digest or URL (this batch, then the index)."""
        mine = self._texts if kind == "text" else self._urls
        if mine.get(key, doc_id) != doc_id:
            return mine[key]
        if kind == "text":
            terms = self.target.words_with_prefix("hash", Fingerprint.stored_prefix(key))
        else:
            terms = [key]
        for term in terms:
            for stored in self._committed("hash" if kind == "text" else "url", term):
                # an id rewritten in this batch no longer has its committed text or URL
                if stored["id"] != doc_id and stored["id"] not in self._batch:
                    return stored["id"]
        return None

    def indexed_paths(self, under: str) -> list[str]:
        """Paths of indexed files inside the folder ``under`` (some may have only deleted docs)."""
        prefix = under.rstrip(os.sep) + os.sep
        return self.target.words_with_prefix("path", prefix)

    def ids_from(self, path: str) -> set[str]:
        """Ids of the committed articles read from ``path``."""
        return {stored["id"] for stored in self._committed("path", path)}

    # -- changes -----------------------------------------------------------------------------

    def add(self, item: Article | Skipped) -> None:
        """Add a new article, update a changed one, skip an unchanged one or a duplicate."""
        report = self.report
        if isinstance(item, Skipped):
            report.skipped.append(item)
            return
        if item.path and item.path != _utf8(item.path):
            report.skipped.append(Skipped(item.path, "the file name is not valid UTF-8; rename it"))
            return
        for note in item.notes:
            report.warnings.append(Skipped(item.path or item.id, note))
        digest = fingerprint(item)
        content = digest.content
        seen = self._seen.get(item.id)
        if seen == content or (seen is None and _seen_key(item.id, content) in self._seen_out):
            # read already in this run, from another file:
            report.unchanged += 1               # the first file keeps it (no ping-pong)
            return
        self._seen[item.id] = content
        if item.id in self._batch:  # changed within one run: commit the first version
            self.commit()
        old = self.indexed(item.id)
        if old is not None and self._seen_out:  # a version written out is replaced
            self._seen_out.discard(_seen_key(item.id, _content(old)))
        if old is not None and old.get("hash") == digest.stored():
            report.unchanged += 1
            return
        text, url = digest.text, item.url.strip().lower()
        twin = self._owner("text", text, item.id)
        reason = f"same text as article {twin!r}" if twin else None
        if not twin and url and (twin := self._owner("url", url, item.id)):
            reason = f"same URL as article {twin!r}"
        if twin:
            report.duplicates.append(Skipped(item.path or item.id,
                                             f"article {item.id!r} not indexed: {reason}"))
            return
        # the writer opens first: the first article's fields load the name-key word lists
        # (search.analysis.namekey), and a kill in the meantime finds the writer open
        self.target.begin()
        doc = article_fields(item, digest)
        if self.copies is not None:  # the group of its copies, or its own (search.copies)
            doc["group"], bands, sketch = self.copies.assign(doc["id"], doc["_stored_body"])
            if bands:
                doc["bands"], doc["sketch"] = bands, sketch
        self._start()
        written_out = self.target.written_out()
        if old is None:  # new, or deleted earlier in this batch (a file moved)
            self.target.add(doc)
            report.added += 1
        else:
            self.target.update(doc)
            report.updated += 1
        if self.target.written_out() != written_out:
            self._forget_written(item.id)
        report.by_lang[item.lang] += 1
        self._batch[item.id] = item.path
        self._texts[text] = item.id
        if url:
            self._urls[url] = item.id
        self._changed()

    def _forget_written(self, doc_id: str) -> None:
        """The engine wrote this batch out but for ``doc_id`` (a rebuild's segment at its
        memory budget) and its lookups see it: what this session kept of those articles (ids,
        digests, URLs, copy signatures) is looked up in the index from now on, so a build's
        memory does not grow with the articles it has read."""
        self._batch.clear()
        self._texts.clear()
        self._urls.clear()
        mine = self._seen.pop(doc_id, None)
        self._seen_out.update(_seen_key(i, content) for i, content in self._seen.items())
        self._seen = {} if mine is None else {doc_id: mine}
        if self.copies is not None:
            self.copies.forget_all_but(doc_id)

    def remove(self, doc_id: str) -> bool:
        """Delete an article by id; False when there is none."""
        if doc_id in self._batch:
            self.commit()
        stored = self.indexed(doc_id)
        if stored is None:
            return False
        self._seen.pop(doc_id, None)
        if self._seen_out:
            self._seen_out.discard(_seen_key(doc_id, _content(stored)))
        self._start()
        self.target.delete("id", doc_id)
        self._gone.add(doc_id)
        if self.copies is not None:
            self.copies.forget(doc_id)
        self.report.removed += 1
        self._changed()
        return True

    def remove_path(self, path: str, tree: bool = False) -> int:
        """Delete the articles read from the file ``path`` (or from anywhere under it)."""
        paths = {path, *(self.indexed_paths(path) if tree else ())}
        if any(p in paths for p in self._batch.values()):
            self.commit()
        return sum(self.remove(doc_id) for p in paths for doc_id in sorted(self.ids_from(p)))

    def _start(self) -> None:
        if not self._changes:  # the batch's first change: its clock starts
            self._started = time.monotonic()

    def _changed(self) -> None:
        self._changes += 1
        if (self.commit_every and self._changes >= self.commit_every) or (
                self.commit_seconds and time.monotonic() - self._started >= self.commit_seconds):
            self.commit()

    def commit(self) -> None:
        """Make the batch durable and visible to readers."""
        if not self.target.commit():
            return
        self.report.commits += 1
        self._reset_batch()
        if self.copies is not None:  # what is committed, the index's bands find from now on
            self.copies = CopyFinder(self._band_lookup)
        if self.on_commit:
            self.on_commit()

    def cancel(self) -> None:
        """Drop the uncommitted batch; the index stays as of the last commit."""
        self.target.cancel()
        self._reset_batch()

    def close(self) -> None:
        """Release what the engine's session holds."""
        self.target.close()


__all__ = ["Fingerprint", "IndexReport", "IndexSession", "Progress", "article_fields",
           "fingerprint", "COMMIT_EVERY", "COMMIT_SECONDS"]
