"""The operator's faults of issue 16 for bench/faults.py's table: full disk, read-only folder,
write.lock a folder, damaged files (flipped TOC byte, zeroed posting block, truncated
segment), kill -9 mid-snapshot, and `check --repair` restoring every document.

``ROWS`` is a list of functions ``row(workdir, trials) -> {"attack", "trials", "passed",
"expected", "found", "worst_s"}``; each drives the real CLI (`python -m search`) in
subprocesses. ``expected``/``found`` count documents summed over the trials: those the index
must still hold after the fault (and after the fix), and those it held.

    python bench/faults_ops.py [--trials N] [--workdir DIR]   # prints the rows as a table
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from damage import (flip_toc_byte, live_generation, record, truncate_segment,  # noqa: E402
                    write_jsonl, zero_posting_block)

ARTICLES = 300


def cli(*args: str, preexec: Callable | None = None, nobody: bool = False
        ) -> tuple[subprocess.CompletedProcess, float]:
    """The real CLI in a subprocess, and its wall time."""
    command = [sys.executable, "-m", "search", *args]
    if nobody and os.geteuid() == 0:  # root writes anywhere whatever the mode
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {k: v for k, v in os.environ.items() if k != "SEARCH_INDEX"}
    t0 = time.perf_counter()
    out = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600, preexec_fn=preexec)
    return out, time.perf_counter() - t0


def ids_of(index_dir: str | Path) -> set[str]:
    """Every document id of the live index."""
    from search.engine.whoosh_backend import store
    _, ix = store.open_live(str(index_dir))
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def unreferenced(index_dir: str | Path) -> set[str]:
    """Segment files of the live generation its last commit does not name."""
    from search.engine.whoosh_backend import store
    gen = live_generation(index_dir)
    named = set(store.read_meta(gen).get("files") or {})
    return {p.name for p in gen.iterdir() if p.name.startswith(("MAIN_", "_MAIN_"))
            and p.name != "MAIN_WRITELOCK"} - named


class Base:
    """One built index per row (a folder of ARTICLES articles, 2 from a file since deleted,
    1 sent as a record with no file), copied for each trial."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pristine = workdir / "pristine"
        if not (self.pristine / "current").exists():
            shutil.rmtree(self.pristine, ignore_errors=True)
            src = write_jsonl(workdir / "src" / "articles.jsonl",
                              [record(n) for n in range(ARTICLES)])
            _check(cli("index", "build", str(src.parent), "--index", str(self.pristine)))
            gone = write_jsonl(workdir / "gone.jsonl", [record(n, "gone") for n in range(2)])
            _check(cli("index", "add", str(gone), "--index", str(self.pristine)))
            gone.unlink()
            lone = write_jsonl(workdir / "lone.jsonl", [{"id": "lone-1", "lang": "en",
                               "title": "A harbour story", "body": "Only in the index."}])
            _check(cli("index", "add", str(lone), "--index", str(self.pristine)))
            lone.unlink()
        self.ids = ids_of(self.pristine)

    def copy(self, name: str) -> Path:
        """A fresh copy of the index for one trial."""
        dst = self.workdir / name
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(self.pristine, dst, symlinks=True)
        return dst


def _check(result: tuple[subprocess.CompletedProcess, float]) -> None:
    out = result[0]
    if out.returncode not in (0, 4):
        raise RuntimeError(f"setting up failed: {out.stderr}")


def _named(out: subprocess.CompletedProcess, *words: str) -> bool:
    """Exit 1 with a one-line message holding ``words``, and no sign of a bug."""
    return out.returncode == 1 and all(w in out.stderr for w in words) and \
        "unexpected" not in out.stderr and "Traceback" not in out.stderr


def _row(attack: str, trials: int, passed: int, expected: int, found: int,
         worst: float) -> dict:
    return {"attack": attack, "trials": trials, "passed": passed, "expected": expected,
            "found": found, "worst_s": round(worst, 2)}


def _fsize_limit(limit: int) -> Callable[[], None]:
    def setup() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return setup


# --- rows ------------------------------------------------------------------------------------

def disk_full_during_add(workdir: Path, trials: int) -> dict:
    """add under a file-size limit (EFBIG, as a full disk): named error, no partial segment,
    then the same add without the limit works and every document is there."""
    base, rng = Base(workdir), random.Random(16)
    big = write_jsonl(workdir / "big.jsonl", [record(n, "big") for n in range(400)])
    passed = expected = found = 0
    worst = 0.0
    for t in range(trials):
        ix = base.copy("trial")
        limit = rng.choice([64, 128, 256, 512]) * 1024
        out, took = cli("index", "add", str(big), "--index", str(ix),
                        preexec=_fsize_limit(limit))
        worst = max(worst, took)
        ok = _named(out, "is full") and not unreferenced(ix) and ids_of(ix) == base.ids
        again, _ = cli("index", "add", str(big), "--index", str(ix))
        ids = ids_of(ix)
        expected += len(base.ids) + 400
        found += len(ids)
        passed += ok and again.returncode == 0 and len(ids) == len(base.ids) + 400
    return _row("disk full during add (EFBIG)", trials, passed, expected, found, worst)


def read_only_index_folder(workdir: Path, trials: int) -> dict:
    """add, remove and optimize on a folder the user may not write: named error with the fix;
    queries still answer; nothing lost."""
    base = Base(workdir)
    passed = expected = found = 0
    worst = 0.0
    root = Path(tempfile.mkdtemp(prefix="faults-ro-"))
    root.chmod(0o755)
    new = write_jsonl(root / "new.jsonl", [record(1, "n")])
    new.chmod(0o644)
    try:
        for t in range(trials):
            ix = root / "ix"
            shutil.rmtree(ix, ignore_errors=True)
            shutil.copytree(base.pristine, ix, symlinks=True)
            for path in [ix, *ix.iterdir()]:
                if not path.is_symlink():
                    path.chmod(0o555 if path.is_dir() else 0o444)
            for sub in ix.glob("gen-*"):
                for f in sub.iterdir():
                    f.chmod(0o444)
            ok = True
            for args in (("index", "add", str(new)), ("index", "remove", "a-1"),
                         ("index", "optimize")):
                out, took = cli(*args, "--index", str(ix), nobody=True)
                worst = max(worst, took)
                ok = ok and _named(out, "Permission denied", "chown/chmod")
            query, _ = cli("query", "harbour", "--index", str(ix), nobody=True)
            for path in [ix, *ix.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(0o755 if path.is_dir() else 0o644)
            ids = ids_of(ix)
            expected += len(base.ids)
            found += len(ids)
            passed += ok and query.returncode == 0 and ids == base.ids
    finally:
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(root, ignore_errors=True)
    return _row("read-only index folder", trials, passed, expected, found, worst)


def write_lock_a_directory(workdir: Path, trials: int) -> dict:
    """write.lock is a folder: named error saying to remove it; after `rm -r` the add works."""
    base = Base(workdir)
    new = write_jsonl(workdir / "new.jsonl", [record(1, "n")])
    passed = expected = found = 0
    worst = 0.0
    for t in range(trials):
        ix = base.copy("trial")
        (ix / "write.lock").unlink()
        (ix / "write.lock").mkdir()
        out, took = cli("index", "add", str(new), "--index", str(ix))
        worst = max(worst, took)
        ok = _named(out, "write.lock is not a regular file", "rm -r")
        (ix / "write.lock").rmdir()
        again, _ = cli("index", "add", str(new), "--index", str(ix))
        ids = ids_of(ix)
        expected += len(base.ids) + 1
        found += len(ids)
        passed += ok and again.returncode == 0 and ids == base.ids | {"n-1"}
    return _row("write.lock a directory", trials, passed, expected, found, worst)


def _damage_row(attack: str, damage: Callable[[Path, random.Random], None],
                workdir: Path, trials: int) -> dict:
    """Damage, then: stats and query name it (exit 1), check names it (exit 1), --repair
    brings every document back (exit 0) and check is clean."""
    base, rng = Base(workdir), random.Random(attack)
    passed = expected = found = 0
    worst = 0.0
    for t in range(trials):
        ix = base.copy("trial")
        damage(ix, rng)
        stats, took1 = cli("index", "stats", "--index", str(ix))
        check, took2 = cli("index", "check", "--index", str(ix))
        repair, took3 = cli("index", "check", "--repair", "--index", str(ix))
        after, _ = cli("index", "check", "--index", str(ix))
        worst = max(worst, took1, took2, took3)
        ids = ids_of(ix)
        expected += len(base.ids)
        found += len(ids & base.ids)
        stats_ok = stats.returncode == 0 or _named(stats, "damaged", "check --repair")
        passed += (stats_ok and _named(check, "damaged") and repair.returncode == 0 and
                   after.returncode == 0 and ids == base.ids)
    return _row(attack, trials, passed, expected, found, worst)


def flipped_toc_byte(workdir: Path, trials: int) -> dict:
    return _damage_row("flipped TOC byte",
                       lambda ix, rng: flip_toc_byte(ix, rng.random()), workdir, trials)


def zeroed_posting_block(workdir: Path, trials: int) -> dict:
    return _damage_row("zeroed posting block",
                       lambda ix, rng: zero_posting_block(ix, rng.choice([4096, 65536])),
                       workdir, trials)


def truncated_segment(workdir: Path, trials: int) -> dict:
    return _damage_row("truncated segment",
                       lambda ix, rng: truncate_segment(ix, rng.uniform(0.05, 0.95)),
                       workdir, trials)


def kill9_mid_snapshot(workdir: Path, trials: int) -> dict:
    """kill -9 a snapshot once it has started copying: restore refuses the partial copy and
    the source index is untouched (a snapshot that finished first counts as a try, not a
    trial)."""
    big = workdir / "big-index"
    if not (big / "current").exists():
        src = write_jsonl(workdir / "bigsrc" / "a.jsonl", [record(n, "k") for n in range(3000)])
        _check(cli("index", "build", str(src), "--index", str(big)))
    big_ids = ids_of(big)
    passed = expected = found = done = 0
    worst = 0.0
    for attempt in range(trials * 10):
        if done == trials:
            break
        dest = workdir / "snap"
        shutil.rmtree(dest, ignore_errors=True)
        proc = subprocess.Popen([sys.executable, "-m", "search", "index", "snapshot",
                                 str(dest), "--index", str(big)], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not any(dest.glob("gen-*/*")):
            pass
        proc.kill()
        proc.wait()
        if (dest / "snapshot.json").exists() or not dest.exists():
            continue
        done += 1
        restore, took = cli("index", "restore", str(dest), "--index", str(big))
        worst = max(worst, took)
        ids = ids_of(big)
        expected += len(big_ids)
        found += len(ids)
        passed += _named(restore, "not a complete snapshot") and ids == big_ids
    return _row("kill -9 mid-snapshot", done, passed, expected, found, worst)


def check_repair_restores_every_document(workdir: Path, trials: int) -> dict:
    """Every damage in turn, then --repair: every id back, those with no file left included."""
    base, rng = Base(workdir), random.Random(9)
    damages = [lambda ix: flip_toc_byte(ix, rng.random()),
               lambda ix: zero_posting_block(ix), lambda ix: truncate_segment(ix, 0.3)]
    passed = expected = found = 0
    worst = 0.0
    for t in range(trials):
        ix = base.copy("trial")
        damages[t % len(damages)](ix)
        repair, took = cli("index", "check", "--repair", "--index", str(ix))
        worst = max(worst, took)
        ids = ids_of(ix)
        expected += len(base.ids)
        found += len(ids & base.ids)
        passed += repair.returncode == 0 and ids == base.ids
    return _row("check --repair restores every document", trials, passed, expected, found,
                worst)


ROWS = [disk_full_during_add, read_only_index_folder, write_lock_a_directory, flipped_toc_byte,
        zeroed_posting_block, truncated_segment, kill9_mid_snapshot,
        check_repair_restores_every_document]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="faults-ops-"))
    print(f"{'attack':<42} {'trials':>6} {'passed':>6} {'expected':>8} {'found':>8} "
          f"{'worst s':>8}")
    for row in ROWS:
        result = row(workdir, args.trials)
        print(f"{result['attack']:<42} {result['trials']:>6} {result['passed']:>6} "
              f"{result['expected']:>8} {result['found']:>8} {result['worst_s']:>8.2f}",
              flush=True)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
