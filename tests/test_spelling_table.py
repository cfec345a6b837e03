"""The spelling dictionary's fast paths (issue 13, item 1) give what the plain ones give: the
SymSpell table filled per prefix equals the one create_dictionary_entry fills, and the words
read from the term index's raw rows equal Whoosh's term infos."""
from __future__ import annotations

from symspellpy import SymSpell, Verbosity

from search import searcher, spelling


def test_table_equals_symspells_own(seed_index):
    reader = searcher.open_reader(seed_index)
    words = spelling.build_dictionary(reader)
    assert len(words.counts) > 100
    plain = SymSpell(max_dictionary_edit_distance=spelling.MAX_EDIT,
                     prefix_length=spelling.PREFIX, count_threshold=1)
    for word in sorted(words.counts):
        plain.create_dictionary_entry(word, 1)
    fast = words.symspell
    assert fast._words == plain._words
    assert dict(fast._deletes) == dict(plain._deletes)  # the lists in the same order too
    assert fast._max_length == plain._max_length
    for word in ["Lavrof", "Tehram", "ظريق", "gorbachof", "minster"]:
        key = word.lower()
        assert [(s.term, s.distance) for s in fast.lookup(key, Verbosity.ALL, 2)] == \
            [(s.term, s.distance) for s in plain.lookup(key, Verbosity.ALL, 2)]


def test_raw_words_equal_whooshs_term_infos(seed_index):
    reader = searcher.open_reader(seed_index)
    leaves = reader._leaves()
    assert leaves
    for part, leaf in leaves.items():
        for field in spelling.FIELDS:
            raw = list(reader.part_words(part, field))
            assert raw, field
            plain = [(t.decode("utf-8"), info.doc_frequency())
                     for t, info in leaf.iter_field(field)]
            assert raw == plain
