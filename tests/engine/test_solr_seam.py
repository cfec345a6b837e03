"""The Solr backend implements the whole seam too (no cluster needed to check the shape), and
the settings pick it: --backend solr without a URL is one clear error."""
from __future__ import annotations

import inspect

import pytest

from search.engine import Engine, Reader, WriteSession, configure_engine, get_engine
from search.engine.solr_backend.engine import SolrEngine, SolrReader, SolrWriteSession
from search.errors import ConfigError
from search.settings import load_settings


def _methods(protocol: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(protocol, inspect.isfunction)
            if not name.startswith("_")}


@pytest.mark.parametrize("protocol, impl", [(Engine, SolrEngine), (Reader, SolrReader),
                                            (WriteSession, SolrWriteSession)])
def test_the_solr_backend_has_every_method_of_the_seam(protocol, impl):
    methods = _methods(protocol)
    assert methods and methods <= set(dir(impl)), methods - set(dir(impl))
    for name in methods:
        mine = inspect.signature(getattr(protocol, name)).parameters
        theirs = inspect.signature(getattr(impl, name)).parameters
        assert list(mine)[1:] == [p for p in theirs if p != "self"][:len(mine) - 1], name


def test_the_settings_pick_the_engine():
    before = get_engine()
    try:
        engine = configure_engine(load_settings(env={}, backend="solr",
                                                solr_url="http://127.0.0.1:9/solr",
                                                collection="news"))
        assert isinstance(engine, SolrEngine) and get_engine() is engine
        assert engine.collection == "news" and isinstance(engine, Engine)
        with pytest.raises(ConfigError, match="--solr-url"):
            configure_engine(load_settings(env={}, backend="solr"))
        with pytest.raises(ConfigError, match="backend must be"):
            configure_engine(load_settings(env={}, backend="elastic"))
        env = {"SEARCH_BACKEND": "solr", "SEARCH_SOLR_URL": "http://127.0.0.1:9/solr",
               "SEARCH_COLLECTION": "archive"}
        assert configure_engine(load_settings(env=env)).collection == "archive"
    finally:
        configure_engine(load_settings(env={}))
    assert get_engine() is not engine and get_engine().name == before.name == "whoosh"
