"""The CLI's start-up stays light: commands import the engine, the web, the analysis and their
word lists only when they need them (issue 13: `search --help` in ≤ 0.15 s, bench/cli.py).
Counted, never timed: which heavy modules a real CLI process has imported when it exits."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

HEAVY = ("whoosh", "flask", "numpy", "wordfreq", "rich", "symspellpy", "langdetect",
         "msgpack", "requests", "Stemmer", "asyncio", "urllib.request", "whoosh.lang.morph_en",
         "datasketch", "scipy")
# a probe: run the real `search` entry point, then print the heavy packages (top-level names)
# and modules (dotted names) loaded
PROBE = """
import atexit, json, sys
heavy = {heavy!r}
def report():
    loaded = sorted(({{m.split(".")[0] for m in sys.modules}} | set(sys.modules)) & set(heavy))
    sys.__stderr__.write("LOADED " + json.dumps(loaded) + "\\n")
atexit.register(report)
sys.argv = ["search", *{args!r}]
from search.cli import main
main()
"""


def loaded_by(*args: str, env: dict | None = None) -> tuple[list[str], subprocess.CompletedProcess]:
    """The heavy packages a `search ARGS` process imported, and the process."""
    full_env = {k: v for k, v in os.environ.items() if k != "SEARCH_INDEX"}
    full_env.update(PYTHONIOENCODING="utf-8", **(env or {}))
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY, args=list(args))],
                          cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED ")]
    assert line, done.stderr
    return json.loads(line[-1][len("LOADED "):]), done


@pytest.mark.parametrize("args", [["--help"], ["index", "--help"], ["config"],
                                  ["timeline", "--help"], ["solr", "--help"]])
def test_help_and_config_import_nothing_heavy(args):
    loaded, done = loaded_by(*args)
    assert done.returncode == 0, done.stderr
    assert loaded == []


def test_a_query_loads_the_engine_but_not_the_web_or_word_lists(seed_index):
    """A query needs Whoosh and numpy; never Flask or rich, and wordfreq only to build the
    word tables once (warm_up in the fixture has built them)."""
    loaded, done = loaded_by("query", "Lavrov", "--index", seed_index)
    assert done.returncode == 0, done.stderr
    assert "Lavrov" in done.stdout
    assert {"whoosh", "numpy"} <= set(loaded)
    assert not {"flask", "rich", "wordfreq", "langdetect"} & set(loaded)
    # "did you mean" only for a query that needs it; Whoosh's one cached property without
    # the backport's asyncio, its compat module without urllib.request, its terms without
    # the English variations (the stand-ins of search/__init__.py)
    assert not {"symspellpy", "asyncio", "urllib.request", "whoosh.lang.morph_en"} & set(loaded)


def test_index_stats_reads_without_the_copy_finder(seed_index):
    """`search index stats` goes through search.writer; the copy finder's datasketch (which
    imports scipy, 0.7 s) is loaded only to sign articles."""
    loaded, done = loaded_by("index", "stats", "--index", seed_index)
    assert done.returncode == 0, done.stderr
    assert "5 documents" in done.stdout
    assert not {"datasketch", "scipy", "flask"} & set(loaded)


def test_a_query_that_needs_a_suggestion_loads_symspellpy(seed_index):
    loaded, done = loaded_by("query", "Lavrof", "--index", seed_index)
    assert done.returncode == 0, done.stderr
    assert "Lavrov" in done.stdout  # the suggestion, or its results
    assert "symspellpy" in loaded


def test_the_cached_property_backport_is_still_there_for_other_names():
    """The standard library's cached_property stands in for the backport's only as Whoosh's
    decorator; any other name of the backport loads the backport itself."""
    code = ("import functools, sys, search, whoosh.reading as r; "
            "a = r.cached_property is functools.cached_property; "
            "from cached_property import threaded_cached_property as t; "
            "print(a, 'asyncio' in sys.modules, t.__module__, "
            "sys.modules['cached_property'].__file__.endswith('cached_property.py'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["True", "True", "cached_property", "True"], done.stderr


def test_lazy_package_names_are_the_real_ones():
    """`import search` loads no engine, yet its public names resolve to the real objects."""
    code = ("import sys, search; before = 'whoosh' in sys.modules; "
            "from search.searcher import run_search; "
            "print(before, search.run_search is run_search, 'run_search' in dir(search))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["False", "True", "True"], done.stderr


def test_the_stand_ins_give_whoosh_working_names_and_leave_the_real_modules():
    """While Whoosh's compat and terms modules load, stand-ins give them urlretrieve and the
    English variations; those still work (through the real modules, loaded when first called),
    an import after them gets the real urllib.request, and the modules' loader still answers
    for their source (tracebacks, inspect)."""
    code = """
import sys, tempfile, pathlib, search
import whoosh.compat, whoosh.query.terms as terms
before = ["urllib.request" in sys.modules, "whoosh.lang.morph_en" in sys.modules]
src = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
src.write_text("copied")
whoosh.compat.urlretrieve(src.as_uri(), str(src.with_name("b.txt")))
copied = src.with_name("b.txt").read_text()
from whoosh.lang.morph_en import variations
same = sorted(terms.variations("rendering")) == sorted(variations("rendering"))
import urllib.request
source = "urlretrieve" in whoosh.compat.__loader__.get_source("whoosh.compat")
print(before, copied, same, hasattr(urllib.request, "urlopen"),
      urllib.request.__file__.endswith("request.py"), source)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["[False,", "False]", "copied", "True", "True", "True",
                                   "True"], \
        done.stderr
