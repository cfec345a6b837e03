"""Issue 16's attacks, each a regression test named after it: the index survives an operator's
bad day (links lost or broken), the source walk stays inside its roots, same-named files keep
their own ids, and one long query costs a bounded amount of work."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

import search
from conftest import run_cli
from search import store
from search.watch import watch_folder
from web import create_app

BASE = 40  # articles in the index an attack must not lose
TOKEN = "attack-token"


def record(n: int, word: str = "harbour") -> dict:
    """A small English article."""
    return {"id": f"base-{word}-{n}", "title": f"The {word} report {n}", "lang": "en",
            "date": "2021-03-01", "body": f"Officials said the {word} talks went on for day {n}."}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def built(tmp_path) -> str:
    """An index of BASE articles, rebuilt twice so that it has a live and a previous generation."""
    index_dir = str(tmp_path / "ix")
    source = write_jsonl(tmp_path / "base" / "articles.jsonl", [record(n) for n in range(BASE)])
    search.build_index([str(source)], index_dir)
    search.build_index([str(source)], index_dir)
    return index_dir


def break_links(index_dir: str, how: str) -> Path:
    """Lose the links as a restore with `rsync -r` does, or leave `current` dangling."""
    root = Path(index_dir)
    live = store.live_dir(root)
    if how == "missing":
        (root / store.CURRENT).unlink()
        (root / store.PREVIOUS).unlink()
    else:
        (root / store.CURRENT).unlink()
        os.symlink("gen-does-not-exist", root / store.CURRENT)
    return live


def write_with(writer: str, index_dir: str, tmp_path: Path) -> None:
    """Add three new articles through one of the writers."""
    new = [record(n, "lighthouse") for n in range(3)]
    if writer == "add":
        out = run_cli("index", "add", str(write_jsonl(tmp_path / "new.jsonl", new)),
                      "--index", index_dir)
        assert out.returncode == 0, out.stderr
    elif writer == "sync":
        write_jsonl(tmp_path / "feed" / "new.jsonl", new)
        out = run_cli("index", "sync", str(tmp_path / "feed"), "--index", index_dir)
        assert out.returncode == 0, out.stderr
    elif writer == "watch":
        write_jsonl(tmp_path / "feed" / "new.jsonl", new)
        stop = threading.Event()
        watch_folder(str(tmp_path / "feed"), index_dir, on_batch=lambda report: stop.set(),
                     stop=stop)
    else:
        app = create_app({"SEARCH_INDEX": index_dir, "SEARCH_ADMIN_TOKEN": TOKEN,
                          "TESTING": True})
        resp = app.test_client().post("/api/articles", json=new,
                                      headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status_code in (200, 201), resp.get_data(as_text=True)


@pytest.mark.parametrize("how", ["missing", "dangling"])
@pytest.mark.parametrize("writer", ["add", "sync", "watch", "intake"])
def test_dangling_current_link_keeps_index(built, tmp_path, how, writer):
    live = break_links(built, how)
    assert store.live_dir(built) == live  # readers find the newest complete generation
    assert search.index_status(built)["documents"] == BASE
    write_with(writer, built, tmp_path)
    assert live.exists()
    assert Path(built, store.CURRENT).resolve() == live.resolve()  # relinked, not replaced
    assert search.index_status(built)["documents"] == BASE + 3
    assert search.run_search("harbour", index_dir=built).total == BASE


def test_missing_current_link_keeps_index_on_rebuild(built, tmp_path):
    live = break_links(built, "missing")
    source = write_jsonl(tmp_path / "other" / "x.jsonl", [record(1, "lighthouse")])
    search.build_index([str(source)], built)
    assert Path(built, store.PREVIOUS).resolve() == live.resolve()  # the old one stays previous
    assert search.index_status(built)["documents"] == 1


def test_clean_up_deletes_only_our_incomplete_generations(built):
    root = Path(built)
    foreign = root / "gen-holiday-photos"  # not ours: no metadata
    foreign.mkdir()
    (foreign / "beach.jpg").write_bytes(b"\xff\xd8")
    orphan = store.live_dir(root)  # a complete generation no link names
    (root / store.CURRENT).unlink()
    (root / store.PREVIOUS).unlink()
    interrupted = store.new_generation(root)  # a build killed before its swap
    report = search.add_records([record(1, "lighthouse")], built)
    assert report.added == 1
    assert foreign.exists() and (foreign / "beach.jpg").exists()
    assert orphan.exists() and not interrupted.exists()
    assert search.index_status(built)["documents"] == BASE + 1


def test_rotation_still_removes_retired_generations(built, tmp_path):
    source = write_jsonl(tmp_path / "base" / "articles.jsonl", [record(n) for n in range(3)])
    for _ in range(3):
        search.build_index([str(source)], built)
    assert len(list(Path(built).glob("gen-*"))) == 2  # live and previous

