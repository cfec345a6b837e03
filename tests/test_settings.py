"""The one Settings object: defaults, the environment, options; `search config` shows them."""
from __future__ import annotations

import json

import pytest

from search.engine.whoosh_backend import matching
from search.errors import ConfigError
from search.settings import BY_NAME, DEFAULTS, SETTINGS, apply_settings, load_settings
from conftest import run_cli


def test_options_beat_the_environment_which_beats_defaults():
    env = {"SEARCH_INDEX": "from-env", "SEARCH_LOCK_TIMEOUT": "2.5", "SEARCH_PORT": ""}
    s = load_settings(env, index_dir="from-option", port=None)
    assert (s.index_dir, s.sources["index_dir"]) == ("from-option", "option")
    assert (s.lock_timeout, s.sources["lock_timeout"]) == (2.5, "env")
    assert (s.port, s.sources["port"]) == (DEFAULTS.port, "default")  # empty: unset


def test_a_bad_number_in_the_environment_names_the_variable():
    with pytest.raises(ConfigError, match="SEARCH_POSTINGS_CACHE_MB='lots' is not a number"):
        load_settings({"SEARCH_POSTINGS_CACHE_MB": "lots"})
    out = run_cli("config", env={"SEARCH_POSTINGS_CACHE_MB": "lots"})
    assert out.returncode == 2 and "SEARCH_POSTINGS_CACHE_MB" in out.stderr
    assert "Traceback" not in out.stderr


def test_every_setting_has_help_and_an_env_var_only_once():
    envs = [s.env for s in SETTINGS if s.env]
    assert len(envs) == len(set(envs)) and all(s.help.endswith(")") or s.help.endswith(".")
                                               for s in SETTINGS)
    assert set(BY_NAME) == set(DEFAULTS.values)


def test_search_config_shows_values_sources_and_hides_secrets():
    out = run_cli("config", "--json", env={"SEARCH_INDEX": "elsewhere",
                                           "SEARCH_ADMIN_TOKEN": "s3cret"})
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)["settings"]}
    assert set(rows) == set(BY_NAME)
    assert rows["index_dir"] == {"name": "index_dir", "value": "elsewhere", "source": "env",
                                 "env": "SEARCH_INDEX", "help": BY_NAME["index_dir"].help}
    assert rows["admin_token"]["value"] == "(set)" and "s3cret" not in out.stdout
    assert rows["lock_timeout"]["source"] == "default"
    text = run_cli("config").stdout
    assert "SEARCH_LOCK_TIMEOUT" in text and "postings_cache_mb" in text


def test_cli_options_take_their_defaults_and_env_from_the_settings():
    out = run_cli("index", "add", "--help")
    assert "SEARCH_LOCK_TIMEOUT" in out.stdout and f"default: {DEFAULTS.lock_timeout}" in out.stdout


def test_the_engine_gets_the_postings_cache_size():
    before = matching._CACHE.max_bytes
    try:
        apply_settings(load_settings({"SEARCH_POSTINGS_CACHE_MB": "3"}))
        assert matching._CACHE.max_bytes == 3 * 1024 * 1024
    finally:
        matching._CACHE.max_bytes = before
