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
