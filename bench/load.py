"""Load test: the real server under concurrent loopback clients while an indexer adds articles.

Builds an index of the corpus (`search index build`, into a temporary folder unless --index
names one), starts `python -m web` on a free 127.0.0.1 port (waitress, as `make run`), warms it,
then for --seconds runs --clients threads (keep-alive http.client connections) over the query
sets: four /api/search requests, one HTML results page, and now and then an article page.
Meanwhile an indexer adds a batch of new articles every --pause seconds, either with
`search index add` on a small JSON Lines file (--indexer cli) or with POST /api/articles and
an admin token (--indexer http). Everything stops by itself at the deadline.

An error is a connection error, a timeout, a 5xx, a body that is not what the endpoint answers,
or a status other than the one the same request got in the warm-up (so a query that is a 400
on a quiet server must stay a 400, and a 200 a 200). Reports requests, requests/s,
p50/p95/p99/max latency, errors by kind, the batches indexed and whether the last one is
searchable; exits 1 when anything failed.

    python bench/load.py [--clients 20] [--seconds 60] [--limit N] [--index DIR]
                         [--corpus FILE_OR_DIR ...] [--queries TSV ...] [--indexer cli|http]
                         [--json FILE]

The corpora are read from ../shared/data/news/ (relative to the repository) at run time;
--limit N indexes the first N articles of each (written to a small JSON Lines file in a
temporary folder), since the full build takes several minutes.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import json
import os
import random
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote


def _load_common():
    """bench/common.py by file path: putting bench/ on sys.path would let bench/web.py hide the
    web package from a test that imports this file."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_common", Path(__file__).with_name("common.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


common = _load_common()
percentile, free_port, stop_process = common.percentile, common.free_port, common.stop_process

REPO = Path(__file__).resolve().parents[1]
NEWS = REPO.parent / "shared" / "data" / "news"
HOST = "127.0.0.1"  # loopback only: there is no option to listen or connect elsewhere
MAX_CLIENTS, MAX_SECONDS = 256, 3600  # bounds, whatever is asked


class LoadError(Exception):
    """A step of the load test failed (the build, the server's start-up, …)."""


# ---- inputs -------------------------------------------------------------------------------------

def default_corpus() -> list[Path]:
    """The bench corpora, ../shared/data/news/*.jsonl.gz."""
    files = sorted(NEWS.glob("*.jsonl.gz"))
    if not files:
        raise LoadError(f"no corpus in {NEWS} (expected ../shared/data/news/*.jsonl.gz)")
    return files


def default_queries() -> list[Path]:
    """The bench query sets, ../shared/data/news/*.queries.tsv."""
    return sorted(NEWS.glob("*.queries.tsv"))


def slice_corpus(files: list[Path], limit: int | None, out_dir: Path) -> list[Path]:
    """The first ``limit`` records of each JSON Lines file (.gz or not) as a plain .jsonl in
    ``out_dir``; folders and other files are passed on as they are."""
    if not limit:
        return files
    out = []
    for path in files:
        name = path.name
        if not name.endswith((".jsonl", ".jsonl.gz")):
            out.append(path)
            continue
        opener = gzip.open if name.endswith(".gz") else open
        dst = out_dir / (name.removesuffix(".gz").removesuffix(".jsonl") + f"-{limit}.jsonl")
        with opener(path, "rt", encoding="utf-8") as src, open(dst, "w", encoding="utf-8") as f:
            for line in itertools.islice((ln for ln in src if ln.strip()), limit):
                f.write(line)
        out.append(dst)
    return out


def read_queries(files: list[Path]) -> list[str]:
    """Queries of TSV files with a `query` column (the bench sets), or one per line."""
    queries = []
    for path in files:
        lines = path.read_text("utf-8").splitlines()
        header = lines[0].split("\t") if lines else []
        if "query" in header:
            column = header.index("query")
            queries += [ln.split("\t")[column] for ln in lines[1:] if ln.strip()]
        else:
            queries += [ln.strip() for ln in lines if ln.strip()]
    if not queries:
        raise LoadError(f"no query in {', '.join(map(str, files)) or '(no file)'}")
    return queries


def build_index(sources: list[Path], index_dir: Path) -> dict:
    """`search index build SOURCES --index DIR --json`, as a person runs it."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "search", "index", "build", *map(str, sources),
                           "--index", str(index_dir), "--json"], cwd=REPO, capture_output=True,
                          text=True)
    if proc.returncode not in (0, 4):  # 4: built, some files or records skipped
        raise LoadError(f"search index build failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    report["build_seconds"] = time.perf_counter() - t0
    return report


# ---- the server ---------------------------------------------------------------------------------

@dataclass
class Server:
    """A running `python -m web`: where it listens, its process, its log."""

    port: int
    proc: subprocess.Popen
    log: Path

    def get(self, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
        """One GET on a fresh connection."""
        return common.get(self.port, path, timeout)


@contextmanager
def running_server(index_dir: Path, log: Path, threads: int | None = None,
                   token: str | None = None, timeout: float = 120.0) -> Iterator[Server]:
    """`python -m web --host 127.0.0.1 --port P --index DIR` until the block ends."""
    port = free_port()
    cmd = [sys.executable, "-m", "web", "--host", HOST, "--port", str(port),
           "--index", str(index_dir)]
    if threads:
        cmd += ["--threads", str(threads)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SEARCH_ADMIN_TOKEN", None)
    if token:
        env["SEARCH_ADMIN_TOKEN"] = token  # the environment, never the command line
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise LoadError(f"the server exited ({proc.returncode}): "
                                f"{log.read_text(errors='replace')[-2000:]}")
            try:
                if server.get("/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise LoadError(f"the server did not answer /healthz within {timeout:g} s")
            time.sleep(0.1)
        yield server
    finally:
        stop_process(proc)


# ---- the indexer --------------------------------------------------------------------------------

def marker(batch: int, run: str) -> str:
    """A made-up Latin word that only the articles of this batch have."""
    letters = ""
    while True:
        batch, digit = divmod(batch, 26)
        letters += string.ascii_lowercase[digit]
        if not batch:
            return f"zqload{run}{letters}"


class Indexer(threading.Thread):
    """Adds a batch of new articles every `pause` seconds until stopped: through the CLI
    (`search index add FILE.jsonl`) or the HTTP intake (POST /api/articles)."""

    def __init__(self, mode: str, index_dir: Path, server: Server, words: list[str],
                 workdir: Path, batch_size: int = 20, pause: float = 1.0,
                 token: str | None = None, seed: int = 0) -> None:
        super().__init__(daemon=True, name="indexer")
        self.mode, self.index_dir, self.server, self.token = mode, index_dir, server, token
        self.words, self.workdir, self.batch_size, self.pause = words, workdir, batch_size, pause
        self.rng = random.Random(seed)
        # new ids on every run, so that a reused --index takes each batch as new articles
        self.run_id = "".join(secrets.choice(string.ascii_lowercase) for _ in range(5))
        self.done: list[dict] = []  # {"batch", "marker", "ids", "seconds"} of each batch added
        self.failures: list[str] = []
        self.stopping = threading.Event()

    def articles(self, batch: int) -> list[dict]:
        word = marker(batch, self.run_id)
        out = []
        for i in range(self.batch_size):
            text = " ".join(self.rng.choices(self.words, k=60))
            arabic = any("\u0600" <= c <= "\u06ff" for c in text[:40])
            out.append({"id": f"load-{self.run_id}-{batch}-{i}", "lang": "ar" if arabic else "en",
                        "title": f"{word} " + " ".join(self.rng.choices(self.words, k=6)),
                        "body": f"{text}.\n\n{word} {text[::-1] if i % 2 else text}.",
                        "source": "loadtest", "url": f"urn:load:{self.run_id}:{batch}:{i}",
                        "date": time.strftime("%Y-%m-%dT%H:%M:%S")})
        return out

    def add(self, batch: int, records: list[dict]) -> None:
        if self.mode == "cli":
            path = self.workdir / f"batch-{batch}.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                            "utf-8")
            proc = subprocess.run([sys.executable, "-m", "search", "index", "add", str(path),
                                   "--index", str(self.index_dir), "--json", "--wait", "60"],
                                  cwd=REPO, capture_output=True, text=True, timeout=300)
            ok = proc.returncode == 0 and json.loads(proc.stdout or "{}").get("added") == len(
                records)
            why = f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-500:]}"
        else:
            conn = http.client.HTTPConnection(HOST, self.server.port, timeout=60)
            try:
                conn.request("POST", "/api/articles", body=json.dumps(records).encode(),
                             headers={"Authorization": f"Bearer {self.token}",
                                      "Content-Type": "application/json"})
                resp = conn.getresponse()
                body = resp.read()
            finally:
                conn.close()
            ok = resp.status == 201 and json.loads(body).get("added") == len(records)
            why = f"{resp.status}: {body[:500]!r}"
        if not ok:
            raise LoadError(f"batch {batch} was not added ({self.mode}) — {why}")

    def run(self) -> None:
        for batch in itertools.count():
            if self.stopping.is_set():
                return
            records = self.articles(batch)
            t0 = time.perf_counter()
            try:
                self.add(batch, records)
            except Exception as err:  # noqa: BLE001 — recorded, reported as a failure
                self.failures.append(f"{type(err).__name__}: {err}")
            else:
                self.done.append({"batch": batch, "marker": marker(batch, self.run_id),
                                  "ids": [r["id"] for r in records],
                                  "seconds": time.perf_counter() - t0,
                                  "finished": time.perf_counter()})
            self.stopping.wait(self.pause)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=330)


# ---- the clients --------------------------------------------------------------------------------

@dataclass
class Sample:
    """One request made under load."""

    kind: str  # api, page, doc
    ms: float
    status: int  # 0 when there was no answer
    error: str | None  # None when the answer was right


@dataclass
class Request:
    """What a client asks, and the status it must get (the one it got on a quiet server)."""

    kind: str
    path: str
    expected: int = 200


def plan_requests(queries: list[str]) -> list[Request]:
    """Four API searches then one HTML results page, over all queries, in a fixed order."""
    out = []
    for i, q in enumerate(queries):
        page = i % 5 == 4
        out.append(Request("page" if page else "api", ("/?q=" if page else "/api/search?q=")
                           + quote(q)))
    return out


def check(request: Request, status: int, body: bytes) -> str | None:
    """None when the answer is what this request gets on a quiet server, else why not."""
    if status != request.expected:
        return f"status {status} (expected {request.expected}){error_type(body)}"
    if request.kind == "api":
        try:
            data = json.loads(body)
        except ValueError:
            return "API answer is not JSON"
        if status == 200 and "results" not in data or status != 200 and "error" not in data:
            return "API answer of the wrong shape"
    elif b"</html>" not in body or b"Traceback" in body:
        return "page cut short or with a traceback"
    return None


def error_type(body: bytes) -> str:
    """The type an API error's JSON names (as ": IndexDamagedError"); empty for a page."""
    try:
        kind = json.loads(body)["error"]["type"]
    except (ValueError, KeyError, TypeError):
        return ""
    return f": {kind}" if isinstance(kind, str) else ""


def fetch(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, bool]:
    """(status, body, keep the connection) of one GET on a keep-alive connection."""
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, body, (resp.getheader("Connection") or "").lower() != "close"


def warm_up(server: Server, requests: list[Request], clients: int) -> list[Request]:
    """Every distinct request once, in parallel: its status becomes the expected one; article
    pages of the first results are added to the plan."""
    statuses: dict[str, tuple[int, bytes]] = {}
    todo = iter(dict.fromkeys(r.path for r in requests))
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
        while True:
            with lock:
                path = next(todo, None)
            if path is None:
                break
            try:
                status, body, keep = fetch(conn, path)
            except (OSError, http.client.HTTPException) as err:
                raise LoadError(f"warm-up request failed: {path}: {err}") from err
            statuses[path] = (status, body if path.startswith("/api/") else b"")
            if not keep:
                conn.close()
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(clients, 8))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    planned, doc_ids = [], []
    for r in requests:
        status, body = statuses[r.path]
        if status >= 500:
            raise LoadError(f"{r.path} is a {status} on a quiet server")
        planned.append(Request(r.kind, r.path, status))
        if r.kind == "api" and status == 200 and len(doc_ids) < len(requests) // 10:
            doc_ids += [hit["id"] for hit in json.loads(body)["results"][:1]]
    docs = [Request("doc", "/doc/" + quote(i, safe="")) for i in dict.fromkeys(doc_ids)]
    # an article page after every ninth search
    out = []
    for n, r in enumerate(planned):
        out.append(r)
        if docs and n % 9 == 8:
            out.append(docs[(n // 9) % len(docs)])
    return out


def run_clients(server: Server, plan: list[Request], clients: int, seconds: float,
                until=lambda: True) -> tuple[list[Sample], float]:
    """``clients`` threads, each on its own keep-alive connection, until the deadline and
    ``until()`` holds (e.g. the indexer has written once: on a loaded machine a CLI writer can
    take longer than the whole run to start), but never past eight times the deadline."""
    counter = itertools.count(random.randrange(len(plan)))
    samples: list[Sample] = []
    lock = threading.Lock()
    start = time.perf_counter()
    deadline, last_call = start + seconds, start + 8 * seconds

    def going() -> bool:
        now = time.perf_counter()
        return now < deadline or (now < last_call and not until())

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        mine = []
        while going():
            request = plan[next(counter) % len(plan)]
            t0 = time.perf_counter()
            try:
                status, body, keep = fetch(conn, request.path)
                error = check(request, status, body)
            except (OSError, http.client.HTTPException) as err:
                status, error, keep = 0, type(err).__name__, False
            mine.append(Sample(request.kind, (time.perf_counter() - t0) * 1000, status, error))
            if not keep:
                conn.close()
                conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        conn.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=8 * seconds + 60)
    return samples, time.perf_counter() - start


# ---- figures ------------------------------------------------------------------------------------

def figures(samples: list[Sample], elapsed: float) -> dict:
    """Requests, requests/s, latency percentiles and errors by kind of a set of samples."""
    ms = [s.ms for s in samples]
    errors: dict[str, int] = {}
    for s in samples:
        if s.error:
            errors[f"{s.kind}: {s.error}"] = errors.get(f"{s.kind}: {s.error}", 0) + 1
    return {"requests": len(samples), "rps": len(samples) / elapsed if elapsed else 0.0,
            "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms, default=float("nan")),
            "errors": sum(errors.values()), "error_kinds": errors}


@dataclass
class Options:
    """The command line's options (see parse_args)."""

    clients: int = 20
    seconds: float = 60.0
    corpus: list[Path] = field(default_factory=list)
    queries: list[Path] = field(default_factory=list)
    limit: int | None = None
    index: Path | None = None
    indexer: str = "cli"
    batch: int = 20
    pause: float = 1.0
    threads: int | None = None
    json_path: Path | None = None


def run(opts: Options, log=print) -> dict:
    """The whole load test; the summary (also written to opts.json_path)."""
    clients = max(1, min(opts.clients, MAX_CLIENTS))
    seconds = max(1.0, min(opts.seconds, MAX_SECONDS))
    queries = read_queries(opts.queries or default_queries())
    tmp = Path(tempfile.mkdtemp(prefix="newsearch-load-"))
    try:
        index_dir = opts.index or tmp / "index"
        build = None
        if not (index_dir / "current").exists():
            sources = slice_corpus(opts.corpus or default_corpus(), opts.limit, tmp)
            log(f"building the index of {', '.join(map(str, sources))} in {index_dir} …")
            build = build_index(sources, index_dir)
            log(f"built: {build.get('added', build.get('documents'))} articles in "
                f"{build['build_seconds']:.0f} s")
        token = secrets.token_urlsafe(24) if opts.indexer == "http" else None
        words = sorted({w for q in queries for w in q.replace('"', " ").split() if len(w) > 2})
        with running_server(index_dir, tmp / "server.log", opts.threads, token) as server:
            t0 = time.perf_counter()
            plan = warm_up(server, plan_requests(queries), clients)
            log(f"server on {HOST}:{server.port}, warmed with {len(plan)} requests in "
                f"{time.perf_counter() - t0:.0f} s; {clients} clients for {seconds:g} s, "
                f"indexer: {opts.indexer} …")
            indexer = Indexer(opts.indexer, index_dir, server, words, tmp, opts.batch,
                              opts.pause, token)
            indexer.start()
            samples, elapsed = run_clients(server, plan, clients, seconds,
                                           until=lambda: bool(indexer.done))
            load_end = time.perf_counter()
            indexer.stop()
            fresh = None
            if indexer.done:  # the last batch added is searchable, all of it
                last = indexer.done[-1]
                status, body = server.get("/api/search?q=" + last["marker"] + "&size=100")
                found = {h["id"] for h in json.loads(body)["results"]} if status == 200 else set()
                fresh = found == set(last["ids"])
        server_log = (tmp / "server.log").read_text(errors="replace")
        if os.environ.get("LOAD_KEEP_LOG"):
            shutil.copy(tmp / "server.log", os.environ["LOAD_KEEP_LOG"])
        summary = {
            "clients": clients, "seconds": elapsed, "queries": len(queries),
            "limit": opts.limit, "indexer": opts.indexer,
            "index_documents": build.get("added", build.get("documents")) if build else None,
            "build_seconds": build["build_seconds"] if build else None,
            **figures(samples, elapsed),
            "by_kind": {kind: figures([s for s in samples if s.kind == kind], elapsed)
                        for kind in ("api", "page", "doc")},
            "batches_added": len(indexer.done),
            "batches_during_load": sum(b["finished"] <= load_end for b in indexer.done),
            "articles_added": sum(len(b["ids"]) for b in indexer.done),
            "batch_p50_s": percentile([b["seconds"] for b in indexer.done], 50),
            "indexer_failures": indexer.failures,
            "last_batch_searchable": fresh,
            "server_tracebacks": server_log.count("Traceback"),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary["ok"] = (summary["errors"] == 0 and not summary["indexer_failures"]
                     and summary["server_tracebacks"] == 0 and summary["batches_during_load"] > 0
                     and summary["last_batch_searchable"] is True)
    if opts.json_path:
        opts.json_path.parent.mkdir(parents=True, exist_ok=True)
        opts.json_path.write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return summary


def print_summary(s: dict) -> None:
    print(f"\n{s['clients']} clients for {s['seconds']:.1f} s, indexer {s['indexer']}: "
          f"{s['requests']:,} requests, {s['rps']:.1f}/s; latency p50 {s['p50_ms']:.0f} ms, "
          f"p95 {s['p95_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, max {s['max_ms']:.0f} ms; "
          f"errors {s['errors']}")
    for kind, f in s["by_kind"].items():
        print(f"  {kind:5} {f['requests']:7,} requests  p50 {f['p50_ms']:6.0f} ms  "
              f"p95 {f['p95_ms']:6.0f} ms  p99 {f['p99_ms']:6.0f} ms  errors {f['errors']}")
    print(f"  indexer: {s['batches_added']} batches ({s['batches_during_load']} while the "
          f"clients ran), {s['articles_added']} articles added "
          f"(median {s['batch_p50_s']:.2f} s a batch), last batch searchable: "
          f"{s['last_batch_searchable']}; failures: {len(s['indexer_failures'])}; "
          f"server tracebacks: {s['server_tracebacks']}")
    for kind, n in s["error_kinds"].items():
        print(f"  error: {kind} × {n}")
    for failure in s["indexer_failures"][:5]:
        print(f"  indexer failure: {failure}")
    print("OK" if s["ok"] else "FAILED")


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=20, help=f"concurrent clients (at most "
                   f"{MAX_CLIENTS}; default 20)")
    p.add_argument("--seconds", type=float, default=60.0,
                   help=f"how long the load lasts (at most {MAX_SECONDS}; default 60)")
    p.add_argument("--corpus", type=Path, nargs="+", default=[], metavar="PATH",
                   help="files or folders to index (default ../shared/data/news/*.jsonl.gz)")
    p.add_argument("--queries", type=Path, nargs="+", default=[], metavar="FILE",
                   help="query sets: TSV with a query column, or one per line "
                        "(default ../shared/data/news/*.queries.tsv)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="index only the first N articles of each JSON Lines corpus")
    p.add_argument("--index", type=Path, default=None, metavar="DIR",
                   help="serve and add to this index (built there when missing; the added "
                        "articles stay); default: a temporary one")
    p.add_argument("--indexer", choices=["cli", "http"], default="cli",
                   help="add articles with `search index add` (cli) or POST /api/articles")
    p.add_argument("--batch", type=int, default=20, help="articles per batch (default 20)")
    p.add_argument("--pause", type=float, default=1.0,
                   help="seconds between batches (default 1)")
    p.add_argument("--threads", type=int, default=None,
                   help="server worker threads (default: the server's own)")
    p.add_argument("--json", dest="json_path", type=Path, default=None, metavar="FILE",
                   help="also write the summary as JSON")
    args = p.parse_args(argv)
    return Options(**vars(args))


def main(argv: list[str] | None = None) -> int:
    try:
        summary = run(parse_args(argv))
    except LoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print_summary(summary)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
