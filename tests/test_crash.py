"""Crash safety (issue 5): real `search index add` and `build` processes killed with SIGKILL
at random moments leave an index that opens and answers with everything from its last commit,
and running the same command again completes the job."""
from __future__ import annotations

import gzip
import itertools
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import search
from conftest import ROOT, SEEDS, run_cli
from search.engine.whoosh_backend import store

REUTERS = Path("/work/shared/data/news/reuters21578.jsonl.gz")  # read at run time, never copied
ARTICLES = 100
COMMIT_EVERY = 10
KILLS = 12  # kills of `index add` (half or more must land while its writer is open)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A JSON Lines file of a few hundred news articles: a slice of Reuters-21578 if it is
    there, else generated ones."""
    if REUTERS.exists():
        with gzip.open(REUTERS, "rt", encoding="utf-8") as f:
            records = [json.loads(line) for line in itertools.islice(f, ARTICLES)]
        for r in records:
            r["body"] = r["body"][:1000]  # shorter articles: more commits in a second
    else:
        rng = random.Random(7)
        words = "market trade oil bank rate dollar shares profit talks minister".split()
        records = [{"id": f"gen-{n}", "title": f"Report {n}", "lang": "en",
                    "body": " ".join(rng.choice(words) for _ in range(150)) + f" n{n}."}
                   for n in range(ARTICLES)]
    path = tmp_path_factory.mktemp("crash-corpus") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path, records


def add_command(corpus: Path, index_dir: str) -> list[str]:
    return [sys.executable, "-m", "search", "index", "add", str(corpus), "--index", index_dir,
            "--commit-every", str(COMMIT_EVERY), "--verbose"]


def run_and_kill(args: list[str], delay: float) -> tuple[bool, str]:
    """Start a command, SIGKILL it after ``delay`` seconds; (was it killed, its stderr)."""
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc.returncode == -signal.SIGKILL, proc.stderr.read()


def last_reported(stderr: str) -> int:
    """Articles the killed process said it had committed (its last "committed:" line)."""
    counts = [int(line.split()[1]) for line in stderr.splitlines() if line.startswith("committed:")]
    return counts[-1] if counts else 0


def check_index(index_dir: str, records: list[dict], at_least: int) -> tuple[int, bool]:
    """The index opens and answers; it holds whole commits: the first D articles, intact.

    Returns D, and whether the kill left a writer's leftovers behind (it hit mid-write).
    """
    gen = store.live_dir(index_dir)
    if gen is None:  # killed before the first commit made the index
        assert at_least == 0
        return 0, False
    leftovers = (gen / "MAIN.tmp").exists()
    _, ix = store.open_live(index_dir)
    with ix.searcher() as s:
        stored = {f["id"]: f for f in s.all_stored_fields()}
    count = len(stored)
    assert count >= at_least, "a commit the process reported is missing"
    assert count % COMMIT_EVERY == 0 or count == len(records), f"a partial batch: {count}"
    assert set(stored) == {r["id"] for r in records[:count]}, "not the first articles"
    for r in records[:count]:
        assert stored[r["id"]]["title"] == r["title"]
    word = records[0]["title"].split()[0]
    page = search.run_search(word, index_dir=index_dir)  # it answers queries
    assert page.total >= (1 if count else 0)
    return count, leftovers


def test_killed_add_keeps_its_commits_and_a_rerun_finishes(corpus, tmp_path):
    path, records = corpus
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    t0 = time.monotonic()
    run_cli("index", "add", "--help")
    startup = time.monotonic() - t0  # kills before this land in Python's imports
    calibration = run_cli(*add_command(path, str(tmp_path / "full"))[3:])
    full_run = time.monotonic() - t0 - startup
    assert calibration.returncode == 0, calibration.stderr
    kills = mid_write = finished_early = 0
    for job in itertools.count():
        if kills >= KILLS:
            break
        index_dir = str(tmp_path / f"job{job}")
        count = 0
        for _ in range(5):  # kill the same job again and again, then let it finish
            left = 1 - count / len(records)  # a rerun only has the rest to do
            delay = rng.uniform(startup, startup + (full_run - startup) * left)
            killed, stderr = run_and_kill(add_command(path, index_dir), delay)
            if not killed:
                finished_early += 1
                break
            kills += 1
            count, leftovers = check_index(index_dir, records, count + last_reported(stderr))
            mid_write += leftovers
        rerun = run_cli(*add_command(path, index_dir)[3:])
        assert rerun.returncode == 0, rerun.stderr
        assert store.live_dir(index_dir) is not None
        if killed and 0 < count < len(records):  # it died holding the lock
            assert "stopped without finishing" in rerun.stderr, rerun.stderr
        final, _ = check_index(index_dir, records, len(records))
        assert final == len(records)
        assert not (store.live_dir(index_dir) / "MAIN.tmp").exists()
    print(f"\ncrash test (seed {seed}, start-up {startup:.1f} s, full run {full_run:.1f} s): "
          f"{kills} kills, {mid_write} with the writer open, {finished_early} runs finished "
          f"before their kill; all recovered")
    assert mid_write >= KILLS // 2, "too few kills landed while the writer was open"


def test_killed_build_leaves_the_old_index_answering(corpus, tmp_path):
    path, records = corpus
    index_dir = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], index_dir)
    old = store.live_dir(index_dir)
    rng = random.Random()
    for _ in range(4):
        killed, _ = run_and_kill([sys.executable, "-m", "search", "index", "build", str(path),
                                  "--index", index_dir], rng.uniform(0.4, 1.2))
        if not killed or store.live_dir(index_dir) != old:
            # it finished first, or was killed after the swap (while printing its summary):
            # then the whole new index is live, never a partial one; go back to the old
            assert search.index_status(index_dir)["documents"] == len(records)
            search.build_index([str(SEEDS)], index_dir)
            old = store.live_dir(index_dir)
            continue
        assert search.run_search("Lavrov", index_dir=index_dir, cross=False).total == 4
    out = run_cli("index", "build", str(path), "--index", index_dir)
    assert out.returncode == 0, out.stderr
    assert search.index_status(index_dir)["documents"] == len(records)
    assert sorted(p.name for p in Path(index_dir).glob("gen-*")) == sorted(
        [old.name, store.live_dir(index_dir).name])  # interrupted builds were cleared


WHOOSH_WRITER = """
import sys, time
from search.engine.whoosh_backend import store
_, ix = store.open_live(sys.argv[1])
writer = ix.writer()
print("writing", flush=True)
time.sleep(60)
"""


def test_whoosh_writelock_of_a_killed_writer_is_released(tmp_path):
    from whoosh.index import LockError
    index_dir = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], index_dir)
    proc = subprocess.Popen([sys.executable, "-c", WHOOSH_WRITER, index_dir], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    _, ix = store.open_live(index_dir)
    with pytest.raises(LockError):  # the holder is alive: Whoosh's lock holds
        ix.writer(timeout=0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (store.live_dir(index_dir) / "MAIN_WRITELOCK").exists()  # a file left behind…
    ix.writer(timeout=0).cancel()  # …whose flock died with its process
    out = run_cli("index", "add", str(SEEDS / "000_f4c48d42ded4b03b.txt"), "--index", index_dir)
    assert out.returncode == 0, out.stderr
