"""What every `search` subcommand shares: the --index option and error handling."""
from __future__ import annotations

import functools
import json
import os
import sys
from typing import Callable

import click

from search.errors import SearchError, error_json
from search.settings import BY_NAME


def setting_option(name: str, *flags: str, **kwargs) -> Callable:
    """A click option whose default, environment variable and help come from the setting."""
    setting = BY_NAME[name]
    kwargs.setdefault("help", setting.help)
    if setting.env:
        kwargs.update(envvar=setting.env, show_envvar=True)
    return click.option(*flags, default=setting.default, show_default=True, **kwargs)


INDEX_OPTION = setting_option("index_dir", "--index", "index_dir",
                              type=click.Path(file_okay=False))


SETTINGS_KEY = "search.settings"  # in click's meta: the settings the group read, not yet applied


def apply_pending_settings() -> None:
    """Hand the engine the settings the `search` group read, once, as a command starts: not
    while parsing, so `--help` never imports the engine."""
    ctx = click.get_current_context(silent=True)
    settings = ctx.meta.pop(SETTINGS_KEY, None) if ctx is not None else None
    if settings is not None:
        from search.settings import apply_settings
        apply_settings(settings)


def handle_errors(fn: Callable | None = None, *, engine: bool = True) -> Callable:
    """Turn SearchErrors into one line on stderr and an exit code; never a traceback.
    ``engine``: the command uses the engine (its settings are applied first)."""
    if fn is None:
        return functools.partial(handle_errors, engine=engine)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            if engine:
                apply_pending_settings()
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


BACKEND_SETTINGS = (("backend", "--backend"), ("solr_url", "--solr-url"),
                    ("collection", "--collection"))


def _apply_backend(ctx: click.Context, param: click.Parameter, value) -> None:
    """Collect --backend/--solr-url/--collection; once all three are read (click calls back
    for every option, given or not), hand the engine the settings they make."""
    chosen = ctx.meta.setdefault("search.backend_options", {})
    chosen[param.name] = value
    if len(chosen) < len(BACKEND_SETTINGS) or not any(v is not None for v in chosen.values()):
        return
    from search.settings import apply_settings, load_settings
    ctx.meta.pop(SETTINGS_KEY, None)  # these settings replace the group's
    try:
        apply_settings(load_settings(**chosen))
    except SearchError as e:
        raise click.BadParameter(e.message, ctx=ctx, param=param) from None


def backend_options() -> list[click.Option]:
    """--backend, --solr-url and --collection, from their settings (one set per command)."""
    out = []
    for name, flag in BACKEND_SETTINGS:
        setting = BY_NAME[name]
        extra = {"type": click.Choice(["whoosh", "solr"])} if name == "backend" else {}
        out.append(click.Option([flag, name], default=None, expose_value=False,
                                is_eager=False, callback=_apply_backend,
                                help=f"{setting.help} [env {setting.env}]", **extra))
    return out


def add_backend_options(command: click.Command, skip: tuple[str, ...] = ()) -> None:
    """Give every command under ``command`` the backend options (a group's subcommands too)
    but those named in ``skip``; a command with its own option of the same name keeps its own."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if name not in skip:
                add_backend_options(sub, skip)
        return
    taken = {p.name for p in command.params}
    command.params.extend(o for o in backend_options() if o.name not in taken)
