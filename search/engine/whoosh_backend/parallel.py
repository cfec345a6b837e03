"""Builds on two cores: a helper process indexes documents from the front of the queue while
this process reads the rest; then this process indexes from the back of the queue until the
two meet, so neither waits whatever else the machine does. The helper encodes the posting
lists of its documents (the first ones), this process those of its own, numbered after them,
and joins both into one segment: the index is the one a single writer would write, apart from
where posting blocks end, so scores that depend on segments (Whoosh's coordination) agree too.

The helper (``helper_main``) reads pickled batches of documents on stdin and answers on stdout
with pickled messages: its documents' field lengths and field names, then each field's
encoded posting lists in field order, then "done" (or "error" and a traceback).
"""
from __future__ import annotations

import collections
import ctypes
import gc
import os
import pickle
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec import default_codec
from whoosh.util.numeric import length_to_byte

from search import phases
from search.engine.whoosh_backend.fastwrite import (DocumentPostings, FastSegmentWriter, Row,
                                                    encode_terms, join_rows, write_postings)

HELPER_FROM = 1000  # documents: a smaller batch is not worth a second process
BATCH = 50  # documents per message to the helper: how finely the two share the work
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
# the package root first: `python -c` puts the working directory (maybe another checkout) first
_HELPER_MAIN = (f"import sys; sys.path.insert(0, {_PACKAGE_ROOT!r}); "
                "from search.engine.whoosh_backend.parallel import helper_main; "
                "sys.exit(helper_main(sys.argv[1]))")


class HelperError(RuntimeError):
    """The helper process failed: its last traceback line; ``details`` has the whole."""

    details: str | None = None


class ParallelWriter(FastSegmentWriter):
    """A FastSegmentWriter that shares the work with a helper process once it has
    ``helper_from`` documents. Documents are queued until commit: use it for one-commit
    builds. Its commit merges no segments (a build starts from an empty index)."""

    def __init__(self, ix: Any, helper_from: int | None = None, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.helper_from = HELPER_FROM if helper_from is None else helper_from
        self._held: list[dict] = []  # documents not yet queued for the helper, in order
        self._helper: _Helper | None = None

    def add_document(self, **fields: Any) -> None:
        """Queue a document; its postings are written by the helper or at commit."""
        self._check_state()
        self._held.append(fields)
        if self._helper is None:
            if len(self._held) < self.helper_from:
                return
            self._helper = _Helper(self.storage.folder)
        while len(self._held) >= BATCH:
            self._helper.check()
            self._helper.send(self._held[:BATCH])
            del self._held[:BATCH]

    def commit(self, mergetype: Any = None, optimize: bool | None = None,
               merge: bool | None = None) -> None:
        """Index what is left (from the back, while the helper goes on from the front), then
        write one segment of both parts, and the TOC."""
        self._check_state()
        try:
            if self._helper is None:
                phases.phase(phases.ANALYSING, total=len(self._held))
                for fields in self._held:
                    FastSegmentWriter.add_document(self, **fields)
                    phases.advance()
                phases.phase(phases.WRITING)
            else:
                self._helper.send(self._held)
                self._index_with_helper()
            self._held = []
            segment = self._finalize_segment() if self._added else None
            if self._helper is not None:
                self._helper.wait()
        except BaseException:
            self.cancel()
            raise
        if segment is None:
            self._close_segment()
        self._commit_toc(self.segments + ([segment] if segment is not None else []))
        self._finish()

    def _index_with_helper(self) -> None:
        """Take batches from the back of the helper's queue until it is empty; then write the
        stored values of the helper's documents and of this process's, in their order (the
        postings of this process's documents are renumbered after the helper's)."""
        taken: list[tuple[dict, dict]] = []  # (fields, field lengths), last document first
        total = self._helper.counts()[1]  # every document: the helper's and those taken back
        phases.phase(phases.ANALYSING, total=total)
        while (batch := self._helper.take_last()) is not None:
            for fields in reversed(batch):
                taken.append((fields, self.postings.add(fields, len(taken))))
            phases.advance(completed=min(total, self._helper.counts()[0] + len(taken)))
        documents, lengths = self._helper.documents(), self._helper.lengths()
        phases.advance(completed=len(documents) + len(taken))  # the helper is done too
        phases.phase(phases.WRITING)
        for fields, doc_lengths in zip(documents, lengths):
            self._write_stored(fields, doc_lengths)
        self.pool.renumber = (len(documents), len(taken))
        for fields, doc_lengths in reversed(taken):
            self._write_stored(fields, doc_lengths)

    def _flush_segment(self) -> None:
        """Write the postings: for each field, the helper's posting lists joined with this
        process's (encoded while the helper encodes its own)."""
        if self._helper is None:
            super()._flush_segment()
            return
        self.perdocwriter.close()
        names = sorted(set(self.pool.fields) | set(self._helper.fieldnames))
        write_postings(self.fieldwriter, self.schema,
                       ((name, self._joined_field(name)) for name in names))
        self.fieldwriter.close()

    def _joined_field(self, fieldname: str) -> list[Row]:
        mine = self.encode_field(fieldname)
        theirs = self._helper.field(fieldname) if fieldname in self._helper.fieldnames else []
        return join_rows(theirs, mine)

    def cancel(self) -> None:
        """Stop the helper and drop the batch (the index's temporary files go too)."""
        try:
            if self._helper is not None:
                self._helper.kill()
        finally:
            self._helper = None
            self._held = []
            if not self.is_closed:
                super().cancel()


class _Helper:
    """The helper process, fed batches from the front of a queue by a thread (so reading goes
    on while the helper's pipe is full)."""

    def __init__(self, index_dir: str) -> None:
        path = os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
        self.proc = subprocess.Popen([sys.executable, "-c", _HELPER_MAIN, str(index_dir)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env={**os.environ, "PYTHONPATH": path})
        self.fieldnames: list[str] = []  # the fields the helper has postings in
        self._queue: collections.deque[list[dict] | None] = collections.deque()
        self._sent: list[list[dict]] = []  # the batches sent, in order
        self._given = 0  # documents queued or sent (not those taken back)
        self._fed = 0  # documents written to the helper's input
        self._lengths: list[dict[str, int]] | None = None
        self._ready = threading.Condition()
        self._failure: BaseException | None = None
        self._feeder = threading.Thread(target=self._feed, name="search-helper-feeder",
                                        daemon=True)
        self._feeder.start()

    def send(self, batch: list[dict]) -> None:
        """Queue documents for the helper, in order."""
        if batch:
            with self._ready:
                self._given += len(batch)
                self._queue.append(batch)
                self._ready.notify()

    def counts(self) -> tuple[int, int]:
        """(documents written to the helper, documents given to it and not taken back)."""
        with self._ready:
            return self._fed, self._given

    def take_last(self) -> list[dict] | None:
        """The last queued batch, taken back; None when the queue is empty, which also tells
        the helper to finish."""
        with self._ready:
            if self._queue and self._queue[-1] is not None:
                batch = self._queue.pop()
                self._given -= len(batch)
                return batch
            self._queue.append(None)
            self._ready.notify()
            return None

    def check(self) -> None:
        """Raise HelperError if the helper already failed."""
        if self._failure is not None or self.proc.poll() is not None:
            self._raise()

    def documents(self) -> list[dict]:
        """The documents the helper indexed, in order (after take_last() returned None)."""
        self._feeder.join()
        if self._failure is not None:
            self._raise()
        return [fields for batch in self._sent for fields in batch]

    def lengths(self) -> list[dict[str, int]]:
        """Each of the helper's documents' field lengths, once it has indexed them all."""
        self._lengths, self.fieldnames = self._receive("lengths")
        if len(self._lengths) != sum(map(len, self._sent)):
            self._raise("the helper indexed another number of documents than it was sent")
        return self._lengths

    def field(self, fieldname: str) -> list[Row]:
        """The helper's posting lists of the next field (asked for in field order)."""
        name, rows = self._receive("field")
        if name != fieldname:
            self._raise(f"the helper sent field {name!r}, expected {fieldname!r}")
        return rows

    def wait(self) -> None:
        """Wait for the helper's end, which must be a success."""
        self._receive("done")
        if self.proc.wait() != 0:
            self._raise()

    def _receive(self, kind: str) -> Any:
        try:
            found, payload = pickle.load(self.proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            found, payload = "error", None
        if found != kind:
            self._raise(payload if found == "error" else f"unexpected {found!r} message")
        return payload

    def kill(self) -> None:
        """Stop the helper now and reap it; the feeder thread ends on the broken pipe."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        with self._ready:
            self._queue.clear()
            self._queue.append(None)
            self._ready.notify()
        self._feeder.join()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def _raise(self, details: str | None = None) -> None:
        self.kill()
        last = (details or "").strip().splitlines()[-1:] or [str(self._failure or "no answer")]
        error = HelperError(f"the indexing helper process failed (exit status "
                            f"{self.proc.returncode}): {last[0]}")
        error.details = details
        raise error

    def _feed(self) -> None:
        """Send queued batches in order; a None closes the helper's input normally."""
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                batch = self._queue.popleft()
            try:
                pickle.dump(batch, self.proc.stdin, pickle.HIGHEST_PROTOCOL)
                self.proc.stdin.flush()
            except (OSError, ValueError) as error:  # the helper died or was killed
                self._failure = self._failure or error
                return
            if batch is None:
                return
            self._sent.append(batch)
            self._fed += len(batch)


# ---- the helper process -----------------------------------------------------------------------

def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a SIGKILLed build leaves no
    orphan); Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the closed pipe ends the helper instead


def helper_main(index_dir: str) -> int:
    """Index the batches read on stdin; answer on stdout (see the module's docstring)."""
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        return 1
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    gc.disable()  # see fastwrite.gc_paused: this process ends with its postings
    try:
        schema = whoosh_index.open_dir(index_dir).schema
        postings, lengths = DocumentPostings(schema), []
        while (batch := pickle.load(stdin)) is not None:
            for fields in batch:
                lengths.append(postings.add(fields, len(lengths)))
        names = sorted(name for name in postings.pool.fields if name in schema)
        _send(stdout, "lengths", (lengths, names))
        codec = default_codec()  # the builder's writer has the default codec too
        for name in names:
            column = bytes(length_to_byte(doc.get(name, 0)) for doc in lengths)
            _send(stdout, "field", (name, encode_terms(schema[name], postings.pool.fields[name],
                                                       column, codec)))
        _send(stdout, "done", None)
    except EOFError:
        return 1  # the parent closed the pipe before the end mark: it gave up
    except BaseException:
        _send(stdout, "error", traceback.format_exc())
        return 1
    return 0


def _send(stdout: Any, kind: str, payload: Any) -> None:
    pickle.dump((kind, payload), stdout, pickle.HIGHEST_PROTOCOL)
    stdout.flush()
