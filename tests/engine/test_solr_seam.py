"""The settings pick the Solr backend (its shape is checked with Whoosh's in test_seam.py);
--backend solr without a URL is one clear error."""
from __future__ import annotations

import pytest

from search.engine import Engine, configure_engine, get_engine
from search.engine.solr_backend.engine import SolrEngine
from search.errors import ConfigError
from search.settings import load_settings


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
