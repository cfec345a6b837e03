"""`search index …`: build and maintain the index (a thin shell over search.indexer)."""
from __future__ import annotations

import json
import sys
from collections import Counter

import click

import search
from search.cli.common import INDEX_OPTION, handle_errors, setting_option
from search.errors import SearchError

@click.group()
def index() -> None:
    """Build and maintain the index: build, add, sync, watch, remove, stats, optimize, check,
    snapshot, restore.

    \b
    Exit codes: 0 done; 1 error (no index, index locked past --wait, damaged,
    disk full, read-only, permission denied, …: the message says the fix);
    2 bad usage or input; 3 unexpected error (a bug); 4 done, but some files or
    records could not be read and were skipped (listed on stderr).
    """


WAIT_OPTION = setting_option("lock_timeout", "--wait", "lock_timeout",
                             type=click.FloatRange(0), metavar="SECONDS")
COMMIT_OPTION = setting_option("commit_every", "--commit-every", type=click.IntRange(1),
                               metavar="N")
VERBOSE_OPTION = click.option("-v", "--verbose", is_flag=True,
                              help="Print a line on stderr at each commit.")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")


def write_options(command):
    """The options every incremental write shares (add, sync): index, --wait, --commit-every,
    --verbose, --json, and the clear error messages."""
    for decorate in (handle_errors, JSON_OPTION, VERBOSE_OPTION, COMMIT_OPTION, WAIT_OPTION,
                     INDEX_OPTION):
        command = decorate(command)
    return command


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


def _summary(report: "search.IndexReport", build: bool = False, phases: str = "") -> str:
    """One line: what a run did (and the time of each phase, when given)."""
    langs = ", ".join(f"{n} {lang}" for lang, n in report.by_lang.most_common()) or "none"
    if build:
        parts = [f"indexed {report.documents} articles ({langs})"]
    else:
        parts = [f"{report.added} added, {report.updated} updated ({langs})",
                 f"{report.unchanged} unchanged", f"{report.removed} removed"]
    if report.duplicates:
        parts.append(f"{len(report.duplicates)} duplicates")
    parts.append(f"{len(report.skipped)} skipped")
    return "; ".join(parts) + f" in {report.seconds:.1f} s" + (f" ({phases})" if phases else "")


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
    for s in report.warnings:
        click.echo(f"  warning {printable(s.path)}: {printable(s.reason)}", err=True)


def _print_report(report: "search.IndexReport", as_json: bool, build: bool = False,
                  times=None) -> None:
    """The summary (or JSON) on stdout, what was not indexed on stderr; exit 4 if skipped.
    ``times``: the phases' times (search.phases.PhaseTimes) the summary lists."""
    if report.recovered:
        click.echo(f"note: the previous writer, {report.recovered}, stopped without finishing; "
                   "its leftovers were cleared (the index was as of its last commit).", err=True)
    if as_json:
        out = report.to_json()
        if times is not None:
            out["phases"] = {k: round(v, 3) for k, v in times.seconds().items()}
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        from search.cli.progress import phase_summary
        said = phase_summary(times) if times is not None else ""
        click.echo(f"{_summary(report, build, said)} → {report.index_dir}")
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
@setting_option("build_memory_mb", "--memory", "memory_mb", metavar="MB",
                type=click.FloatRange(min=0, min_open=True))
@handle_errors
def index_build(sources: tuple[str, ...], index_dir: str, lock_timeout: float,
                as_json: bool, memory_mb: float | None) -> None:
    """Rebuild the index from SOURCES (files, folders, JSONL; default seeds/).

    The new index is written to a fresh directory and swapped in atomically when complete:
    searches go on answering from the old one until then. Progress on stderr: a line per phase
    (reading, analysing, writing segments, merging, swapping, counting words) with its count,
    rate and time (a budget's segments each read, analysed and written in turn); on a
    terminal, live bars with the time left where known.
    """
    from search.cli.progress import phase_display
    from search.phases import reporting
    _budget(memory_mb)
    # the phases as they happen: bars on a terminal, a line each in a log; times in the summary
    display = phase_display(sys.stderr.isatty(), quiet=as_json)
    with reporting(display):
        report = search.build_index(list(sources) or ["seeds"], index_dir,
                                    lock_timeout=lock_timeout)
    _print_report(report, as_json, build=True, times=display.times)


def _budget(memory_mb: float) -> None:
    """Hand the engine the build's memory budget (with the backend options given, if any)."""
    from search.settings import apply_settings, load_settings
    chosen = click.get_current_context().meta.get("search.backend_options", {})
    apply_settings(load_settings(build_memory_mb=memory_mb, **chosen))


def _write(write, target, index_dir: str, lock_timeout: float, commit_every: int,
           verbose: bool, as_json: bool) -> None:
    """Run an incremental writer (add, sync) with a progress bar or commit lines, then report."""
    progress, stop = _progress(sys.stderr.isatty() and not as_json and not verbose)
    try:
        report = write(target, index_dir, progress=progress, lock_timeout=lock_timeout,
                       commit_every=commit_every, on_commit=_commit_line if verbose else None)
    finally:
        stop()
    _print_report(report, as_json)


@index.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@write_options
def index_add(paths: tuple[str, ...], index_dir: str, lock_timeout: float, commit_every: int,
              verbose: bool, as_json: bool) -> None:
    """Add new and changed articles from PATHS (files, folders, JSON Lines).

    Unchanged articles are skipped, and so are duplicates: the same text or URL as an article
    of another id.
    """
    _write(search.add_paths, list(paths), index_dir, lock_timeout, commit_every, verbose,
           as_json)


@index.command("sync")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@write_options
def index_sync(folder: str, index_dir: str, lock_timeout: float, commit_every: int,
               verbose: bool, as_json: bool) -> None:
    """Make the index match FOLDER: add new files, re-index changed ones, remove the articles
    of files that are gone (only those read from FOLDER)."""
    _write(search.sync_folder, folder, index_dir, lock_timeout, commit_every, verbose, as_json)


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


@index.command("check")
@INDEX_OPTION
@click.option("--repair", is_flag=True, help="When damaged, rebuild the index into a new "
              "generation from its sound documents and recorded sources, swapped in atomically.")
@click.option("--quick", is_flag=True, help="When the checksums hold, decode only the first "
              "1,000 posting lists of each field (seconds instead of minutes on a big index).")
@WAIT_OPTION
@JSON_OPTION
@handle_errors
def index_check(index_dir: str, repair: bool, quick: bool, lock_timeout: float,
                as_json: bool) -> None:
    """Verify the live index: every file against the checksum written at commit, every
    segment opened and its postings, documents and columns decoded.

    \b
    Exit codes: 0 healthy (or repaired); 1 damaged (each damaged file named on stderr),
    or no index.
    """
    from search.repair import check_index, repair_index
    result = check_index(index_dir, quick)
    out: dict = {"check": result}
    if not result["ok"] and repair:
        out["repair"] = repair_index(index_dir, lock_timeout=lock_timeout)
        out["after"] = check_index(index_dir, quick)
    healthy = (out.get("after") or result)["ok"]
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        _echo_check(result, index_dir)
        if "repair" in out:
            _echo_repair(out["repair"])
            _echo_check(out["after"], index_dir)
        elif not healthy:
            click.echo(f"run `search index check --repair --index {index_dir}` to rebuild it "
                       "from its sound documents and recorded sources", err=True)
    sys.exit(0 if healthy else 1)


def _echo_check(result: dict, index_dir: str) -> None:
    what = (f"{result['files']} files ({result['bytes'] / 1e6:.1f} MB) match their checksums"
            if result["checksums"] else "no checksums recorded (written by an older version)")
    if result["ok"]:
        click.echo(f"ok: {index_dir} ({result['generation']}): {what}; {result['segments']} "
                   f"segments, {result['documents']} documents, {result['postings']} posting "
                   "lists decoded")
        return
    click.echo(f"damaged: {index_dir} ({result['generation']})", err=True)
    for p in result["problems"]:
        click.echo(f"  {result['generation']}/{p['file']}: {p['problem']}", err=True)


def _echo_repair(result: dict) -> None:
    click.echo(f"repaired: {result['documents']} documents written to a new generation "
               f"({result['from_index']} from the index, {result['from_sources']} re-read from "
               f"its sources, {result['from_damaged']} from damaged segments) in "
               f"{result['seconds']:.1f} s")
    for source in result["missing_sources"]:
        click.echo(f"  warning: recorded source {printable(source)} is gone", err=True)


@index.command("snapshot")
@click.argument("dest", type=click.Path(file_okay=False))
@INDEX_OPTION
@JSON_OPTION
@handle_errors
def index_snapshot(dest: str, index_dir: str, as_json: bool) -> None:
    """Copy the live index into the new folder DEST, consistently, while writers and readers
    run (each file is checked against its checksum; DEST/snapshot.json is written last)."""
    from search.repair import snapshot_index
    result = snapshot_index(index_dir, dest)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"snapshot of {index_dir} in {dest}: {result['documents']} documents, "
               f"{result['files']} files, {result['bytes'] / 1e6:.1f} MB")


@index.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@INDEX_OPTION
@WAIT_OPTION
@JSON_OPTION
@handle_errors
def index_restore(src: str, index_dir: str, lock_timeout: float, as_json: bool) -> None:
    """Make the snapshot SRC the live index: copied into a new generation, checked, and
    swapped in atomically (searches answer from the old one until then)."""
    from search.repair import restore_index
    result = restore_index(index_dir, src, lock_timeout=lock_timeout)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"restored {result['documents']} documents from {src} (taken "
               f"{result['taken']}) → {index_dir}")
