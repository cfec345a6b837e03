"""Builds on two cores: a helper process indexes documents from the front of the queue into a
segment of its own, from the moment there are enough of them, while this process reads the
rest; then this process indexes from the back of the queue until the two meet, and each writes
its segment. The helper's segment comes first, so documents keep the order they were read in
(ties in score rank as with one writer), and neither process waits for the other, whatever
else the machine is doing.

The helper (``helper_main``) reads pickled batches of documents on stdin and answers with its
pickled segment on stdout.
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

from search.fastwrite import FastSegmentWriter

HELPER_FROM = 1000  # documents: a smaller batch is not worth a second process
BATCH = 50  # documents per message to the helper: how finely the two share the work
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])
_HELPER_MAIN = ("import sys; from search.parallel import helper_main; "
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
        """Index what is left (from the back, while the helper goes on from the front), write
        this process's segment while the helper writes its own, then the TOC."""
        self._check_state()
        try:
            if self._helper is None:
                for fields in self._held:
                    FastSegmentWriter.add_document(self, **fields)
            else:
                self._helper.send(self._held)
                self._index_from_back()
            self._held = []
            mine = self._finalize_segment() if self._added else None
            helper_segment = self._helper.finish() if self._helper else None
        except BaseException:
            self.cancel()
            raise
        if mine is None:
            self._close_segment()
        self._commit_toc(self.segments + [s for s in (helper_segment, mine) if s is not None])
        self._finish()

    def _index_from_back(self) -> None:
        """Take batches from the back of the helper's queue until it is empty; then write the
        documents' stored values in their order (their postings are renumbered when written)."""
        taken: list[tuple[dict, dict]] = []  # (fields, field lengths), last document first
        while (batch := self._helper.take_last()) is not None:
            for fields in reversed(batch):
                taken.append((fields, self._index(fields, len(taken))))
        self.pool.backwards = len(taken)
        for fields, lengths in reversed(taken):
            self._write_stored(fields, lengths)

    def cancel(self) -> None:
        """Stop the helper (its files go with the index's temporary ones) and drop the batch."""
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
        self._queue: collections.deque[list[dict] | None] = collections.deque()
        self._ready = threading.Condition()
        self._failure: BaseException | None = None
        self._feeder = threading.Thread(target=self._feed, name="search-helper-feeder",
                                        daemon=True)
        self._feeder.start()

    def send(self, batch: list[dict]) -> None:
        """Queue documents for the helper, in order."""
        if batch:
            with self._ready:
                self._queue.append(batch)
                self._ready.notify()

    def take_last(self) -> list[dict] | None:
        """The last queued batch, taken back; None when the queue is empty, which also tells
        the helper to finish."""
        with self._ready:
            if self._queue and self._queue[-1] is not None:
                return self._queue.pop()
            self._queue.append(None)
            self._ready.notify()
            return None

    def check(self) -> None:
        """Raise HelperError if the helper already failed."""
        if self._failure is not None or self.proc.poll() is not None:
            self._raise()

    def finish(self) -> Any:
        """Wait for the helper's segment (after take_last() returned None)."""
        self._feeder.join()
        try:
            status, payload = pickle.load(self.proc.stdout)
        except (EOFError, pickle.UnpicklingError):
            status, payload = "error", None
        self.proc.wait()
        if status != "ok" or self._failure is not None:
            self._raise(payload)
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
    """Index the batches read on stdin into a new segment; its pickled Segment on stdout."""
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        return 1
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    gc.disable()  # see gc_paused: this process ends with its segment
    try:
        writer = FastSegmentWriter(whoosh_index.open_dir(index_dir), _lk=False)
        while (batch := pickle.load(stdin)) is not None:
            for fields in batch:
                writer.add_document(**fields)
        # _finalize_segment, not commit(): the parent writes the TOC, holds the lock and
        # removes the shared temporary folder
        segment = writer._finalize_segment() if writer._added else None
        pickle.dump(("ok", segment), stdout)
    except EOFError:
        return 1  # the parent closed the pipe without "finish": it gave up
    except BaseException:
        pickle.dump(("error", traceback.format_exc()), stdout)
        return 1
    return 0

