"""The layout's rules, read from the source with ``ast``: only search/engine knows Whoosh's
internals, the core never imports the web, the read and write wings never import each other,
and the shells (CLI, web) never reach into an engine."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = "search.engine"
# Whoosh's public, documented modules: the query tree (the Plan), parsing, analysis, fields
# (the schema pickled into indexes). Everything else (codecs, files, matchers, writers,
# readers, scoring) is an engine's business.
PUBLIC_WHOOSH = ("whoosh.query", "whoosh.qparser", "whoosh.analysis", "whoosh.fields")
READ_WING = ("search.query", "search.searcher", "search.highlight")
WRITE_WING = ("search.indexer", "search.writer", "search.sync", "search.watch")
# private names of Whoosh objects the engine uses; none may appear elsewhere
WHOOSH_PRIVATE = {"_segments", "_btexts", "_terms", "_perdoc", "_postfile", "_data",
                  "_field_B", "_tindex", "_fieldid", "_dataoffset", "_nextoffset",
                  "_compression", "_read_data", "_next_block", "_read_values", "_values",
                  "_blocklimit", "_check_state", "_array_evaluator", "_cached_reader"}


def _modules(*folders: str) -> dict[str, ast.Module]:
    out = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = ast.parse(path.read_text("utf-8"), str(path))
    return out


MODULES = _modules("search", "web")


def _imports(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _outside_engine() -> dict[str, ast.Module]:
    return {name: tree for name, tree in MODULES.items() if not _within(name, ENGINE)}


def test_the_rules_see_the_code():
    assert ENGINE + ".whoosh_backend.matching" in MODULES and "web.views" in MODULES
    matching = MODULES[ENGINE + ".whoosh_backend.matching"]
    assert any(_within(i, "whoosh.codec") for i in _imports(matching))
    for name in READ_WING + WRITE_WING:
        assert name in MODULES, name


@pytest.mark.parametrize("name", sorted(_outside_engine()))
def test_only_the_engine_imports_whoosh_internals(name):
    bad = sorted(i for i in _imports(MODULES[name])
                 if _within(i, "whoosh") and i != "whoosh"
                 and not any(_within(i, p) for p in PUBLIC_WHOOSH))
    assert not bad, f"{name} imports {bad}: Whoosh's internals belong in search/engine"


@pytest.mark.parametrize("name", sorted(_outside_engine()))
def test_only_the_engine_touches_whoosh_private_attributes(name):
    tree = MODULES[name]
    touched = sorted({node.attr for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and node.attr in WHOOSH_PRIVATE})
    swapped = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assign)
               for target in node.targets
               if isinstance(target, ast.Attribute) and target.attr == "__class__"]
    assert not touched, f"{name} uses Whoosh's private {touched}: move it into search/engine"
    assert not swapped, f"{name} swaps an object's class (line {swapped}): engine business"


@pytest.mark.parametrize("name", sorted(_outside_engine()))
def test_above_the_seam_only_the_interface_is_imported(name):
    """A second backend is picked in search/engine/__init__.py: nothing above names one."""
    bad = sorted(i for i in _imports(MODULES[name])
                 if _within(i, ENGINE) and i not in (ENGINE, f"{ENGINE}.base")
                 and not (i.startswith(ENGINE + ".") and i.count(".") == 2
                          and i.rsplit(".", 1)[1] in _engine_api()))
    assert not bad, f"{name} imports {bad}: use search.engine's interface"


def _engine_api() -> set[str]:
    """The names search/engine/__init__.py exports."""
    for node in MODULES[ENGINE].body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            return set(ast.literal_eval(node.value))
    return set()


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _within(n, "search")))
def test_the_core_never_imports_the_web(name):
    bad = sorted(i for i in _imports(MODULES[name])
                 if _within(i, "web") or _within(i, "flask") or _within(i, "werkzeug"))
    assert not bad, f"{name} imports {bad}: search/ is the API the web calls, never the reverse"


@pytest.mark.parametrize("wing, other", [(READ_WING, WRITE_WING), (WRITE_WING, READ_WING)])
def test_the_read_and_write_wings_never_import_each_other(wing, other):
    for name in wing:
        bad = sorted(i for i in _imports(MODULES[name]) if any(_within(i, o) for o in other))
        assert not bad, f"{name} imports {bad} of the other wing"


@pytest.mark.parametrize("name", sorted(n for n in MODULES
                                        if _within(n, "web") or _within(n, "search.cli")))
def test_the_shells_never_reach_into_an_engine(name):
    bad = sorted(i for i in _imports(MODULES[name])
                 if _within(i, ENGINE) or (_within(i, "whoosh")))
    assert not bad, f"{name} imports {bad}: the CLI and the web call search, not an engine"


def test_the_rules_catch_a_violation():
    tree = ast.parse("from whoosh.codec.whoosh3 import W3LeafMatcher\nix._segments()\n"
                     "q.__class__ = X\nimport flask\n")
    assert "whoosh.codec.whoosh3" in _imports(tree) and "flask" in _imports(tree)
    assert {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} >= {"_segments",
                                                                                "__class__"}
