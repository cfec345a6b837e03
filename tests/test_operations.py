"""Issue 16's operator tools and faults: checksums written at commit, `index check [--repair]`,
damage that used to escape as raw exceptions (items 10), disk full / read-only / permission /
lock-folder errors (item 9), and `index snapshot` / `index restore` under load and kill -9."""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import search
from conftest import ROOT, free_port, run_cli
from damage import DAMAGES, WORDS, live_generation, record, write_jsonl
from search.engine.whoosh_backend import integrity, store
from web import create_app

ARTICLES = 120
TOKEN = "ops-token"


def all_ids(index_dir: str) -> set[str]:
    """Every document id of the live index, read from its stored fields."""
    gen, ix = store.open_live(index_dir)
    with ix.searcher() as s:
        return {fields["id"] for fields in s.all_stored_fields()}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[str, set[str]]:
    """An index of ARTICLES articles from a folder, two more added from a file that is then
    deleted, and one sent over the HTTP intake (no source at all); and its ids."""
    base = tmp_path_factory.mktemp("ops")
    source = write_jsonl(base / "src" / "articles.jsonl", [record(n) for n in range(ARTICLES)])
    index_dir = str(base / "ix")
    search.build_index([str(source.parent)], index_dir)
    gone = write_jsonl(base / "gone.jsonl", [record(n, "gone") for n in range(2)])
    search.add_paths([str(gone)], index_dir)
    gone.unlink()
    search.add_records([{"id": "intake-1", "title": "A harbour story sent over HTTP",
                         "body": "Only the index holds this harbour story.", "lang": "en"}],
                       index_dir)
    return index_dir, all_ids(index_dir)


@pytest.fixture
def index(pristine, tmp_path) -> str:
    """A writable copy of the pristine index."""
    dst = tmp_path / "ix"
    shutil.copytree(pristine[0], dst, symlinks=True)
    return str(dst)


# --- checksums and check ------------------------------------------------------------------------

def test_checksums_are_written_at_every_commit(index):
    gen = live_generation(index)
    meta = store.read_meta(gen)
    assert meta["toc"] == integrity.latest_toc(gen)
    on_disk = {p.name for p in gen.iterdir() if p.name.startswith(("MAIN_", "_MAIN_"))
               and p.name != "MAIN_WRITELOCK"}
    assert set(meta["files"]) == on_disk  # every file of the commit, nothing else
    for name, (size, crc) in meta["files"].items():
        assert (gen / name).stat().st_size == size and integrity.crc_of(gen / name) == crc
    assert sum(s["docs"] - len(s["deleted"]) for s in meta["segments"]) == ARTICLES + 3
    search.remove_documents(["a-1"], index)  # a deletion is a commit too
    meta = store.read_meta(gen)
    assert meta["toc"] == integrity.latest_toc(gen) and not integrity.verify_files(gen, meta)


def test_check_says_a_sound_index_is_healthy(index):
    out = run_cli("index", "check", "--index", index)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok:") and f"{ARTICLES + 3} documents" in out.stdout
    out = run_cli("index", "check", "--index", index, "--json")
    assert json.loads(out.stdout)["check"]["ok"] is True


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_check_names_the_damaged_file(index, damage):
    name = DAMAGES[damage](index)
    out = run_cli("index", "check", "--index", index)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"{live_generation(index).name}/{name}" in out.stderr
    assert "check --repair" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_repair_restores_every_document(index, pristine, damage):
    DAMAGES[damage](index)
    damaged_gen = live_generation(index)
    out = run_cli("index", "check", "--repair", "--index", index, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout)
    assert not result["check"]["ok"] and result["after"]["ok"]
    assert live_generation(index) != damaged_gen  # a new generation, swapped in
    assert all_ids(index) == pristine[1]  # the HTTP one and those of a deleted file too
    page = search.run_search("harbour", index_dir=index, size=100)
    assert "intake-1" in {h.id for h in page.results}
    assert run_cli("index", "check", "--index", index).returncode == 0


# --- item 10: damage that escaped as raw exceptions ---------------------------------------------

@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_index_is_503_with_the_fix_and_healthz_says_damaged(index, damage):
    DAMAGES[damage](index)
    client = create_app({"SEARCH_INDEX": index}).test_client()
    statuses = []
    for word in WORDS:  # every query either answers or is a 503 that says what to do
        response = client.get(f"/api/search?q={word}")
        statuses.append(response.status_code)
        assert response.status_code in (200, 503), response.get_data(as_text=True)
        if response.status_code == 503:
            message = response.get_json()["error"]["message"]
            assert "damaged" in message and "search index check --repair" in message
            assert index not in message and response.headers["Retry-After"]
    assert 503 in statuses  # the zeroed block was a 500 on every search, healthz said ok
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["damaged"] is True
    page = client.get(f"/?q={WORDS[0]}")
    assert page.status_code == 503 and "check --repair" in page.get_data(as_text=True)


def test_index_stats_on_truncated_segment_is_a_named_error(index):
    name = DAMAGES["truncated_segment"](index)
    out = run_cli("index", "stats", "--index", index)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "damaged" in out.stderr and name in out.stderr and "check --repair" in out.stderr
    assert "EOFError" not in out.stderr and "unexpected" not in out.stderr


@pytest.mark.parametrize("where", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_flipped_toc_byte_is_a_named_error(index, where):
    DAMAGES["flipped_toc_byte"](index, where)
    for args in (("index", "stats"), ("query", "harbour"), ("index", "add", "/dev/null")):
        out = run_cli(*args, "--index", index)
        assert out.returncode == 1, (args, out.stdout + out.stderr)
        assert "damaged" in out.stderr and "unexpected" not in out.stderr, out.stderr


def test_web_starts_on_flipped_toc_byte_and_answers_503(index, tmp_path):
    DAMAGES["flipped_toc_byte"](index)
    port = free_port()
    log = open(tmp_path / "server.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "web", "--host", "127.0.0.1", "--port",
                             str(port), "--index", index], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            # Ctrl+C stops it even when the tests run where SIGINT is ignored
                            # (a background job of a shell: its children inherit the ignore)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        base, answer = f"http://127.0.0.1:{port}", None
        for _ in range(600):  # a count of polls, each bounded by its connection timeout
            assert proc.poll() is None, "the server exited: " + Path(log.name).read_text()
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
            except urllib.error.HTTPError as e:
                answer = e
                break
            except OSError:
                time.sleep(0.1)
        assert answer is not None and answer.code == 503
        assert json.loads(answer.read())["damaged"] is True
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/api/search?q=harbour", timeout=10)
        assert err.value.code == 503 and b"check --repair" in err.value.read()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        log.close()
    text = (tmp_path / "server.log").read_text()
    assert "Traceback" not in text and "damaged" in text


# --- item 9: disk full, read-only, permissions, write.lock a folder -----------------------------

def _limited(limit: int):
    """A child's pre-exec: files may not grow past ``limit`` bytes (EFBIG, as a full disk)."""
    def setup() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the writer
        # the soft limit only: the test may lift it again (space is back)
        resource.setrlimit(resource.RLIMIT_FSIZE,
                           (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    return setup


def _cli(*args: str, preexec=None, nobody: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SEARCH_INDEX"}
    command = [sys.executable, "-m", "search", *args]
    if nobody and os.geteuid() == 0:  # root writes anywhere whatever the mode: drop its rights
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv to drop root's rights")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=preexec)


def _unreferenced(index_dir: str) -> set[str]:
    gen = live_generation(index_dir)
    meta = store.read_meta(gen)
    return {p.name for p in gen.iterdir() if p.name.startswith(("MAIN_", "_MAIN_"))
            and p.name != "MAIN_WRITELOCK"} - set(meta["files"])


def test_disk_full_during_add_is_named_and_leaves_no_partial_segment(index, pristine, tmp_path):
    big = write_jsonl(tmp_path / "big.jsonl", [record(n, "big") for n in range(400)])
    out = _cli("index", "add", str(big), "--index", index, preexec=_limited(256 * 1024))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "disk of the index" in out.stderr and "is full" in out.stderr
    assert "unexpected" not in out.stderr and "Traceback" not in out.stderr
    assert not _unreferenced(index)  # no partial segment kept the disk full
    assert all_ids(index) == pristine[1]
    # space is back: add, remove and optimize work without anyone deleting files by hand
    assert _cli("index", "add", str(big), "--index", index).returncode == 0
    assert _cli("index", "remove", "big-1", "--index", index).returncode == 0
    assert _cli("index", "optimize", "--index", index).returncode == 0
    assert len(all_ids(index)) == len(pristine[1]) + 399
    assert _cli("index", "check", "--index", index).returncode == 0


def test_disk_full_during_optimize_keeps_the_index(index, pristine):
    search.remove_documents(["a-2"], index)
    out = _cli("index", "optimize", "--index", index, preexec=_limited(64 * 1024))
    assert out.returncode == 1 and "is full" in out.stderr, out.stderr
    assert not _unreferenced(index)
    assert all_ids(index) == pristine[1] - {"a-2"}
    assert _cli("index", "check", "--index", index).returncode == 0


def test_disk_full_intake_is_507_and_healthz_says_so(index, tmp_path):
    app = create_app({"SEARCH_INDEX": index, "SEARCH_ADMIN_TOKEN": TOKEN, "TESTING": True})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    batch = [record(n, "post") for n in range(300)]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (128 * 1024, hard))  # this process, briefly
    try:
        response = client.post("/api/articles", json=batch, headers=auth)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert response.status_code == 507, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["type"] == "DiskFullError" and "disk is full" in body["message"]
    assert index not in body["message"] and str(os.getpid()) not in body["message"]
    health = client.get("/healthz")
    assert health.status_code == 200 and "full" in health.get_json()["write_error"]
    assert not _unreferenced(index)
    assert client.post("/api/articles", json=batch, headers=auth).status_code == 201
    assert "write_error" not in client.get("/healthz").get_json()


@pytest.fixture
def readable_index(pristine) -> str:
    """A copy of the index in a folder anyone may read (for a child without root's rights)."""
    root = Path(tempfile.mkdtemp(prefix="ops-ro-"))
    root.chmod(0o755)
    shutil.copytree(pristine[0], root / "ix", symlinks=True)
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    yield str(root / "ix")
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(root)


def test_read_only_index_folder_is_a_named_error(readable_index, tmp_path):
    new = write_jsonl(Path(tempfile.mkdtemp(prefix="ops-new-")) / "new.jsonl", [record(1, "n")])
    new.parent.chmod(0o755)
    new.chmod(0o644)
    for path in [Path(readable_index), *Path(readable_index).iterdir()]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o555)
    (Path(readable_index) / "write.lock").chmod(0o444)
    for args in (("index", "add", str(new)), ("index", "optimize"), ("index", "remove", "a-1")):
        out = _cli(*args, "--index", readable_index, nobody=True)
        assert out.returncode == 1, (args, out.stdout + out.stderr)
        assert "Permission denied" in out.stderr and "chown/chmod" in out.stderr, out.stderr
        assert "unexpected" not in out.stderr and "a bug" not in out.stderr
    out = _cli("query", "harbour", "--index", readable_index, nobody=True)
    assert out.returncode == 0, out.stderr  # reading a read-only index still works
    shutil.rmtree(new.parent)


def test_write_lock_directory_is_a_named_error(index, tmp_path):
    lock = Path(index) / "write.lock"
    lock.unlink()
    lock.mkdir()
    new = write_jsonl(tmp_path / "new.jsonl", [record(1, "n")])
    out = _cli("index", "add", str(new), "--index", index)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "write.lock is not a regular file" in out.stderr and "rm -r" in out.stderr
    assert "unexpected" not in out.stderr
    client = create_app({"SEARCH_INDEX": index, "SEARCH_ADMIN_TOKEN": TOKEN}).test_client()
    response = client.post("/api/articles", json=[record(2, "n")],
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503 and index not in response.get_data(as_text=True)
    lock.rmdir()  # the fix the message gives
    assert _cli("index", "add", str(new), "--index", index).returncode == 0


# --- snapshot and restore -----------------------------------------------------------------------

def test_snapshot_and_restore_round_trip(index, pristine, tmp_path):
    out = run_cli("index", "snapshot", str(tmp_path / "snap"), "--index", index)
    assert out.returncode == 0, out.stderr
    assert run_cli("index", "check", "--index", str(tmp_path / "snap")).returncode == 0
    search.remove_documents(["a-5", "a-6"], index)
    before = live_generation(index)
    out = run_cli("index", "restore", str(tmp_path / "snap"), "--index", index)
    assert out.returncode == 0, out.stderr
    assert live_generation(index) != before and all_ids(index) == pristine[1]
    assert os.readlink(Path(index) / "previous") == before.name  # readers on it go on
    out = run_cli("index", "snapshot", str(tmp_path / "snap"), "--index", index)
    assert out.returncode == 1 and "not empty" in out.stderr  # never over another snapshot


def test_snapshot_while_a_writer_adds_is_consistent(index, pristine, tmp_path):
    stop, added, errors = threading.Event(), [], []
    batches = [[record(n, f"w{b}") for n in range(20)] for b in range(40)]

    def writer() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                search.add_records(batch, index)
                added.append(len(batch))
        except Exception as e:  # noqa: BLE001 — reported by the assertion below
            errors.append(e)
    thread = threading.Thread(target=writer)
    thread.start()
    counts = []
    try:
        for n in range(4):
            dest = tmp_path / f"snap{n}"
            out = run_cli("index", "snapshot", str(dest), "--index", index, "--json")
            assert out.returncode == 0, out.stderr
            taken = json.loads(out.stdout)["documents"]
            restored = str(tmp_path / f"restored{n}")
            assert run_cli("index", "restore", str(dest), "--index", restored).returncode == 0
            ids = all_ids(restored)
            assert len(ids) == taken and pristine[1] <= ids  # whole commits, nothing lost
            # each writer batch is one commit: a snapshot holds whole batches only
            assert (len(ids) - len(pristine[1])) % 20 == 0
            assert run_cli("index", "check", "--index", restored).returncode == 0
            counts.append(taken)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert counts == sorted(counts) and len(set(counts)) > 1  # taken while the writer ran


def test_snapshot_killed_is_refused_by_restore(pristine, tmp_path):
    index = str(tmp_path / "big")
    source = write_jsonl(tmp_path / "big" / "src.jsonl",
                         [record(n, "k") for n in range(3000)])
    search.build_index([str(source)], index)
    before = all_ids(index)
    partial = None
    for attempt in range(10):  # a count of tries: a fast copy may finish before the kill
        dest = tmp_path / f"snap{attempt}"
        proc = subprocess.Popen([sys.executable, "-m", "search", "index", "snapshot",
                                 str(dest), "--index", index], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not any(dest.glob("gen-*/*")):
            pass
        proc.kill()
        proc.wait()
        if not (dest / "snapshot.json").exists() and dest.exists():
            partial = dest
            break
    assert partial is not None, "every snapshot finished before the kill"
    out = run_cli("index", "restore", str(partial), "--index", index)
    assert out.returncode == 1 and "not a complete snapshot" in out.stderr, out.stderr
    assert all_ids(index) == before  # the source index untouched
    assert run_cli("index", "check", "--index", index).returncode == 0


def test_watch_waits_out_a_full_disk(index, tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SEARCH_INDEX"}
    proc = subprocess.Popen([sys.executable, "-m", "search", "index", "watch", str(feed),
                             "--index", index], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True,
                            preexec_fn=_limited(64 * 1024))
    try:
        assert "watching" in proc.stderr.readline()
        write_jsonl(tmp_path / "staged.jsonl", [record(n, "feed") for n in range(300)]).rename(
            feed / "feed.jsonl")
        line = proc.stderr.readline()  # was: the watcher exited on ENOSPC
        assert line.startswith("waiting:") and "is full" in line, line
        assert proc.poll() is None and not _unreferenced(index)
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (hard, hard))  # space is back
        for _ in range(3000):  # polls, not a clock: retries come every few seconds, slower loaded
            if "feed-299" in all_ids(index):
                break
            time.sleep(0.1)
        assert "feed-299" in all_ids(index)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
