"""The build's progress tells the truth (issue 13, item 4): phases with counts and times, a line
each when stderr is not a terminal, and the summary's time per phase. Through the real CLI,
and on a terminal through a pseudo-terminal."""
from __future__ import annotations

import json
import os
import re
import sys

import pytest

from conftest import ROOT, SEEDS, run_cli
from search import phases
from search.phases import PhaseTimes

PHASE_LINE = re.compile(r"^(?P<name>[a-z ]+): (?:(?P<count>[\d,]+) articles in )?"
                        r"(?P<seconds>\d+\.\d) s(?:, [\d,]+ articles/s)?$")


def test_a_build_in_a_log_prints_a_line_per_phase_and_times_them(tmp_path):
    out = run_cli("index", "build", str(SEEDS), "--index", str(tmp_path / "ix"))
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    matched = [PHASE_LINE.match(line) for line in lines]
    assert all(matched), lines
    names = [m["name"] for m in matched]
    assert names == ["reading", "analysing", "writing segments", "swapping",
                     "counting words"]
    counts = {m["name"]: m["count"] for m in matched}
    assert counts["reading"] == "5" and counts["analysing"] == "5"  # the five seed articles
    summary = out.stdout.strip()
    for name in names:  # the summary lists each phase's time
        assert re.search(rf"{name} \d+\.\d s", summary), summary


def test_json_has_the_phase_times_and_stderr_stays_quiet(tmp_path):
    out = run_cli("index", "build", str(SEEDS), "--index", str(tmp_path / "ix"), "--json")
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr
    report = json.loads(out.stdout)
    assert list(report["phases"]) == ["reading", "analysing", "writing segments", "swapping",
                     "counting words"]
    assert all(v >= 0 for v in report["phases"].values())
    assert sum(report["phases"].values()) <= report["seconds"]


def test_a_build_large_enough_for_the_helper_reports_its_phases(tmp_path):
    """Past HELPER_FROM articles the build runs on two processes: the analysing phase counts
    every article, the helper's and this process's."""
    from search.engine.whoosh_backend.parallel import HELPER_FROM
    n = HELPER_FROM + 150
    src = tmp_path / "many.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"a{i}", "title": f"Story {i}", "lang": "en",
                                "body": f"Word{i % 97} appears in article number {i}."}) + "\n")
    out = run_cli("index", "build", str(src), "--index", str(tmp_path / "ix"))
    assert out.returncode == 0, out.stderr
    found = {m["name"]: m for m in map(PHASE_LINE.match, out.stderr.splitlines()) if m}
    assert list(found) == ["reading", "analysing", "writing segments", "swapping",
                     "counting words"]
    assert found["reading"]["count"] == f"{n:,}"
    assert found["analysing"]["count"] == f"{n:,}"


def test_a_build_in_segments_says_reading_again_after_each_segment(tmp_path):
    """With a memory budget the build writes a segment whenever the text it holds reaches the
    budget, then reads on: each segment's reading is a phase line of its own (the display said
    "writing segments" while it read the rest), the lines' counts add up to every article, and
    the segments are merged."""
    n = 60
    src = tmp_path / "many.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"a{i}", "title": f"Story {i}", "lang": "en",
                                "body": f"Word{i % 97} appears in article {i}. " * 12}) + "\n")
    out = run_cli("index", "build", str(src), "--index", str(tmp_path / "ix"), "--memory", "0.1")
    assert out.returncode == 0, out.stderr
    matched = [PHASE_LINE.match(line) for line in out.stderr.splitlines()]
    assert all(matched), out.stderr
    names = [m["name"] for m in matched]
    segments = names.count("writing segments")
    assert segments >= 3
    assert names.count("reading") == segments
    assert names[-3:] == ["merging", "swapping", "counting words"]
    for at, name in enumerate(names[:-3]):  # reading, analysing, writing, reading, …
        assert name == ("reading", "analysing", "writing segments")[at % 3]
    assert sum(int(m["count"].replace(",", "")) for m in matched if m["name"] == "reading") == n


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")
def test_on_a_terminal_the_bars_show_phases_and_a_clock(tmp_path):
    """On a terminal, rich draws the phases (stderr) and the summary follows on stdout."""
    import pty
    import subprocess
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "SEARCH_INDEX"}
    env.update(PYTHONIOENCODING="utf-8", COLUMNS="120", TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "search", "index", "build", str(SEEDS),
                             "--index", str(tmp_path / "ix")], cwd=ROOT, env=env,
                            stdin=secondary, stdout=secondary, stderr=secondary)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert proc.wait(timeout=120) == 0
    text = seen.decode("utf-8", "replace")
    for name in ("reading", "analysing", "writing segments", "swapping", "counting words"):
        assert name in text
    assert re.search(r"\d:\d\d:\d\d", text)  # the elapsed clock
    assert "indexed 5 articles" in text and "(reading " in text


def test_phase_times_follow_the_calls():
    times = PhaseTimes()
    phases.advance()  # no reporter: nothing happens
    with phases.reporting(times):
        phases.phase("reading")
        phases.advance()
        phases.advance(2)
        phases.phase("analysing", total=10)
        phases.advance(completed=7)
    assert [(p["name"], p["count"]) for p in times.done] == [("reading", 3), ("analysing", 7)]
    assert set(times.seconds()) == {"reading", "analysing"}
    phases.phase("merging")  # after the block: no reporter again
    assert len(times.done) == 2
