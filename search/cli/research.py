"""`search timeline` and `search query --all`: attention over time and exports in a terminal."""
from __future__ import annotations

import csv
import json
import sys

import click

from search.choices import INTERVALS
from search.cli.common import INDEX_OPTION, handle_errors

BAR_WIDTH = 40  # characters of the longest bar
GAP = 4  # this many empty periods in a row are one line


def parse_window(date_from: str | None, date_to: str | None):
    """--from and --to as dates (a QueryError with the fix when malformed)."""
    from search import chronology
    return (chronology.parse_day(date_from, "--from"), chronology.parse_day(date_to, "--to"))


def window_options(fn):
    """--from and --to: a window of days, both included."""
    fn = click.option("--to", "date_to", default=None, metavar="YYYY-MM-DD",
                      help="Only articles dated up to this day.")(fn)
    return click.option("--from", "date_from", default=None, metavar="YYYY-MM-DD",
                        help="Only articles dated from this day.")(fn)


def cross_option(fn):
    """--cross/--no-cross: also match across languages (names, translations), or not."""
    return click.option("--cross/--no-cross", default=True, show_default=True,
                        help="Also match across languages (names, translations); --no-cross: "
                             "only the typed language.")(fn)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("queries", nargs=-1, required=True)
@INDEX_OPTION
@click.option("--interval", type=click.Choice(INTERVALS), default="auto", show_default=True,
              help="Period of each bar (auto: from the span of the matches).")
@click.option("--lang", default=None, help="Only articles in this language.")
@click.option("--source", default=None,
              help="Only articles from these sources: a,b (any of them), -c (not c).")
@click.option("--year", default=None, help="Only articles from this year.")
@window_options
@cross_option
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: query, start, lang, count, share.")
@handle_errors
def timeline(queries: tuple[str, ...], index_dir: str, interval: str, lang: str | None,
             source: str | None, year: str | None, date_from: str | None,
             date_to: str | None, cross: bool, as_json: bool, as_csv: bool) -> None:
    """How many articles match QUERY per day, week or month, per language (several
    QUERIES, up to three, are compared)."""
    from search.timeline import compute_timeline
    window = parse_window(date_from, date_to)
    t = compute_timeline(list(queries), index_dir=index_dir, interval=interval, lang=lang,
                         source=source, year=year, date_from=window[0], date_to=window[1],
                         cross=cross)
    if as_json:
        click.echo(json.dumps(t.to_json(), ensure_ascii=False))
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["query", "start", "lang", "count", "share"])
        for k, series in enumerate(t.series):
            for bucket in t.buckets(k):
                for code in t.langs:
                    writer.writerow([series.query, bucket["start"], code,
                                     bucket["count"][code], bucket["share"][code]])
        return
    _print_chart(t)


def _print_chart(t) -> None:
    """Bars per period and language with rich (plain characters when not on a terminal)."""
    from rich.console import Console
    from rich.table import Table
    console = Console(highlight=False)
    for k, series in enumerate(t.series):
        totals = ", ".join(f"{n:,} {code}" for code, n in series.total.items() if n)
        console.print(f"[bold]{series.query}[/bold]: {totals or 'no articles'} "
                      f"(per {t.interval})", soft_wrap=True)
        if not t.starts:
            console.print("no dated article matches")
            continue
        shown = [j for j in range(len(t.langs)) if series.count[:, j].sum()]
        top = max(1, int(series.count.max()))
        # the bars share what the period and count columns leave of the terminal's width
        width = max(5, min(BAR_WIDTH, (console.width - 12 - 10 * len(shown))
                           // max(1, len(shown))))
        table = Table(box=None, show_header=True, pad_edge=False)
        table.add_column("period", no_wrap=True, min_width=10)
        for j in shown:
            table.add_column(t.langs[j], justify="right")
            table.add_column("", no_wrap=True)
        styles = ["blue", "dark_orange", "green"]
        empty = series.count.sum(axis=1) == 0
        for i, start in enumerate(t.starts):
            if empty[i] and i and empty[i - 1]:
                continue  # inside a run of empty periods: said once, below
            run = _empty_run(empty, i)
            if run >= GAP:
                table.add_row(f"… {run:,} empty {t.interval}s", *([""] * (2 * len(shown))))
                continue
            if empty[i]:
                for j in range(i, i + run):
                    table.add_row(_period_label(t.starts[j], t.interval),
                                  *(["0", ""] * len(shown)))
                continue
            cells = [_period_label(start, t.interval)]
            for n, j in enumerate(shown):
                count = int(series.count[i, j])
                bar = "█" * round(width * count / top) or ("▏" if count else "")
                cells += [f"{count:,}", f"[{styles[n % 3]}]{bar}[/]"]
            table.add_row(*cells)
        console.print(table)
        if k < len(t.series) - 1:
            console.print()


def _period_label(start, interval: str) -> str:
    return start.isoformat()[:7] if interval == "month" else start.isoformat()


def _empty_run(empty, i: int) -> int:
    """How many empty periods start at i (0 when period i has matches)."""
    n = 0
    while i + n < len(empty) and empty[i + n]:
        n += 1
    return n


def write_export(text: str, *, index_dir: str, fmt: str, lang, source, year, sort: str,
                 date_from, date_to, cross: bool = True) -> None:
    """Every result of a query (up to the export cap) to standard output as CSV or JSONL."""
    from search import export
    window = parse_window(date_from, date_to)
    rows = export.export_rows(text, index_dir=index_dir, lang=lang, source=source, year=year,
                              sort=sort, date_from=window[0], date_to=window[1], cross=cross)
    out = sys.stdout
    out.reconfigure(encoding="utf-8")
    for line in export.export_lines(rows, fmt):
        out.write(line)
    out.flush()


__all__ = ["cross_option", "timeline", "window_options", "write_export"]
