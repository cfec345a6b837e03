"""The `search` command: a thin shell over the `search` package (parse, call, format).

Only click and light modules are imported here: the engine, the analysis and their word
lists load inside the commands that need them, so `search --help` stays fast
(tests/test_cli_speed.py counts what it imports).
"""
from __future__ import annotations

import html
import json
import sys

import click

import search
from search.cli.common import SETTINGS_KEY, INDEX_OPTION, add_backend_options, handle_errors
from search.cli.index import index
from search.cli.research import (cross_option, parse_window, timeline, window_options,
                                 write_export)
from search.cli.solr import solr
from search.choices import SORTS
from search.errors import SearchError
from search.settings import apply_settings, load_settings


def render_html(fragment: str, color: bool) -> str:
    """Snippet HTML for a terminal: marks as bold yellow (or [brackets]), tags dropped."""
    from search.highlight import render_marks
    def mark(inner: str) -> str:
        return click.style(inner, fg="yellow", bold=True) if color else f"[{inner}]"
    return render_marks(fragment, mark)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsearch")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Search Arabic and English news: build an index, query it, inspect the analysis."""
    try:  # read (and checked) now, handed to the engine when a command runs
        ctx.meta[SETTINGS_KEY] = load_settings()
    except SearchError as e:
        click.echo(f"error: {e.message}", err=True)
        sys.exit(e.exit_code)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors(engine=False)
def config(as_json: bool) -> None:
    """Show every setting: its effective value, where it came from, its environment variable."""
    rows = load_settings().describe()
    if as_json:
        click.echo(json.dumps({"settings": rows}, ensure_ascii=False))
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        value = "(unset)" if r["value"] is None else r["value"]
        env = f"  ${r['env']}" if r["env"] else ""
        click.echo(f"{r['name']:<{width}}  {value!s:<12} {r['source']:<7}{env}")


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


main.add_command(index)
main.add_command(solr)
main.add_command(timeline)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("text")
@INDEX_OPTION
@click.option("--limit", "size", default=10, show_default=True, type=click.IntRange(1, 100),
              help="Results per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, None))
@click.option("--lang", default=None, help="Only articles in this language (ar, en, …).")
@click.option("--source", default=None,
              help="Only articles from these sources: a,b (any of them), -c (not c).")
@click.option("--year", default=None, help="Only articles from this year.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="date: newest first; oldest: oldest first.")
@window_options
@cross_option
@click.option("--exact", is_flag=True,
              help="Search TEXT as typed: no results of a \"did you mean\" suggestion.")
@click.option("--json", "as_json", is_flag=True, help="Print the result page as JSON.")
@click.option("--all", "export_all", is_flag=True,
              help="Print every result (up to 10,000) in --format instead of a page.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="With --all: CSV (UTF-8 with BOM) or JSON Lines.")
@handle_errors
def query(text: str, index_dir: str, size: int, page: int, lang: str | None,
          source: str | None, year: str | None, sort: str, date_from: str | None,
          date_to: str | None, cross: bool, exact: bool, as_json: bool, export_all: bool,
          fmt: str) -> None:
    """Search the index for TEXT (see the README for the query syntax)."""
    if export_all:
        write_export(text, index_dir=index_dir, fmt=fmt, lang=lang, source=source, year=year,
                     sort=sort, date_from=date_from, date_to=date_to, cross=cross)
        return
    window = parse_window(date_from, date_to)
    result = search.run_search(text, index_dir=index_dir, page=page, size=size, lang=lang,
                               source=source, year=year, sort=sort, date_from=window[0],
                               date_to=window[1], cross=cross, correct=not exact)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    from search.sources import source_name
    color = sys.stdout.isatty()
    first = (result.page - 1) * result.size
    noun = "result" if result.total == 1 else "results"
    click.echo(f"{result.total} {noun} ({result.took_ms:.0f} ms)"
               + (f", page {result.page} of {result.pages}" if result.pages > 1 else ""))
    if result.fallback:
        click.echo("No article has all the words; showing articles with some of them.")
    if result.corrected_from is not None:
        click.echo(f"Showing results for {result.showing_results_for} — search instead for "
                   f"{result.corrected_from} (--exact)")
    elif result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    for n, hit in enumerate(result.results, first + 1):
        meta = " · ".join(x for x in (source_name(hit.source), (hit.date or "")[:10], hit.lang)
                          if x)
        click.echo("")
        click.echo(f"{n}. {render_html(hit.title_html or html.escape(hit.title), color)}"
                   f"  [{hit.id}] {hit.score:.2f}")
        click.echo(f"   {meta}" + ("  (translated match)" if hit.crosslingual else ""))
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
@click.option("--cross/--no-cross", default=True, show_default=True,
              help="Match across languages (names, translations), as queries do.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@handle_errors
def eval_(corpus: str, queries: str, qrels: str, run_file: str | None, limit: int | None,
          cross: bool, as_json: bool) -> None:
    """Index CORPUS in a temporary index, run QUERIES as questions, score them against QRELS."""
    from search.evaluate import evaluate_files, write_run
    # a throw-away index on the chosen engine (a temporary folder, or a temporary collection
    # beside the live one on a cluster): an evaluation never touches the live index
    report = evaluate_files(corpus, queries, qrels, limit=limit, cross=cross)
    for where in report.skipped:  # on stderr: --json stays one object on stdout
        click.echo(f"warning: skipped {where}", err=True)
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


# --backend, --solr-url, --collection on every command but config
add_backend_options(main, skip=("config",))
