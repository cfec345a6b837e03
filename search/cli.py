"""The `search` command: a thin shell over the `search` package (parse, call, format)."""
from __future__ import annotations

import functools
import html
import json
import re
import sys
from collections import Counter
from typing import Callable

import click

import search
from search.errors import SearchError, error_json

INDEX_OPTION = click.option(
    "--index", "index_dir", default="index", envvar="SEARCH_INDEX", show_default=True,
    show_envvar=True, type=click.Path(file_okay=False), help="Index directory.")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_TAG = re.compile(r"<[^>]+>")


def handle_errors(fn: Callable) -> Callable:
    """Turn SearchErrors into one line on stderr and an exit code; never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            return fn(*args, **kwargs)
        except SearchError as e:
            if as_json:
                click.echo(json.dumps(error_json(e), ensure_ascii=False))
            click.echo(f"error: {e.message}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as e:  # a bug: say so in one line, keep the traceback out of sight
            click.echo(f"error: unexpected {type(e).__name__}: {e}", err=True)
            sys.exit(3)
    return wrapper


def render_html(fragment: str, color: bool) -> str:
    """Snippet HTML for a terminal: <mark> as bold yellow (or [brackets]), tags dropped."""
    def mark(m: re.Match) -> str:
        inner = m.group(1)
        return click.style(inner, fg="yellow", bold=True) if color else f"[{inner}]"
    return html.unescape(_TAG.sub("", _MARK.sub(mark, fragment)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsearch")
def main() -> None:
    """Search Arabic and English news: build an index, query it, inspect the analysis."""


@main.command()
@click.argument("text")
@click.option("--lang", default=None, help="Document language for Latin words (default: detect).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def analyze(text: str, lang: str | None, as_json: bool) -> None:
    """Show the tokens TEXT is indexed as (body field terms with offsets)."""
    from search.analysis import analyze_text, detect_language
    doc_lang = lang or detect_language(text)
    stems = analyze_text(text, doc_lang, kind=1)
    if as_json:
        click.echo(json.dumps({"lang": doc_lang, "tokens": [
            {"text": t, "start": s, "end": e} for t, s, e in stems]}, ensure_ascii=False))
        return
    exact = analyze_text(text, doc_lang, kind=0)
    click.echo(f"language: {doc_lang}")
    for (stem, s, e), (ex, _, _) in zip(stems, exact):
        click.echo(f"{s:>6}-{e:<6} {text[s:e]:<20} exact={ex:<18} stem={stem}")


@main.group()
def index() -> None:
    """Build and maintain the index."""


def _progress(enabled: bool):
    """A progress callback (a rich progress bar on a terminal), and a closer."""
    if not enabled:
        return None, lambda: None
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} articles"),
                   TimeElapsedColumn(), transient=True, console=None)
    task = bar.add_task("indexing")
    bar.start()
    return (lambda item: bar.advance(task)), bar.stop


def _print_report(report: "search.IndexReport", as_json: bool, verb: str) -> None:
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    langs = ", ".join(f"{n} {lang}" for lang, n in report.by_lang.most_common()) or "none"
    parts = [f"{verb} {report.documents} articles ({langs})"]
    if report.unchanged:
        parts.append(f"{report.unchanged} unchanged")
    if report.removed:
        parts.append(f"{report.removed} removed")
    parts.append(f"{len(report.skipped)} skipped")
    click.echo(f"{'; '.join(parts)} in {report.seconds:.1f} s → {report.index_dir}")
    for s in report.skipped:
        click.echo(f"  skipped {s.path}: {s.reason}", err=True)


@index.command("build")
@click.argument("sources", nargs=-1, type=click.Path())
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def index_build(sources: tuple[str, ...], index_dir: str, as_json: bool) -> None:
    """Rebuild the index from SOURCES (files, folders, JSONL; default seeds/), swapped in atomically."""
    progress, stop = _progress(sys.stderr.isatty() and not as_json)
    try:
        report = search.build_index(list(sources) or ["seeds"], index_dir, progress=progress)
    finally:
        stop()
    _print_report(report, as_json, "indexed")


@index.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def index_add(paths: tuple[str, ...], index_dir: str, as_json: bool) -> None:
    """Add new and changed articles from PATHS; unchanged ones are skipped."""
    progress, stop = _progress(sys.stderr.isatty() and not as_json)
    try:
        report = search.add_paths(list(paths), index_dir, progress=progress)
    finally:
        stop()
    _print_report(report, as_json, "added or updated")


@index.command("remove")
@click.argument("ids", nargs=-1, required=True)
@INDEX_OPTION
@handle_errors
def index_remove(ids: tuple[str, ...], index_dir: str) -> None:
    """Remove articles by id."""
    report = search.remove_documents(list(ids), index_dir)
    click.echo(f"removed {report.removed} of {len(ids)} articles")


@index.command("stats")
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def index_stats(index_dir: str, as_json: bool) -> None:
    """Documents, languages, sources, size and version of the index."""
    from search.indexer import count_by
    status = search.index_status(index_dir)
    if not status["exists"]:
        raise search.IndexMissingError(index_dir)
    if "error" in status:
        raise SearchError(status["error"])
    stats = {"documents": status["documents"], "by_lang": count_by(index_dir, "lang"),
             "by_source": count_by(index_dir, "source"), "segments": status["segments"],
             "size_bytes": status["size_bytes"], "updated": status["updated"],
             "schema_version": status["schema_version"]}
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False))
        return
    click.echo(f"{stats['documents']} documents in {index_dir} (schema {stats['schema_version']}, "
               f"{stats['segments']} segments, {stats['size_bytes'] / 1e6:.1f} MB, "
               f"updated {stats['updated']})")
    for name in ("by_lang", "by_source"):
        top = Counter(stats[name]).most_common(10)
        click.echo(f"  {name[3:]}: " + (", ".join(f"{k} {v}" for k, v in top) or "-"))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("text")
@INDEX_OPTION
@click.option("--limit", "size", default=10, show_default=True, type=click.IntRange(1, 100),
              help="Results per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, None))
@click.option("--lang", default=None, help="Only articles in this language (ar, en, …).")
@click.option("--source", default=None, help="Only articles from this source.")
@click.option("--year", default=None, help="Only articles from this year.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result page as JSON.")
@handle_errors
def query(text: str, index_dir: str, size: int, page: int, lang: str | None,
          source: str | None, year: str | None, sort: str, as_json: bool) -> None:
    """Search the index for TEXT (see the README for the query syntax)."""
    result = search.run_search(text, index_dir=index_dir, page=page, size=size, lang=lang,
                               source=source, year=year, sort=sort)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    color = sys.stdout.isatty()
    first = (result.page - 1) * result.size
    click.echo(f"{result.total} results ({result.took_ms:.0f} ms)"
               + (f", page {result.page} of {result.pages}" if result.pages > 1 else ""))
    if result.fallback:
        click.echo("No article has all the words; showing articles with some of them.")
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    for n, hit in enumerate(result.results, first + 1):
        meta = " · ".join(x for x in (hit.source, (hit.date or "")[:10], hit.lang) if x)
        click.echo("")
        click.echo(f"{n}. {render_html(hit.title_html or html.escape(hit.title), color)}"
                   f"  [{hit.id}] {hit.score:.2f}")
        click.echo(f"   {meta}")
        click.echo(f"   {render_html(hit.snippet, color)}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("text")
@handle_errors
def explain(text: str) -> None:
    """Print the parsed query TEXT would run, without running it."""
    click.echo(search.explain_query(text))


if __name__ == "__main__":
    main()
