"""The `search` command: a thin shell over the `search` package (parse, call, format)."""
from __future__ import annotations

import functools
import html
import json
import os
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
        except BrokenPipeError:  # `search query X | head -1`: the reader has had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
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
    """Build and maintain the index: build, add, sync, watch, remove, stats, optimize.

    \b
    Exit codes: 0 done; 1 error (no index, index locked past --wait, …);
    2 bad usage or input; 3 unexpected error (a bug); 4 done, but some files or
    records could not be read and were skipped (listed on stderr).
    """


WAIT_OPTION = click.option(
    "--wait", "lock_timeout", default=30.0, show_default=True, type=click.FloatRange(0),
    envvar="SEARCH_LOCK_TIMEOUT", show_envvar=True, metavar="SECONDS",
    help="How long to wait for another writer of the index to finish before giving up.")
COMMIT_OPTION = click.option(
    "--commit-every", default=1000, show_default=True, type=click.IntRange(1), metavar="N",
    help="Commit every N articles: a crash loses at most one batch, searches see progress.")
VERBOSE_OPTION = click.option("-v", "--verbose", is_flag=True,
                              help="Print a line on stderr at each commit.")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
PARTIAL = 4  # exit code: the run completed, but some files or records were skipped


def _progress(enabled: bool):
    """A progress callback (a rich progress bar on a terminal), and a closer."""
    if not enabled:
        return None, lambda: None
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                   TextColumn("{task.completed} articles"), TimeElapsedColumn(), transient=True,
                   console=None)
    task = bar.add_task("indexing")
    bar.start()
    return (lambda item: bar.advance(task)), bar.stop


def _summary(report: "search.IndexReport", build: bool = False) -> str:
    """One line: what a run did."""
    langs = ", ".join(f"{n} {lang}" for lang, n in report.by_lang.most_common()) or "none"
    if build:
        parts = [f"indexed {report.documents} articles ({langs})"]
    else:
        parts = [f"{report.added} added, {report.updated} updated ({langs})",
                 f"{report.unchanged} unchanged", f"{report.removed} removed"]
    if report.duplicates:
        parts.append(f"{len(report.duplicates)} duplicates")
    parts.append(f"{len(report.skipped)} skipped")
    return "; ".join(parts) + f" in {report.seconds:.1f} s"


def printable(text: str) -> str:
    """One printable line: undecodable bytes and line breaks in file names shown escaped."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\n", "\\n").replace("\r", "\\r")


def _echo_problems(report: "search.IndexReport") -> None:
    """Duplicates and skipped files, one line each, on stderr."""
    for s in report.duplicates:
        click.echo(f"  duplicate {printable(s.path)}: {printable(s.reason)}", err=True)
    for s in report.skipped:
        click.echo(f"  skipped {printable(s.path)}: {printable(s.reason)}", err=True)


def _print_report(report: "search.IndexReport", as_json: bool, build: bool = False) -> None:
    """The summary (or JSON) on stdout, what was not indexed on stderr; exit 4 if skipped."""
    if report.recovered:
        click.echo(f"note: the previous writer, {report.recovered}, stopped without finishing; "
                   "its leftovers were cleared (the index was as of its last commit).", err=True)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(f"{_summary(report, build)} → {report.index_dir}")
        _echo_problems(report)
    if report.skipped:
        sys.exit(PARTIAL)


def _commit_line(report: "search.IndexReport") -> None:
    click.echo(f"committed: {report.added} added, {report.updated} updated, "
               f"{report.removed} removed so far", err=True)


@index.command("build")
@click.argument("sources", nargs=-1, type=click.Path())
@INDEX_OPTION
@WAIT_OPTION
@JSON_OPTION
@handle_errors
def index_build(sources: tuple[str, ...], index_dir: str, lock_timeout: float,
                as_json: bool) -> None:
    """Rebuild the index from SOURCES (files, folders, JSONL; default seeds/).

    The new index is written to a fresh directory and swapped in atomically when complete:
    searches go on answering from the old one until then.
    """
    progress, stop = _progress(sys.stderr.isatty() and not as_json)
    try:
        report = search.build_index(list(sources) or ["seeds"], index_dir, progress=progress,
                                    lock_timeout=lock_timeout)
    finally:
        stop()
    _print_report(report, as_json, build=True)


@index.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@INDEX_OPTION
@WAIT_OPTION
@COMMIT_OPTION
@VERBOSE_OPTION
@JSON_OPTION
@handle_errors
def index_add(paths: tuple[str, ...], index_dir: str, lock_timeout: float, commit_every: int,
              verbose: bool, as_json: bool) -> None:
    """Add new and changed articles from PATHS (files, folders, JSON Lines).

    Unchanged articles are skipped, and so are duplicates: the same text or URL as an article
    of another id.
    """
    progress, stop = _progress(sys.stderr.isatty() and not as_json and not verbose)
    try:
        report = search.add_paths(list(paths), index_dir, progress=progress,
                                  lock_timeout=lock_timeout, commit_every=commit_every,
                                  on_commit=_commit_line if verbose else None)
    finally:
        stop()
    _print_report(report, as_json)


@index.command("sync")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@INDEX_OPTION
@WAIT_OPTION
@COMMIT_OPTION
@VERBOSE_OPTION
@JSON_OPTION
@handle_errors
def index_sync(folder: str, index_dir: str, lock_timeout: float, commit_every: int,
               verbose: bool, as_json: bool) -> None:
    """Make the index match FOLDER: add new files, re-index changed ones, remove the articles
    of files that are gone (only those read from FOLDER)."""
    progress, stop = _progress(sys.stderr.isatty() and not as_json and not verbose)
    try:
        report = search.sync_folder(folder, index_dir, progress=progress,
                                    lock_timeout=lock_timeout, commit_every=commit_every,
                                    on_commit=_commit_line if verbose else None)
    finally:
        stop()
    _print_report(report, as_json)


@index.command("watch")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@INDEX_OPTION
@WAIT_OPTION
@click.option("--settle", default=0.5, show_default=True, type=click.FloatRange(0.05),
              metavar="SECONDS", help="Where closing a file is not reported, how long its "
              "size must stay the same before it is read.")
@click.option("--no-sync", is_flag=True, help="Do not sync FOLDER first (changes made while "
              "nothing watched are then missed).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per batch.")
@handle_errors
def index_watch(folder: str, index_dir: str, lock_timeout: float, settle: float,
                no_sync: bool, as_json: bool) -> None:
    """Keep the index in step with FOLDER until Ctrl-C or SIGTERM.

    Syncs FOLDER, then indexes files as they are completed (closed, moved into place, or of
    stable size), removed or renamed, in batches: one line per batch. A stop lets the current
    batch finish, so nothing is half-written.
    """
    import signal
    import threading
    import time
    from search.watch import watch_folder

    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now, the batch is cancelled
        stop.set()
        click.echo("stopping after the current batch (Ctrl-C again to stop now)", err=True)

    def batch_line(report: "search.IndexReport") -> None:
        if not (report.files or report.removed or report.skipped or report.duplicates):
            return  # e.g. a temporary file came and went
        if as_json:
            click.echo(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                   **report.to_json()}, ensure_ascii=False))
            return
        files = f"{report.files} file{'s' if report.files != 1 else ''}"
        click.echo(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {files}: {_summary(report)}")
        _echo_problems(report)

    said: set[str] = set()

    def waiting(error: SearchError) -> None:
        if error.message not in said:  # once per holder, not at every retry
            said.add(error.message)
            click.echo(f"waiting: {error.message}", err=True)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        click.echo(f"watching {folder} → {index_dir} (Ctrl-C to stop)", err=True)
        watch_folder(folder, index_dir, on_batch=batch_line, stop=stop, settle=settle,
                     lock_timeout=lock_timeout, initial_sync=not no_sync, on_wait=waiting)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    click.echo("stopped", err=True)


@index.command("remove")
@click.argument("ids", nargs=-1, required=True)
@INDEX_OPTION
@WAIT_OPTION
@JSON_OPTION
@handle_errors
def index_remove(ids: tuple[str, ...], index_dir: str, lock_timeout: float,
                 as_json: bool) -> None:
    """Remove articles by id (ids not in the index are listed, and are no error)."""
    report = search.remove_documents(list(ids), index_dir, lock_timeout=lock_timeout)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    click.echo(f"removed {report.removed} of {len(ids)} articles")
    if report.missing:
        click.echo(f"  not in the index: {', '.join(report.missing)}", err=True)


@index.command("stats")
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def index_stats(index_dir: str, as_json: bool) -> None:
    """Documents per language and source, segments, size, last update, schema version."""
    stats = search.index_stats(index_dir)
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False))
        return
    click.echo(f"{stats['documents']} documents in {index_dir} (schema {stats['schema_version']}, "
               f"{stats['segments']} segments, {stats['size_bytes'] / 1e6:.1f} MB, "
               f"updated {stats['updated']})")
    for name in ("by_lang", "by_source"):
        top = Counter(stats[name]).most_common(10)
        click.echo(f"  {name[3:]}: " + (", ".join(f"{k} {v}" for k, v in top) or "-"))


@index.command("optimize")
@INDEX_OPTION
@WAIT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def index_optimize(index_dir: str, lock_timeout: float, as_json: bool) -> None:
    """Merge the index's segments into one and drop deleted articles (faster, smaller)."""
    result = search.optimize_index(index_dir, lock_timeout=lock_timeout)
    if as_json:
        click.echo(json.dumps(result))
        return
    plural = "s" if result["segments_before"] != 1 else ""
    click.echo(f"optimized {index_dir}: {result['segments_before']} segment{plural} → "
               f"{result['segments']}, {result['size_bytes_before'] / 1e6:.1f} MB → "
               f"{result['size_bytes'] / 1e6:.1f} MB in {result['seconds']:.1f} s")


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


@main.command("eval")
@click.option("--corpus", required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSON Lines articles: id, title, body, lang.")
@click.option("--queries", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Questions, one `qid<TAB>text` a line.")
@click.option("--qrels", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Relevance labels, TREC format `qid 0 docid rel`.")
@click.option("--run", "run_file", default=None, type=click.Path(dir_okay=False),
              help="Also write the ranking as a TREC run file.")
@click.option("--limit", default=None, type=click.IntRange(1, None),
              help="Only the first N queries.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@handle_errors
def eval_(corpus: str, queries: str, qrels: str, run_file: str | None, limit: int | None,
          as_json: bool) -> None:
    """Index CORPUS in a temporary index, run QUERIES as questions, score them against QRELS."""
    from search.evaluate import evaluate_files, write_run
    report = evaluate_files(corpus, queries, qrels, limit=limit)
    if run_file:
        write_run(report.run, run_file)
    if as_json:
        click.echo(json.dumps(report.to_json()))
        return
    m = report.metrics
    click.echo(f"{report.queries} queries, {report.no_hit} with no hit (scored 0)")
    for key in ("mrr@10", "ndcg@10", "recall@1", "recall@10", "recall@100"):
        click.echo(f"  {key:<11} {m[key]:.4f}")


if __name__ == "__main__":
    main()
