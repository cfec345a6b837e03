"""`python -m web`: build the index if asked and there is none, then serve with waitress."""
from __future__ import annotations

import logging
import sys

import click

import search
from search.errors import SearchError
from web import create_app


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, envvar="SEARCH_HOST",
              help="Address to listen on (env SEARCH_HOST).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              envvar="SEARCH_PORT", help="Port to listen on (env SEARCH_PORT).")
@click.option("--index", "index_dir", default="index", show_default=True, envvar="SEARCH_INDEX",
              help="Index directory (env SEARCH_INDEX).")
@click.option("--build-from", "build_from", multiple=True, envvar="SEARCH_BUILD_FROM",
              type=click.Path(exists=True), help="When there is no index, build it from these "
              "files or folders first (repeatable; env SEARCH_BUILD_FROM).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              envvar="SEARCH_THREADS", help="Worker threads (env SEARCH_THREADS).")
def main(host: str, port: int, index_dir: str, build_from: tuple[str, ...], threads: int) -> None:
    """Serve the search page and the JSON API on http://HOST:PORT/."""
    import waitress

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    status = search.index_status(index_dir)
    if not status.get("exists") and build_from:
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
    elif not status.get("exists"):
        click.echo(f"warning: no index in {index_dir} — pages will answer 503 until you run "
                   f"`search index build seeds/ --index {index_dir}`.", err=True)
    else:
        click.echo(f"Using the index in {index_dir} ({status.get('documents', 0)} documents).")
    app = create_app({"SEARCH_INDEX": index_dir})
    # waitress buffers up to 1 GB of body by default before the app can refuse it (413)
    server = waitress.create_server(app, host=host, port=port, threads=threads,
                                    ident="news-search",
                                    max_request_body_size=app.config["INTAKE_MAX_BYTES"] + 65536)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Serving on http://{shown_host}:{server.effective_port}/  (Ctrl+C to stop)")
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.close()


if __name__ == "__main__":
    main()
