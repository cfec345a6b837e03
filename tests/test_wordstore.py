"""The word tables kept in the user's cache (search.analysis.wordstore): built once, then read
a word at a time, the same answers as the lists they come from."""
from __future__ import annotations

import os

import pytest

from search.analysis import wordstore
from search.analysis.wordstore import WordTable, files_key


def test_a_table_is_built_once_then_read_from_its_file(tmp_path):
    built = []

    def build():
        built.append(1)
        return [("alpha", 1.5), ("beta", 2), ("alpha", 9)]  # the first value of a word wins

    table = WordTable("t", "k1", build, tmp_path)
    assert table.get("alpha") == 1.5 and table.get("gamma", 0.0) == 0.0
    assert table.path.exists() and built == [1]
    again = WordTable("t", "k1", build, tmp_path)
    assert again.get("beta") == 2 and "beta" in again and "gamma" not in again
    assert again.load() == {"alpha": 1.5, "beta": 2}
    assert built == [1]  # the second table read the file
    assert WordTable("t", "k2", build, tmp_path).get("beta") == 2 and built == [1, 1]


def test_many_lookups_read_the_whole_table(tmp_path, monkeypatch):
    monkeypatch.setattr(wordstore, "PRELOAD_AFTER", 3)
    table = WordTable("t", "k", lambda: [(f"w{i}", i) for i in range(10)], tmp_path)
    assert [table.get(f"w{i}") for i in range(5)] == [0, 1, 2, 3, 4]
    assert table._complete  # past PRELOAD_AFTER words: one scan, no more single reads
    assert table.get("w9") == 9 and table.get("nope") is None


def test_an_unwritable_cache_keeps_the_table_in_memory(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    table = WordTable("t", "k", lambda: [("x", 1)], blocked / "sub")
    assert table.get("x") == 1 and table.get("y") is None


def test_a_damaged_file_is_rebuilt(tmp_path):
    table = WordTable("t", "k", lambda: [("x", 1)], tmp_path)
    table.path.write_bytes(b"garbage, not sqlite" * 100)
    assert table.get("x") == 1


def test_the_key_follows_the_files(tmp_path):
    f = tmp_path / "data"
    f.write_text("one")
    first = files_key(f, extra="a")
    assert files_key(f, extra="a") == first and files_key(f, extra="b") != first
    f.write_text("other content")
    os.utime(f, ns=(1, 1))
    assert files_key(f, extra="a") != first
    assert files_key(tmp_path / "missing") != files_key(f)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_reads_through_its_own_connection(tmp_path):
    table = WordTable("t", "k", lambda: [("x", 1), ("y", 2)], tmp_path)
    assert table.get("x") == 1  # the parent's connection is open
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 only when it reads right
        os._exit(0 if table.get("y") == 2 and table._pid == os.getpid() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert table.get("y") == 2
