"""Shared parts of the benchmark suite: corpora, query sets, builds in workers, timing, tables.

Also a worker entry point: ``python bench/common.py build SYSTEM INDEX_DIR FILE...`` builds one
index in a fresh process, so each system is measured alone (its own RSS, no shared caches).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

REPO = Path(__file__).resolve().parents[1]
NEWS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "news"
CORPORA = {"ar": "saudinewsnet", "en": "reuters21578"}
KINDS = {"kw1": "keyword", "kw2": "keyword", "kw3": "keyword", "ph2": "phrase", "ph3": "phrase"}
SYSTEMS = ("product", "whoosh-single", "whoosh-procs2")
WRITER_LIMIT_MB = 256  # the product's writer budget; the baselines get the same
DEFAULT_WORKDIR = Path(os.environ.get("BENCH_WORKDIR") or
                       Path(tempfile.gettempdir()) / "newsearch-bench")
BASELINE_VERSION = 1  # bump when build_whoosh changes what it writes
SLICE_VERSION = "2"  # bump when corpus_files changes what it writes
# Modules of search/ that only read an index: editing them keeps cached indexes valid.
READ_SIDE = frozenset({"query.py", "searcher.py", "expansion.py", "highlight.py", "evaluate.py",
                       "reader.py", "cli", "cli.py", "__main__.py", "plancache.py", "crossmark.py",
                       "matching.py"})

class BenchError(Exception):
    """A benchmark step failed (a worker died, the server did not start, ...)."""


PRODUCT_ROOT = REPO  # the product under test; see use_product_src


def use_product_src(path: str | os.PathLike | None) -> None:
    """Benchmark the product of another checkout (e.g. `git archive HEAD` unpacked somewhere),
    here and in every worker and server started from now on; before `search` is imported."""
    global PRODUCT_ROOT
    if not path or Path(path).resolve() == REPO:
        return
    PRODUCT_ROOT = Path(path).resolve()
    if not (PRODUCT_ROOT / "search" / "__init__.py").exists():
        raise BenchError(f"no search package in {PRODUCT_ROOT}")
    sys.path.insert(0, str(PRODUCT_ROOT))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PRODUCT_ROOT), os.environ.get("PYTHONPATH")]))
    os.environ["BENCH_PRODUCT_SRC"] = str(PRODUCT_ROOT)


use_product_src(os.environ.get("BENCH_PRODUCT_SRC"))


# ---- command line -----------------------------------------------------------------------------

def base_parser(description: str) -> argparse.ArgumentParser:
    """The options every script takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--limit", type=int, default=None,
                   help="first N articles of each corpus (default: all)")
    p.add_argument("--json", dest="json_path", default=None, metavar="FILE",
                   help='also write {"rows": [...]} to FILE')
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                   help=f"indexes and corpus slices are kept here (default {DEFAULT_WORKDIR}; "
                        "env BENCH_WORKDIR)")
    p.add_argument("--fresh", action="store_true",
                   help="rebuild cached indexes even when they match the code")
    p.add_argument("--product-src", default=None, metavar="DIR",
                   help="benchmark the product of this checkout instead of the work tree "
                        "(env BENCH_PRODUCT_SRC)")
    return p


def parse_args(p: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the options and apply --product-src."""
    args = p.parse_args()
    use_product_src(args.product_src)
    return args


def limit_label(limit: int | None, copies: int = 1) -> str:
    """'all', '2000', 'all-x4' ..."""
    return f"{limit or 'all'}" + (f"-x{copies}" if copies > 1 else "")


# ---- corpora and queries ----------------------------------------------------------------------

def iter_records(files: Iterable[Path]) -> Iterator[dict]:
    """The JSON records of gzipped (or plain) JSON Lines files, in order."""
    for path in files:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def corpus_files(limit: int | None = None, copies: int = 1,
                 workdir: Path = DEFAULT_WORKDIR) -> list[Path]:
    """Input files: the shared corpora themselves, or a slice / N-fold copy under workdir.

    Copies get a new id, url and a last line "[k]": the product leaves out an article whose
    text or url it has already indexed under another id.
    """
    sources = [NEWS / f"{name}.jsonl.gz" for name in CORPORA.values()]
    missing = [p for p in sources if not p.exists()]
    if missing:
        raise BenchError(f"corpus not found: {missing[0]} (expected ../shared/data/news/)")
    if limit is None and copies == 1:
        return sources
    out_dir = workdir / "corpus" / limit_label(limit, copies)
    outs = [out_dir / p.name for p in sources]
    done = out_dir / "done"
    if done.exists() and done.read_text() == SLICE_VERSION:
        return outs
    out_dir.mkdir(parents=True, exist_ok=True)
    for src, dst in zip(sources, outs):
        with gzip.open(src, "rt", encoding="utf-8") as f:
            records = [json.loads(line) for _, line in zip(range(limit or 10**9), f)]
        with gzip.open(dst, "wt", encoding="utf-8", compresslevel=6) as f:
            for k in range(copies):
                for rec in records:
                    if k:
                        rec = {**rec, "id": f"{rec['id']}~{k}", "body": f"{rec['body']}\n[{k}]",
                               "url": f"{rec.get('url') or 'urn:bench:' + rec['id']}#copy{k}"}
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    done.write_text(SLICE_VERSION)
    return outs


def text_stats(files: Iterable[Path]) -> tuple[int, int]:
    """(articles, UTF-8 bytes of title + body) of the input files."""
    docs = size = 0
    for rec in iter_records(files):
        docs += 1
        size += len((rec.get("title") or "").encode("utf-8")) + len(
            (rec.get("body") or "").encode("utf-8"))
    return docs, size


def load_articles(limit: int | None = None, lang: str | None = None) -> list:
    """search.Article objects of the corpora (one language or both), via the product's ingest."""
    from search.ingest import article_from_record
    out = []
    for code, name in CORPORA.items():
        if lang and code != lang:
            continue
        for rec, _ in zip(iter_records([NEWS / f"{name}.jsonl.gz"]), range(limit or 10**9)):
            out.append(article_from_record(rec))
    return out


def load_queries() -> list[dict]:
    """Both query sets: {qid, lang, kind (keyword/phrase), set_kind (kw1…ph3), query, src_id}."""
    out = []
    for lang, name in CORPORA.items():
        lines = (NEWS / f"{name}.queries.tsv").read_text("utf-8").splitlines()
        header = lines[0].split("\t")
        for line in lines[1:]:
            if not line.strip():
                continue
            row = dict(zip(header, line.split("\t")))
            out.append({"qid": row["qid"], "lang": lang, "kind": KINDS[row["kind"]],
                        "set_kind": row["kind"], "query": row["query"],
                        "src_id": row["src_id"]})
    return out


# ---- the systems under test -------------------------------------------------------------------

def product_settings(**options: Any) -> None:
    """Give the product its settings, from the environment (`SEARCH_SEMANTIC=0`, ...) and
    ``options`` (None: as the environment says), as every edge of the product does: a library
    call alone runs on the defaults, and with the semantic extra installed a build would embed
    every article (about 17 a second) and a query rank by meaning."""
    from search.settings import apply_settings, load_settings
    apply_settings(load_settings(**options))


def build_product(files: list[Path], index_dir: Path, memory_mb: float | None = None) -> int:
    """`search index build FILES --index INDEX_DIR [--memory MB]`, through the library call
    the CLI makes."""
    import search
    product_settings(build_memory_mb=memory_mb)
    report = search.build_index([str(f) for f in files], str(index_dir))
    if report.skipped:
        print(f"product: {len(report.skipped)} skipped, e.g. {report.skipped[0]}", file=sys.stderr)
    return report.documents


def whoosh_schema():
    """Plain Whoosh: StemmingAnalyzer on title and body, positions, stored text."""
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    return Schema(id=ID(stored=True, unique=True),
                  title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                  body=TEXT(analyzer=StemmingAnalyzer(), stored=True))


def build_whoosh(files: list[Path], index_dir: Path, procs: int = 1,
                 multisegment: bool = False) -> int:
    """Plain Whoosh, one writer (procs=1) or Whoosh's MpWriter (procs>1), one commit."""
    from whoosh import index
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), whoosh_schema())
    if procs > 1:
        writer = ix.writer(procs=procs, limitmb=WRITER_LIMIT_MB, multisegment=multisegment)
    else:
        writer = ix.writer(limitmb=WRITER_LIMIT_MB)
    n = 0
    for rec in iter_records(files):
        writer.add_document(id=rec["id"], title=rec.get("title") or "", body=rec.get("body") or "")
        n += 1
    writer.commit()
    return n


def build(system: str, files: list[Path], index_dir: Path, multisegment: bool = False,
          memory_mb: float | None = None) -> int:
    """Build one system's index; the number of documents written."""
    if system == "product":
        return build_product(files, index_dir, memory_mb)
    if system == "whoosh-single":
        return build_whoosh(files, index_dir)
    if system == "whoosh-procs2":
        return build_whoosh(files, index_dir, procs=2, multisegment=multisegment)
    raise BenchError(f"unknown system {system}")


def fingerprint(system: str) -> str:
    """Changes whenever the code that writes this system's index (or its input) changes."""
    if system == "product":
        h = hashlib.sha1()
        root = PRODUCT_ROOT / "search"
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if rel.name not in READ_SIDE and rel.parts[0] not in READ_SIDE:
                h.update(str(rel).encode() + b"\0" + path.read_bytes())
        return f"product-{h.hexdigest()[:12]}-{SLICE_VERSION}"
    import whoosh
    return f"whoosh-{whoosh.versionstring()}-{BASELINE_VERSION}-{SLICE_VERSION}"


def dir_mb(path: Path) -> float:
    """Size of the files under ``path`` (symlinks not followed), in MB."""
    total = 0
    for root, _, names in os.walk(path):
        for name in names:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total / 1e6


def run_build(system: str, files: list[Path], index_dir: Path,
              multisegment: bool = False, memory_mb: float | None = None,
              product_src: str | None = None) -> dict:
    """Build in a fresh worker process: seconds, docs, index_mb, peak_rss_mb, tree_peak_mb
    (``product_src``: the product of another checkout, e.g. main's, for a ratio)."""
    if index_dir.exists():
        shutil.rmtree(index_dir)
    argv = [str(Path(__file__).resolve()), "build", system, str(index_dir), *map(str, files)]
    if multisegment:
        argv.append("--multisegment")
    if memory_mb is not None:
        argv += ["--memory", str(memory_mb)]
    env = None
    if product_src:
        env = {**os.environ, "BENCH_PRODUCT_SRC": str(Path(product_src).resolve()),
               "PYTHONPATH": str(Path(product_src).resolve())}
    out = run_worker(argv, env=env)
    out["index_mb"] = dir_mb(index_dir)
    return out


def cached_index(system: str, limit: int | None, copies: int = 1,
                 workdir: Path = DEFAULT_WORKDIR, fresh: bool = False,
                 log: Callable[[str], None] = print) -> tuple[Path, dict]:
    """An index of this system and size under workdir/index, built only when missing or stale."""
    path = workdir / "index" / f"{system}-{limit_label(limit, copies)}"
    marker = path / "bench-index.json"
    want = fingerprint(system)
    if not fresh and marker.exists():
        info = json.loads(marker.read_text())
        if info.get("fingerprint") == want:
            return path, info
    log(f"building the {system} index of {limit_label(limit, copies)} articles in {path} …")
    stats = run_build(system, corpus_files(limit, copies, workdir), path)
    return path, remember_index(path, system, stats)


def remember_index(path: Path, system: str, stats: dict) -> dict:
    """Record how an index was built, so later scripts may reuse it."""
    info = {"system": system, "fingerprint": fingerprint(system), **stats}
    (path / "bench-index.json").write_text(json.dumps(info, indent=1))
    return info


# ---- workers, memory and time -----------------------------------------------------------------

def _ppid_map() -> dict[int, int]:
    out = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    out[int(entry.name)] = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return out


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _ppid_map().items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A /proc/PID/status memory field (VmRSS, VmHWM) in MB; 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size (shared pages split between their users), or RSS without it."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return memory_mb(pid)


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process tree (a writer and its MpWriter children)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, sum(pss_mb(p) for p in process_tree(self.pid)))
            self._stop_event.wait(self.interval)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak


def run_worker(argv: list[str], timeout: float | None = None,
               env: dict | None = None) -> dict:
    """Run ``python ARGV --result FILE`` and return its JSON result plus memory figures.

    peak_rss_mb is the kernel's ru_maxrss of the worker (the largest process of its tree, from
    wait4); tree_peak_mb is the sampled peak of the whole tree's summed PSS.
    """
    fd, result = tempfile.mkstemp(suffix=".json", prefix="bench-")
    os.close(fd)
    try:
        proc = subprocess.Popen([sys.executable, *argv, "--result", result], cwd=REPO,
                                stdout=subprocess.DEVNULL, env=env)
        sampler = TreeMemory(proc.pid)
        sampler.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                proc.kill()
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree_peak = sampler.stop()
        if proc.returncode != 0:
            raise BenchError(f"worker failed (exit {proc.returncode}): {' '.join(argv)}")
        out = json.loads(Path(result).read_text() or "{}")
    finally:
        os.unlink(result)
    out["peak_rss_mb"] = usage.ru_maxrss / 1024
    out["tree_peak_mb"] = tree_peak
    return out


@contextmanager
def stopwatch() -> Iterator[dict]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]``."""
    box: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - t0


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default) of unsorted values."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def latency_figures(ms: list[float]) -> dict[str, float]:
    """n, p50, p95, p99, mean and max of latencies in ms."""
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "mean_ms": sum(ms) / len(ms) if ms else float("nan"),
            "max_ms": max(ms) if ms else float("nan")}


# ---- the web server -------------------------------------------------------------------------

HOST = "127.0.0.1"  # loopback only: the suite never listens elsewhere


def free_port() -> int:
    """A port nobody listens on right now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """One GET on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@contextmanager
def running_server(index_dir: Path, threads: int | None = None, workers: int | None = None,
                   start_timeout: float = 120.0) -> Iterator[tuple[int, subprocess.Popen]]:
    """`python -m web --host 127.0.0.1 --port P --index DIR`, up until the block ends."""
    port = free_port()
    cmd = [sys.executable, "-m", "web", "--host", HOST, "--port", str(port),
           "--index", str(index_dir)]
    if threads:
        cmd += ["--threads", str(threads)]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=PRODUCT_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise BenchError(f"the server exited ({proc.returncode}): "
                                 f"{proc.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                if get(port, "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"the server did not answer /healthz within {start_timeout:g} s")
            time.sleep(0.1)
        # waitress logs every error to stderr: drain it so the pipe never blocks the server
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        yield port, proc
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen) -> None:
    """Ctrl-C a server still running, then kill it if it has not stopped within 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- output -----------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(value) < 10 \
            else f"{value:.1f}"
    return "-" if value is None else str(value)


def print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    """A plain-text table of the given columns (missing values as -)."""
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c)
              for i, c in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(columns, widths))))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w)
                        for i, (v, w) in enumerate(zip(row, widths))))
    sys.stdout.flush()


def write_json(path: str | None, rows: list[dict], **extra: Any) -> None:
    """Write {"rows": [...], ...extra} when a path was given."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({"rows": rows, **extra}, ensure_ascii=False, indent=1))


def machine() -> dict:
    """What the numbers were measured on."""
    import platform
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "load_avg": os.getloadavg(), "when": time.strftime("%Y-%m-%dT%H:%M:%S")}


# ---- worker entry point -----------------------------------------------------------------------

def _worker_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="bench/common.py")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build one system's index (timed) in this process")
    b.add_argument("system", choices=SYSTEMS)
    b.add_argument("index_dir", type=Path)
    b.add_argument("files", nargs="+", type=Path)
    b.add_argument("--multisegment", action="store_true")
    b.add_argument("--memory", type=float, default=None, help="the product's build budget, MB")
    b.add_argument("--result", required=True)
    args = p.parse_args(argv)
    with stopwatch() as t:
        docs = build(args.system, args.files, args.index_dir, args.multisegment, args.memory)
    Path(args.result).write_text(json.dumps({"seconds": t["seconds"], "docs": docs}))


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
