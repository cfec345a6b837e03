"""The real CLI in a subprocess."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, run_cli


def test_analyze_json_offsets_point_into_text():
    text = "شَدَّدَ لافروف on Lavrov’s talks"
    out = run_cli("analyze", text, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"lang", "tokens"}
    # لافروف keeps its ل: the lexicon knows no word افروف (issue 17; it was افروف before)
    assert [t["text"] for t in data["tokens"]] == ["شدد", "لافروف", "lavrov", "talk"]
    assert [text[t["start"]:t["end"]] for t in data["tokens"]] == ["شَدَّدَ", "لافروف", "Lavrov’s", "talks"]


def test_build_then_query_json(tmp_path):
    index_dir = str(tmp_path / "ix")
    built = run_cli("index", "build", "seeds", "--index", index_dir)
    assert built.returncode == 0, built.stderr
    assert "indexed 5 articles" in built.stdout and "4 en" in built.stdout
    out = run_cli("query", "لافروف", "--index", index_dir, "--json", "--no-cross")
    data = json.loads(out.stdout)
    assert data["total"] == 1 and "<mark>لافروف</mark>" in data["results"][0]["snippet"]
    env_out = run_cli("query", "Lavrov", "--no-cross", env={"SEARCH_INDEX": index_dir})
    assert env_out.returncode == 0 and env_out.stdout.startswith("4 results")
    assert "[Lavrov" in env_out.stdout  # highlighted words marked without colour off a tty
    both = run_cli("query", "Lavrov", env={"SEARCH_INDEX": index_dir})
    assert both.stdout.startswith("5 results") and both.stdout.count("(translated match)") == 1


def test_no_index_is_one_line_exit_1(tmp_path):
    out = run_cli("query", "Iran", "--index", str(tmp_path / "missing"))
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "search index build" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_query_is_one_line_exit_2(tmp_path):
    index_dir = str(tmp_path / "ix")
    run_cli("index", "build", "seeds", "--index", index_dir)
    out = run_cli("query", "-Sputnik", "--index", index_dir)
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.startswith("error:")


def test_explain():
    out = run_cli("explain", '"nuclear deal" -Sputnik')
    assert out.returncode == 0 and 'body:"nuclear deal"' in out.stdout and "NOT" in out.stdout


COMMANDS = [("analyze",), ("index", "build"), ("index", "add"), ("index", "sync"),
            ("index", "watch"), ("index", "remove"), ("index", "stats"), ("index", "optimize"),
            ("index", "check"), ("index", "snapshot"), ("index", "restore"),
            ("query",), ("explain",), ("eval",), ("config",), ("timeline",)]


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
def test_every_command_has_help_and_a_readme_line(cmd):
    out = run_cli(*cmd, "--help")
    assert out.returncode == 0 and "Usage:" in out.stdout
    readme = (ROOT / "README.md").read_text("utf-8")
    assert f"search {' '.join(cmd)}" in readme, f"README lacks `search {' '.join(cmd)}`"


def test_python_m_search_is_the_cli():
    out = run_cli("--help")
    assert out.returncode == 0 and "index" in out.stdout and "query" in out.stdout
