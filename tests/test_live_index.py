"""A live index (issue 5): add, sync, remove, stats, optimize, watch; one writer at a time;
readers that never fail while it writes; a rebuild swapped in under a reader's feet."""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import search
from conftest import ROOT, SEEDS, run_cli
from search.engine.whoosh_backend import store
from search.errors import IndexLockedError, InvalidArticleError
from search.ingest.fields import file_article_id
from search.schema import SCHEMA_VERSION
from search.sync import sync_folder

STATS_KEYS = {"documents", "by_lang", "by_source", "segments", "size_bytes", "updated",
              "schema_version"}


def story(word: str, n: int = 0) -> str:
    """A small English text article about ``word``."""
    return (f"Title: The {word} report {n}\n\nOfficials said on Monday that the {word} talks "
            f"went on for a {n}th day, and that more meetings are planned next week.\n")


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def total(word: str, index_dir: str) -> int:
    return search.run_search(word, index_dir=index_dir).total


def ids_in(index_dir: str) -> set[str]:
    _, ix = store.open_live(index_dir)
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


@pytest.fixture
def news(tmp_path) -> Path:
    """A folder of three text articles and a JSON Lines file of two."""
    folder = tmp_path / "news"
    folder.mkdir()
    for n, word in enumerate(["walrus", "pelican", "heron"]):
        (folder / f"{word}.txt").write_text(story(word, n), "utf-8")
    write_jsonl(folder / "feed.jsonl", [
        {"id": "j1", "title": "Osprey sighting", "body": "An osprey was seen over the lake.",
         "url": "https://example.org/osprey", "lang": "en"},
        {"id": "j2", "title": "Kestrel census", "body": "Kestrel numbers rose this year.",
         "url": "https://example.org/kestrel", "lang": "en"},
    ])
    return folder


# ---- add: new, changed, identical, duplicates ---------------------------------------------

def test_add_adds_updates_skips_unchanged_and_duplicates(news, tmp_path):
    ix = str(tmp_path / "ix")
    first = search.add_paths([str(news)], ix)
    assert (first.added, first.updated, first.unchanged) == (5, 0, 0)
    assert search.get_document("walrus", index_dir=ix).path == str((news / "walrus.txt").resolve())

    (news / "walrus.txt").write_text(story("walrus", 99) + "A new paragraph.\n", "utf-8")
    (news / "copy-of-heron.txt").write_text(story("heron", 2), "utf-8")  # same text, new id
    write_jsonl(news / "more.jsonl", [
        {"id": "j3", "title": "Another osprey page", "body": "Different words entirely.",
         "url": "HTTPS://example.org/osprey"},  # same URL as j1 (URLs compare case-blind)
        {"id": "j4", "title": "Crane", "body": "A crane flew by.", "lang": "en"},
        {"id": "j5", "title": "Crane", "body": "A  crane flew   by.", "lang": "en"},  # j4 again
    ])
    second = search.add_paths([str(news)], ix)
    assert (second.added, second.updated, second.unchanged) == (1, 1, 4)
    reasons = sorted(d.reason for d in second.duplicates)
    assert reasons == ["article 'copy-of-heron' not indexed: same text as article 'heron'",
                       "article 'j3' not indexed: same URL as article 'j1'",
                       "article 'j5' not indexed: same text as article 'j4'"]
    assert ids_in(ix) == {"walrus", "pelican", "heron", "j1", "j2", "j4"}
    assert total("paragraph", ix) == 1  # the update is searchable

    third = search.add_paths([str(news)], ix)
    assert (third.added, third.updated, third.unchanged, len(third.duplicates)) == (0, 0, 6, 3)


def test_add_cli_json_and_exit_code_4_for_a_bad_file(news, tmp_path):
    ix = str(tmp_path / "ix")
    assert run_cli("index", "add", str(news), "--index", ix).returncode == 0
    (news / "broken.json").write_text('{"title": "half', "utf-8")
    (news / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (news / "fresh.txt").write_text(story("flamingo"), "utf-8")
    out = run_cli("index", "add", str(news), "--index", ix, "--json")
    assert out.returncode == 4, out.stderr
    report = json.loads(out.stdout)
    assert report["added"] == 1 and report["unchanged"] == 5
    reasons = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {"broken.json", "image.bin"}
    assert reasons["broken.json"].startswith("invalid JSON: Unterminated string")
    assert reasons["image.bin"] == "unsupported or binary file (.bin)"
    assert len(ids_in(ix)) == 6  # nothing already indexed was lost
    plain = run_cli("index", "add", str(news / "image.bin"), "--index", ix)
    assert plain.returncode == 4 and "skipped" in plain.stderr and "binary" in plain.stderr


# ---- sync ---------------------------------------------------------------------------------

def test_sync_makes_the_index_match_the_folder_and_leaves_others_alone(news, tmp_path):
    ix = str(tmp_path / "ix")
    other = tmp_path / "other"
    other.mkdir()
    (other / "stork.txt").write_text(story("stork"), "utf-8")
    search.add_paths([str(other)], ix)
    search.add_records({"id": "api-1", "title": "Swift", "body": "Swifts nest in towers."}, ix)
    report = sync_folder(str(news), ix)
    assert report.added == 5 and report.removed == 0

    (news / "pelican.txt").unlink()  # gone
    (news / "heron.txt").write_text(story("heron", 7) + "Updated.\n", "utf-8")  # changed
    (news / "sub").mkdir()
    (news / "walrus.txt").rename(news / "sub" / "walrus.txt")  # moved: a new id (its path)
    (news / "sub" / "ibis.txt").write_text(story("ibis"), "utf-8")  # new
    write_jsonl(news / "feed.jsonl", [  # j2 no longer in the feed
        {"id": "j1", "title": "Osprey sighting", "body": "An osprey was seen over the lake.",
         "url": "https://example.org/osprey", "lang": "en"}])
    report = sync_folder(str(news), ix)
    assert (report.added, report.updated, report.removed) == (2, 1, 3)
    root = str(news.resolve())
    walrus, ibis = (file_article_id(f"{root}/sub/{name}.txt", root) for name in ("walrus", "ibis"))
    assert ids_in(ix) == {walrus, "heron", ibis, "j1", "stork", "api-1"}
    assert search.get_document(walrus, index_dir=ix).path.endswith("/sub/walrus.txt")
    assert total("pelican", ix) == 0 and total("ibis", ix) == 1

    again = run_cli("index", "sync", str(news), "--index", ix)
    assert again.returncode == 0
    assert "0 added, 0 updated (none); 4 unchanged; 0 removed" in again.stdout


def test_sync_keeps_the_articles_of_a_file_that_cannot_be_read_now(news, tmp_path):
    ix = str(tmp_path / "ix")
    sync_folder(str(news), ix)
    with open(news / "feed.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": "j3", "title": "half a li')  # a writer is still at it
    write_jsonl(news / "feed2.jsonl", [])
    report = sync_folder(str(news), ix)
    assert report.removed == 0 and len(report.skipped) == 2
    assert {"j1", "j2"} <= ids_in(ix)


# ---- remove, stats, optimize --------------------------------------------------------------

def test_remove_stats_optimize_cli(news, tmp_path):
    ix = str(tmp_path / "ix")
    run_cli("index", "add", str(SEEDS), "--index", ix)
    run_cli("index", "add", str(news), "--index", ix)  # a segment without sources
    removed = run_cli("index", "remove", "j1", "walrus", "nope", "--index", ix)
    assert removed.returncode == 0 and removed.stdout.strip() == "removed 2 of 3 articles"
    assert "not in the index: nope" in removed.stderr
    stats = json.loads(run_cli("index", "stats", "--index", ix, "--json").stdout)
    assert set(stats) == STATS_KEYS
    assert stats["documents"] == 8 and sum(stats["by_lang"].values()) == 8  # deleted ones left out
    assert stats["by_lang"] == {"en": 7, "ar": 1} and stats["schema_version"] == SCHEMA_VERSION
    assert stats["by_source"] == {"kayhan.ir": 1, "IRNA": 1}
    assert stats["segments"] == 2 and stats["size_bytes"] > 0 and stats["updated"]
    opt = run_cli("index", "optimize", "--index", ix)
    assert opt.returncode == 0 and "segments → 1" in opt.stdout, opt.stderr
    after = json.loads(run_cli("index", "stats", "--index", ix, "--json").stdout)
    assert after["segments"] == 1 and after["documents"] == 8
    assert after["size_bytes"] < stats["size_bytes"]
    missing = run_cli("index", "stats", "--index", str(tmp_path / "none"))
    assert missing.returncode == 1 and "search index build" in missing.stderr


def test_stats_of_an_empty_index(tmp_path):
    ix = str(tmp_path / "ix")
    (tmp_path / "empty").mkdir()
    assert run_cli("index", "sync", str(tmp_path / "empty"), "--index", ix).returncode == 0
    stats = json.loads(run_cli("index", "stats", "--index", ix, "--json").stdout)
    assert (stats["documents"], stats["by_lang"], stats["by_source"]) == (0, {}, {})


@pytest.mark.parametrize("cmd", ["sync", "watch", "optimize"])
def test_new_commands_have_help(cmd):
    out = run_cli("index", cmd, "--help")
    assert out.returncode == 0 and "Usage:" in out.stdout
    if cmd != "optimize":
        assert "--wait" in out.stdout and "SEARCH_LOCK_TIMEOUT" in out.stdout


# ---- the HTTP intake's core ---------------------------------------------------------------

@pytest.mark.parametrize("records, message", [
    ("not json", "expected a JSON object or a list of objects"),
    ([], "the list holds no article"),
    ({"title": "No body"}, "the article: record has no body"),
    ([{"body": "ok"}, {"body": 5}], "article 2: body is a number, expected text"),
    ([{"body": "ok", "titel": "typo"}], "unknown field 'titel'"),
    ([{"body": "x"}] * 1001, "1001 articles in one request; the limit is 1000"),
])
def test_add_records_rejects_bad_input_and_writes_nothing(tmp_path, records, message):
    ix = str(tmp_path / "ix")
    with pytest.raises(InvalidArticleError, match=message) as caught:
        search.add_records(records, ix)
    assert caught.value.http_status == 400 and caught.value.exit_code == 2
    assert search.error_json(caught.value)["error"]["status"] == 400
    assert store.live_dir(ix) is None


def test_add_records_adds_and_skips_duplicates(tmp_path):
    ix = str(tmp_path / "ix")
    records = [{"id": "a1", "title": "Gannet", "body": "Gannets dive.", "lang": "en",
                "date": "2021-05-01", "source": "wire"},
               {"id": "a2", "title": "Gannet", "body": "Gannets dive.", "lang": "en"}]
    report = search.add_records(records, ix)
    assert report.added == 1 and len(report.duplicates) == 1
    assert report.to_json()["duplicates"][0]["reason"].endswith("same text as article 'a1'")
    assert search.add_records(records[0], ix).unchanged == 1
    assert search.get_document("a1", index_dir=ix).path == ""


# ---- one writer at a time -----------------------------------------------------------------

HOLDER = """
import sys, time
from search.engine.whoosh_backend import store
with store.write_lock(sys.argv[1], what="`lock holder of the test`"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(index_dir: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, index_dir, str(seconds)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_waits_then_names_the_holder(news, tmp_path):
    ix = str(tmp_path / "ix")
    holder = hold_lock(ix, 30)
    try:
        t0 = time.monotonic()
        out = run_cli("index", "add", str(news), "--index", ix, "--wait", "0.5")
        waited = time.monotonic() - t0
        assert out.returncode == 1 and out.stderr.count("\n") == 1
        assert f"`lock holder of the test` (pid {holder.pid}" in out.stderr
        assert "gave up after 0.5 s" in out.stderr and waited >= 0.5
        env = run_cli("index", "sync", str(news), "--index", ix,
                      env={"SEARCH_LOCK_TIMEOUT": "0.2"})
        assert env.returncode == 1 and "gave up after 0.2 s" in env.stderr
        with pytest.raises(IndexLockedError):
            search.add_records({"body": "x"}, ix, lock_timeout=0.1)
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_writer_goes_ahead_when_the_holder_finishes(news, tmp_path):
    ix = str(tmp_path / "ix")
    holder = hold_lock(ix, 1.0)
    out = run_cli("index", "add", str(news), "--index", ix, "--wait", "20")
    holder.wait()
    assert out.returncode == 0 and "5 added" in out.stdout
    assert "stopped without finishing" not in out.stderr  # it finished


def test_the_lock_of_a_killed_writer_is_cleared(news, tmp_path):
    ix = str(tmp_path / "ix")
    holder = hold_lock(ix, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (Path(ix) / store.LOCK).exists()  # the file stays; its flock died with the process
    t0 = time.monotonic()
    out = run_cli("index", "add", str(news), "--index", ix, "--wait", "5")
    assert out.returncode == 0 and time.monotonic() - t0 < 5
    assert f"the previous writer, `lock holder of the test` (pid {holder.pid}" in out.stderr


# ---- readers during writes ----------------------------------------------------------------

class Reader(threading.Thread):
    """Queries in a loop until stopped, recording every total and every error."""

    def __init__(self, index_dir: str, word: str) -> None:
        super().__init__(daemon=True)
        self.index_dir, self.word = index_dir, word
        self.totals: list[int] = []
        self.errors: list[BaseException] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.totals.append(total(self.word, self.index_dir))
            except BaseException as e:  # noqa: BLE001 - any failure is what we count
                self.errors.append(e)
            time.sleep(0.005)


def test_readers_never_fail_and_see_each_commit(tmp_path):
    ix = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], ix)
    reader = Reader(ix, "heron")
    reader.start()
    try:
        items = [search.Article(id=f"h{n}", title=f"Heron {n}", body=story("heron", n), lang="en")
                 for n in range(120)]
        search.add_articles(items, ix, commit_every=10)
        for article in items[:30]:  # updates: delete + add inside each commit
            article.body += " Updated."
        search.add_articles(items[:30], ix, commit_every=10)
        search.remove_documents([f"h{n}" for n in range(100, 120)], ix)
        time.sleep(0.2)
    finally:
        reader.done.set()
        reader.join()
    assert reader.errors == []
    assert len(set(reader.totals)) >= 5  # it saw commits as they came, without a restart
    full = reader.totals.index(120)
    assert reader.totals[:full] == sorted(reader.totals[:full])  # adding: only ever more
    assert set(reader.totals[full:]) == {120, 100}  # an update never shows twice or not at all
    assert reader.totals[-1] == 100


def test_a_commit_between_a_readers_look_and_its_open_is_not_damage(tmp_path, monkeypatch):
    """A reader lists the live generation's table of contents; before it checks the files
    recorded with it, another writer commits, and Whoosh deletes that table and the segments
    the commit merged. The reader opens the new commit instead of answering 503 "damaged"
    (a load test met it once: one 503 among 600 answers while an indexer added batches)."""
    from search.engine.whoosh_backend import integrity
    ix = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], ix)
    real_latest = integrity.latest_toc
    commits = []

    def latest_then_a_commit(gen_dir):
        listed = real_latest(gen_dir)
        looking = sys._getframe(1).f_code.co_name == "verify_quick"  # the reader's check
        if looking and not commits:  # once: the race's other side, a real commit
            commits.append(gen_dir)  # (the writer lists the table of contents too)
            search.add_articles(
                [search.Article(id="h1", title="Heron", body=story("heron"), lang="en")], ix)
        return listed

    old_toc = real_latest(store.live_dir(ix))
    monkeypatch.setattr(integrity, "latest_toc", latest_then_a_commit)
    gen, index = store.open_live(ix)
    assert commits, "the commit came in the middle of the reader's look"
    assert not (gen / old_toc).exists()  # what the reader had listed is gone
    with index.searcher() as s:
        assert s.doc_count() == 6  # it opened the commit that replaced it
    monkeypatch.setattr(integrity, "latest_toc", real_latest)
    assert total("heron", ix) == 1


def test_damage_that_stands_still_is_still_damage(tmp_path):
    """The retry is for a moving index only: a recorded file missing from an index no writer
    touches is reported at once, as before."""
    ix = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], ix)
    gen = store.live_dir(ix)
    segment = next(gen.glob("*.seg"))
    segment.unlink()
    with pytest.raises(search.SearchError) as caught:
        store.open_live(ix)
    assert type(caught.value).__name__ == "IndexDamagedError"
    assert segment.name in str(caught.value)


def test_rebuild_swaps_in_atomically_under_a_reader(tmp_path):
    ix = str(tmp_path / "ix")
    search.build_index([str(SEEDS)], ix)
    before = total("Lavrov", ix)
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    for n in range(150):
        (corpus / f"lavrov-{n}.txt").write_text(story(f"Lavrov {n}", n), "utf-8")
    reader = Reader(ix, "Lavrov")
    reader.start()
    try:
        out = run_cli("index", "build", str(corpus), "--index", ix)
        assert out.returncode == 0, out.stderr
        time.sleep(0.2)
    finally:
        reader.done.set()
        reader.join()
    after = before + 150
    assert reader.errors == []
    assert set(reader.totals) == {before, after}  # the old index or the whole new one
    assert reader.totals[0] == before and reader.totals[-1] == after
    assert len(list(Path(ix).glob("gen-*"))) == 2  # live and previous


# ---- watch --------------------------------------------------------------------------------

class Watcher:
    """`search index watch` in a subprocess, its stdout lines in a queue."""

    def __init__(self, folder: Path, index_dir: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "search", "index", "watch", str(folder), "--index", index_dir,
             *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def next_line(self, timeout: float = 20) -> str:
        return self.lines.get(timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        return code, self.proc.stderr.read()


def searchable_after(word: str, index_dir: str, since: float, limit: float = 10) -> float:
    """Seconds from ``since`` until ``word`` is found (limit if never)."""
    while time.monotonic() - since < limit:
        if total(word, index_dir):
            return time.monotonic() - since
        time.sleep(0.02)
    return limit


def test_watch_indexes_dropped_moved_and_removed_files(news, tmp_path):
    ix = str(tmp_path / "ix")
    watcher = Watcher(news, ix)
    try:
        assert "4 files: 5 added" in watcher.next_line()  # the initial sync
        t0 = time.monotonic()
        (news / "avocet.txt").write_text(story("avocet"), "utf-8")
        latency = searchable_after("avocet", ix, t0)
        assert latency < 2.0, latency
        print(f"\ndropped file searchable after {latency:.2f} s")
        assert "1 file: 1 added" in watcher.next_line()

        outside = tmp_path / "incoming.txt"  # moved in from another folder: no close event
        outside.write_text(story("plover"), "utf-8")
        t0 = time.monotonic()
        outside.rename(news / "plover.txt")
        assert searchable_after("plover", ix, t0) < 2.0
        watcher.next_line()

        (news / ".draft.txt").write_text(story("curlew"), "utf-8")  # written aside, renamed
        (news / ".draft.txt").rename(news / "curlew.txt")
        assert searchable_after("curlew", ix, time.monotonic()) < 2.0
        watcher.next_line()

        (news / "pelican.txt").unlink()
        (news / "feed.jsonl").unlink()
        deadline = time.monotonic() + 5
        while total("pelican", ix) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert total("pelican", ix) == 0 and total("osprey", ix) == 0
        assert "removed" in watcher.next_line()
    finally:
        code, err = watcher.stop(signal.SIGTERM)
    assert code == 0 and err.rstrip().endswith("stopped"), err


def test_watch_waits_for_a_slow_writer_and_stops_on_ctrl_c(news, tmp_path):
    ix = str(tmp_path / "ix")
    watcher = Watcher(news, ix, "--settle", "0.2")
    try:
        watcher.next_line()
        record = json.dumps({"id": "slow", "title": "Sandpiper", "body": "Sandpipers run."})
        with open(news / "slow.json", "w", encoding="utf-8") as f:
            f.write(record[:20])
            f.flush()
            time.sleep(1.0)  # far longer than --settle: only the close says it is complete
            assert total("sandpiper", ix) == 0
            f.write(record[20:])
        assert searchable_after("sandpiper", ix, time.monotonic()) < 2.0
        line = watcher.next_line()
        assert "1 file: 1 added" in line and "0 skipped" in line, line
    finally:
        code, err = watcher.stop(signal.SIGINT)
    assert code == 0 and "skipped" not in err and err.rstrip().endswith("stopped"), err
    assert not list(Path(store.live_dir(ix)).glob("MAIN.tmp"))  # nothing half-written


def test_watch_stopped_mid_batch_finishes_it(news, tmp_path):
    ix = str(tmp_path / "ix")
    watcher = Watcher(news, ix)
    try:
        watcher.next_line()
        write_jsonl(tmp_path / "big.jsonl", [
            {"id": f"b{n}", "title": f"Bittern {n}", "body": story("bittern", n), "lang": "en"}
            for n in range(150)])
        (tmp_path / "big.jsonl").rename(news / "big.jsonl")
        writer_open = Path(store.live_dir(ix)) / "MAIN.tmp"
        deadline = time.monotonic() + 10
        while not writer_open.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert writer_open.exists()  # the batch is being written…
    finally:
        code, err = watcher.stop(signal.SIGTERM)  # …when the stop comes
    assert code == 0 and "stopping after the current batch" in err, err
    assert "1 file: 150 added" in watcher.next_line(timeout=1)
    assert len(ids_in(ix)) == 155 and not writer_open.exists()


def test_watch_waits_while_another_writer_holds_the_index(news, tmp_path):
    ix = str(tmp_path / "ix")
    watcher = Watcher(news, ix, "--wait", "0.2")
    try:
        watcher.next_line()
        holder = hold_lock(ix, 1.5)
        (news / "godwit.txt").write_text(story("godwit"), "utf-8")
        holder.wait()
        assert searchable_after("godwit", ix, time.monotonic()) < 2.0
        assert "1 file: 1 added" in watcher.next_line()
    finally:
        code, err = watcher.stop()
    assert code == 0 and "waiting: The index in" in err and "`lock holder of the test`" in err


def test_overlapping_feeds_index_each_article_once_without_churn(news, tmp_path):
    ix = str(tmp_path / "ix")
    feed = (news / "feed.jsonl").read_text("utf-8")
    (news / "feed-earlier.jsonl").write_text(feed, "utf-8")  # the same two articles again
    first = sync_folder(str(news), ix)
    assert first.added == 5 and not first.duplicates
    again = sync_folder(str(news), ix)
    assert (again.added, again.updated, again.removed, again.commits) == (0, 0, 0, 0)
    (news / "feed-earlier.jsonl").unlink()  # the file they were recorded under goes
    after = sync_folder(str(news), ix)
    assert (after.added, after.removed) == (2, 2) and {"j1", "j2"} <= ids_in(ix)
    assert search.get_document("j1", index_dir=ix).path.endswith("/feed.jsonl")
