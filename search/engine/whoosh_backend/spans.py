"""Segment files read with ``pread`` through a buffer of their own: what a build reads.

A rebuild looks up every article it reads in the segments it has written (its copies, its
digest, its URL), and merges them at the end. Whoosh reads a compound segment either mapped,
where each reader copies every sub-file into a ``BytesIO`` (the whole segment in memory per
reader), or through ``SubFile``, three Python calls and a shared file position per read. Here
each sub-file is a C ``BufferedReader`` over ``os.pread`` of its span of the segment: a read
inside the buffer is one call, a sequential pass (the merge) one system call a buffer, and
nothing is mapped, so only the buffers count in the process's memory.
"""
from __future__ import annotations

import io
import os

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile

LOOKUP_BUFFER = 8 * 1024  # random look-ups: a hash bucket and its key, a short posting list
MERGE_BUFFER = 256 * 1024  # a merge reads each sub-file front to back


class _Descriptor:
    """An open file's descriptor, shared by its spans; closed by the file that opened it
    (a span read after that raises, as a closed file does, never reads a reused number)."""

    def __init__(self, path: str) -> None:
        self.fd: int | None = os.open(path, os.O_RDONLY)

    def get(self) -> int:
        if self.fd is None:
            raise ValueError("I/O operation on closed file")
        return self.fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _Span(io.RawIOBase):
    """Bytes ``start`` to ``start + length`` of an open file, read by position."""

    def __init__(self, fd: _Descriptor, start: int, length: int, owns_fd: bool = False
                 ) -> None:
        super().__init__()
        self._fd, self._start, self._length, self._pos = fd, start, length, 0
        self._owns_fd = owns_fd

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = min(len(buffer), self._length - self._pos)
        if n <= 0:
            return 0
        with memoryview(buffer) as view:
            got = os.preadv(self._fd.get(), [view[:n]], self._start + self._pos)
        self._pos += got
        return got

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = pos
        elif whence == io.SEEK_CUR:
            self._pos += pos
        else:
            self._pos = self._length + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if not self.closed and self._owns_fd:
            self._fd.close()
        super().close()


class SpanFile(StructFile):
    """A StructFile over a span of a file; its ``subset`` (a compound segment's sub-file)
    shares the descriptor, not a position."""

    def __init__(self, fd: _Descriptor, start: int, length: int, buffer_size: int,
                 name: str | None = None, owns_fd: bool = False) -> None:
        super().__init__(io.BufferedReader(_Span(fd, start, length, owns_fd), buffer_size),
                         name=name)
        self.is_real = False  # array reads go through read(), not fromfile's fileno
        self._fd, self._start, self._buffer_size = fd, start, buffer_size

    def subset(self, offset: int, length: int, name: str | None = None) -> "SpanFile":
        return SpanFile(self._fd, self._start + offset, length, self._buffer_size,
                        name=name or self._name)


class SpanStorage(FileStorage):
    """A generation's folder whose files are opened as SpanFiles (never mapped)."""

    supports_mmap = False

    def __init__(self, path: str, buffer_size: int = LOOKUP_BUFFER) -> None:
        super().__init__(path, supports_mmap=False)
        self.buffer_size = buffer_size

    def open_file(self, name: str, **kwargs) -> StructFile:
        fd = _Descriptor(self._fpath(name))
        try:
            length = os.fstat(fd.get()).st_size
        except OSError:
            fd.close()
            raise
        return SpanFile(fd, 0, length, self.buffer_size, name=name, owns_fd=True)


__all__ = ["LOOKUP_BUFFER", "MERGE_BUFFER", "SpanFile", "SpanStorage"]
