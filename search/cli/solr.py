"""`search solr …`: set up a SolrCloud collection for the product (needs the `solr` extra)."""
from __future__ import annotations

import json
import click

from search.cli.common import handle_errors
from search.settings import load_settings

SOLR_URL_OPTION = click.option(
    "--solr-url", required=True, envvar="SEARCH_SOLR_URL", show_envvar=True,
    help="A Solr node's base URL, e.g. http://HOST:8983/solr (several, comma-separated, "
         "to fail over between nodes).")
COLLECTION_OPTION = click.option(
    "--collection", default="newsearch", envvar="SEARCH_COLLECTION", show_default=True,
    show_envvar=True, help="The product's collection: an alias onto generation collections.")


@click.group()
def solr() -> None:
    """Run the product on a SolrCloud cluster (set-up commands)."""


@solr.command()
@SOLR_URL_OPTION
@COLLECTION_OPTION
@click.option("--shards", default=2, show_default=True, type=click.IntRange(1, 1024),
              help="Shards of the collection.")
@click.option("--replicas", default=2, show_default=True, type=click.IntRange(1, 16),
              help="Copies of each shard (on different nodes when the cluster has them).")
@click.option("--configset", "configset_dir", default=None,
              type=click.Path(file_okay=False, exists=True),
              help="Configset folder (default: the project's solr/configset).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def setup(solr_url: str, collection: str, shards: int, replicas: int,
          configset_dir: str | None, as_json: bool) -> None:
    """Upload the configset and create COLLECTION (SHARDS × REPLICAS) behind an alias."""
    from search.indexer import setup_backend
    settings = load_settings(backend="solr", solr_url=solr_url, collection=collection)
    try:
        report = setup_backend(settings, shards=shards, replicas=replicas,
                               configset=configset_dir)
    except ImportError as e:  # requests missing: the solr extra is not installed
        raise click.ClickException(f"The Solr backend needs the solr extra: pip install "
                                   f"'newsearch[solr]' ({e.name} is missing).") from None
    if as_json:
        click.echo(json.dumps(report))
    elif report['created']:
        click.echo(f"created {report['alias']} → {report['collection']} ({report['shards']} "
                   f"shards × {report['replicas']} replicas, configset {report['configset']})")
    else:
        click.echo(f"{report['alias']} already exists (→ {report['collection']}); left as it is")
