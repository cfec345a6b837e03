"""`python -m web`: build the index if asked and there is none, then serve with waitress.

Python runs one thread at a time per process, so one process uses one core however many
threads it has: ``--workers`` forks processes that serve the same listening socket (the kernel
hands each connection to one of them), each with its own ``--threads``.
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import threading
import time

import click

import search
from search.cli.common import setting_option
from search.errors import SearchError
from search.settings import apply_settings, load_settings
from web import SECURITY_HEADERS, create_app
from web.shed import Balance, make_server


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@setting_option("host", "--host")
@setting_option("port", "--port", type=click.IntRange(0, 65535))
@setting_option("index_dir", "--index", "index_dir")
@click.option("--build-from", "build_from", multiple=True, envvar="SEARCH_BUILD_FROM",
              type=click.Path(exists=True), help="When there is no index (or one made by an "
              "older version), build it from these files or folders first "
              "(repeatable; env SEARCH_BUILD_FROM).")
@setting_option("threads", "--threads", type=click.IntRange(1, 64))
@setting_option("workers", "--workers", type=click.IntRange(1, 64))
@setting_option("backend", "--backend", type=click.Choice(["whoosh", "solr"]))
@setting_option("solr_url", "--solr-url", "solr_url")
@setting_option("collection", "--collection")
def main(host: str, port: int, index_dir: str, build_from: tuple[str, ...], threads: int,
         workers: int, backend: str, solr_url: str | None, collection: str) -> None:
    """Serve the search page and the JSON API on http://HOST:PORT/."""

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(index_dir=index_dir, host=host, port=port, threads=threads,
                                 workers=workers, backend=backend, solr_url=solr_url,
                                 collection=collection)
        apply_settings(settings)  # the engine the status and a first build go to
    except SearchError as err:  # an environment variable that is not a number
        click.echo(f"error: {err.message}", err=True)
        sys.exit(err.exit_code)
    status = search.index_status(index_dir)
    if status.get("outdated") and build_from:
        # an index of an older schema cannot be read: rebuild it from the given sources (the
        # build swaps a new generation in, so the old one stays as `previous` until the next)
        click.echo(f"The index in {index_dir} was made by an older version (schema "
                   f"{status.get('schema_version')}); rebuilding it from "
                   f"{', '.join(build_from)}.")
    if (not status.get("exists") or status.get("outdated")) and build_from:
        try:
            report = search.build_index(list(build_from), index_dir)
        except SearchError as err:
            click.echo(f"error: {err.message}", err=True)
            sys.exit(err.exit_code)
        skipped = report.skipped if isinstance(report.skipped, int) else len(report.skipped)
        langs = ", ".join(f"{n} {lang}" for lang, n in
                          sorted(dict(getattr(report, "by_lang", {}) or {}).items()))
        click.echo(f"Built the index in {index_dir}: {report.documents} documents"
                   f"{f' ({langs})' if langs else ''}, {skipped} skipped, "
                   f"{report.seconds:.1f} s.")
    elif status.get("error"):  # damaged, or another schema: serve, and say 503 with the fix
        click.echo(f"warning: {status['error']} Pages answer 503 until then.", err=True)
    elif not status.get("exists"):
        click.echo(f"warning: no index in {index_dir} — pages will answer 503 until you run "
                   f"`search index build seeds/ --index {index_dir}`.", err=True)
    else:
        click.echo(f"Using the index in {index_dir} ({status.get('documents', 0)} documents).")
    app = create_app(settings=settings)
    try:
        listener = _listen(host, port)
    except OSError as e:
        click.echo(f"error: cannot listen on {host}:{port}: {e.strerror or e}", err=True)
        sys.exit(1)
    shown_host = f"[{host}]" if ":" in host else host
    _prepare(app)
    sys.stdout.flush()  # else the children would print the buffered lines again
    sys.stderr.flush()
    balance = Balance(workers) if workers > 1 else None
    children = [pid for pid in (_fork_worker(listener, app, threads, balance, index)
                                for index in range(1, workers)) if pid]
    click.echo(f"Serving on http://{shown_host}:{listener.getsockname()[1]}/  "
               f"({workers} process{'es' if workers > 1 else ''} × {threads} threads; "
               "Ctrl+C to stop)")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the workers too, as Ctrl+C does
    try:
        _serve(listener, app, threads, balance, 0)
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        _stop(children)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket every worker process accepts connections from."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.setblocking(False)
    return sock


def _prepare(app) -> None:
    """Before the first visitor, and before the workers fork so that they share them: the
    cross-lingual word lists, the suggestions' table and the "did you mean" dictionary of the
    live index; then everything built so far is left out of Python's cycle collector (it
    lives as long as the server; a full collection walking it stopped a worker for 0.3-0.8 s,
    and writing the collector's marks into shared pages would copy them into every worker)."""
    from search import spelling, suggest
    from search.crossling import warm_up
    warm_up()
    suggest.warm(app.config["SEARCH_INDEX"])
    spelling.warm(app.config["SEARCH_INDEX"])
    gc.collect()
    gc.freeze()


def _serve(listener: socket.socket, app, threads: int, balance: Balance | None = None,
           index: int = 0) -> None:
    """Run waitress on the shared socket in this process until interrupted (worker ``index``
    of those that share ``balance``)."""
    if balance is not None:
        balance.join(index)
    # waitress buffers up to 1 GB of body by default before the app can refuse it (413)
    server = make_server(app, listener, threads=threads, queue=app.config["WEB_QUEUE"],
                         connection_limit=app.config["WEB_CONNECTION_LIMIT"],
                         header_timeout=app.config["WEB_HEADER_TIMEOUT"],
                         max_body_bytes=app.config["INTAKE_MAX_BYTES"] + 65536,
                         headers=SECURITY_HEADERS.items(), balance=balance)
    try:
        server.run()
    finally:
        if balance is not None:
            balance.leave()
        server.close()


def _fork_worker(listener: socket.socket, app, threads: int, balance: Balance | None = None,
                 index: int = 1) -> int:
    """Fork a process serving ``listener``; returns its pid (0 in the child, which never
    returns: it serves until stopped, or until its parent is gone)."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    def stop(*_) -> None:
        if balance is not None:
            balance.leave()  # the others stop counting on this process at once
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)

    def orphaned() -> None:  # a parent killed with SIGKILL cannot stop its workers itself
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)
    threading.Thread(target=orphaned, daemon=True).start()
    try:
        _serve(listener, app, threads, balance, index)
    except KeyboardInterrupt:
        pass
    finally:
        os._exit(0)


STOP_POLLS = 200  # polls (50 ms apart) for a worker to end after SIGTERM, then SIGKILL


def _stop(children: list[int]) -> None:
    """Stop the worker processes and reap them: SIGTERM, and SIGKILL for one still there after
    STOP_POLLS polls (a worker stuck where its handler cannot run must not keep the server
    from stopping)."""
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid in children:
        try:
            for _ in range(STOP_POLLS):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


if __name__ == "__main__":
    main()
