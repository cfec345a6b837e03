"""Each backend implements the whole seam (search.engine.base), so a new backend has one
complete list of what to provide; the shape needs no running engine."""
from __future__ import annotations

import inspect

import pytest

from search.engine import Engine, Reader, WriteSession, get_engine
from search.engine.solr_backend.engine import SolrEngine, SolrReader, SolrWriteSession
from search.engine.whoosh_backend import WhooshEngine, WhooshReader, WhooshWriteSession


def _methods(protocol: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(protocol, inspect.isfunction)
            if not name.startswith("_")}


@pytest.mark.parametrize("protocol, impl", [
    (Engine, WhooshEngine), (Reader, WhooshReader), (WriteSession, WhooshWriteSession),
    (Engine, SolrEngine), (Reader, SolrReader), (WriteSession, SolrWriteSession)])
def test_each_backend_has_every_method_of_the_seam(protocol, impl):
    methods = _methods(protocol)
    assert methods and methods <= set(dir(impl)), methods - set(dir(impl))
    for name in methods:
        mine = inspect.signature(getattr(protocol, name)).parameters
        theirs = inspect.signature(getattr(impl, name)).parameters
        assert list(mine)[1:] == [p for p in theirs if p != "self"][:len(mine) - 1], name


def test_live_objects_satisfy_the_protocols(seed_index, tmp_path):
    engine = get_engine()
    assert isinstance(engine, Engine)
    reader = engine.reader(seed_index)
    assert isinstance(reader, Reader) and reader.doc_count() > 0
    with engine.writing(str(tmp_path / "ix"), "a test", lock_timeout=1.0,
                        create=True) as (session, interrupted):
        assert isinstance(session, WriteSession) and interrupted is None
        assert session.commit() is False  # nothing written: nothing to commit
