"""Collection admin: upload the configset, create a collection, point an alias at it.

A product collection NAME is an alias onto a generation collection (NAME_g1, NAME_g2, …), as
the Whoosh index is a pointer onto generation directories: a full build fills a new generation
and moves the alias in one step (CREATEALIAS on an existing alias is atomic), so readers see the
old collection or the new one, never a half-built one.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from search.engine.base import BM25_B, BM25_K1
from search.engine.solr_backend.connection import Connection, SolrError

CONFIGSET_DIR = Path(__file__).resolve().parents[3] / "solr" / "configset"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # Solr's rule for collection names
_GENERATION = re.compile(r"^(?P<alias>.+)_g(?P<n>\d+)$")


@dataclass
class SetupReport:
    """What ``setup_collection`` did."""

    alias: str
    collection: str
    configset: str
    shards: int
    replicas: int
    created: bool  # False: the alias was already there and was left as it was

    def to_json(self) -> dict:
        """A JSON summary for the CLI."""
        return dict(self.__dict__)


def check_name(name: str) -> str:
    """A valid collection or alias name, else SolrError saying what is allowed."""
    if not _NAME.match(name or ""):
        raise SolrError(f"Not a valid collection name: {name!r} (letters, digits, . _ -; "
                        "at most 100, not starting with . _ -).", 400)
    return name


def configset_zip(directory: Path = CONFIGSET_DIR) -> bytes:
    """The configset files as a zip, as /admin/configs?action=UPLOAD takes them."""
    directory = Path(directory)
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    if not any(p.name == "solrconfig.xml" for p in files):
        raise SolrError(f"No solrconfig.xml in {directory}: not a configset.", 400)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in files:
            info = zipfile.ZipInfo(p.relative_to(directory).as_posix(), (2020, 1, 1, 0, 0, 0))
            data = p.read_bytes()
            if p.name == "managed-schema.xml":
                data = with_similarity(data.decode("utf-8")).encode("utf-8")
            z.writestr(info, data)
    return buf.getvalue()


_SIMILARITY = re.compile(r'(<float name="(k1|b)">)[^<]*(</float>)')


def with_similarity(schema: str) -> str:
    """The schema with BM25's k1 and b set to the product's (search.engine.base): the values
    in the file are placeholders, so Solr and Whoosh cannot rank with different ones."""
    values = {"k1": BM25_K1, "b": BM25_B}
    out, found = _SIMILARITY.subn(lambda m: f"{m.group(1)}{values[m.group(2)]}{m.group(3)}",
                                  schema)
    if found != 2:
        raise SolrError("The configset's schema has no BM25 k1 and b to set.", 400)
    return out


def upload_configset(conn: Connection, directory: Path = CONFIGSET_DIR,
                     prefix: str = "newsearch") -> str:
    """Upload the configset under a name made from its content (uploading the same files
    twice changes nothing; a changed schema gets a new name, old collections keep theirs)."""
    data = configset_zip(directory)
    name = f"{prefix}-{hashlib.sha1(data).hexdigest()[:12]}"
    if name in list_configsets(conn):
        return name
    conn.request("POST", "/admin/configs", params={"action": "UPLOAD", "name": name},
                 data=data, headers={"Content-Type": "application/octet-stream"})
    return name


def list_configsets(conn: Connection) -> list[str]:
    """The configsets the cluster holds."""
    return conn.request("GET", "/admin/configs", params={"action": "LIST"}).get(
        "configSets", [])


def list_collections(conn: Connection) -> list[str]:
    """The cluster's collections (not aliases)."""
    return conn.request("GET", "/admin/collections", params={"action": "LIST"}).get(
        "collections", [])


def list_aliases(conn: Connection) -> dict[str, str]:
    """alias -> collection(s), comma-separated."""
    return conn.request("GET", "/admin/collections", params={"action": "LISTALIASES"}).get(
        "aliases", {})


def create_collection(conn: Connection, name: str, configset: str, *, shards: int,
                      replicas: int) -> None:
    """Create a collection and wait until every replica is active."""
    check_name(name)
    if shards < 1 or replicas < 1:
        raise SolrError("--shards and --replicas must be 1 or more.", 400)
    try:
        conn.request("POST", "/admin/collections", retry=False, params={
            "action": "CREATE", "name": name, "collection.configName": configset,
            "numShards": shards, "replicationFactor": replicas, "waitForFinalState": "true"})
    except SolrError:
        if name in list_collections(conn):  # half made (some cores failed): leave no trace
            delete_collection(conn, name)
        raise


def delete_collection(conn: Connection, name: str) -> None:
    """Delete a collection and its data."""
    conn.request("POST", "/admin/collections", params={"action": "DELETE", "name": name})


def point_alias(conn: Connection, alias: str, collection: str) -> None:
    """Make ``alias`` name ``collection``: created, or moved in one atomic step."""
    check_name(alias)
    conn.request("POST", "/admin/collections", params={
        "action": "CREATEALIAS", "name": alias, "collections": collection})


def next_generation(conn: Connection, alias: str) -> str:
    """The name of the alias's next generation collection (NAME_g1, NAME_g2, …)."""
    taken = [int(m.group("n")) for m in map(_GENERATION.match, list_collections(conn))
             if m and m.group("alias") == alias]
    return f"{alias}_g{max(taken, default=0) + 1}"


def new_generation(conn: Connection, alias: str, *, shards: int, replicas: int,
                   directory: Path = CONFIGSET_DIR) -> str:
    """Create the alias's next generation collection (empty, not yet live); its name."""
    configset = upload_configset(conn, directory)
    name = next_generation(conn, alias)
    create_collection(conn, name, configset, shards=shards, replicas=replicas)
    return name


def swap_generation(conn: Connection, alias: str, collection: str,
                    keep_old: bool = False) -> str | None:
    """Point the alias at a filled generation, then delete the one it named before (unless
    ``keep_old``); the old collection's name."""
    old = list_aliases(conn).get(alias)
    point_alias(conn, alias, collection)
    if old and old != collection and not keep_old:
        for name in old.split(","):
            delete_collection(conn, name)
    return old


def remove_alias(conn: Connection, alias: str) -> None:
    """Delete an alias and every collection it names (a scratch collection's end)."""
    collections = list_aliases(conn).get(alias, "")
    conn.request("POST", "/admin/collections", params={"action": "DELETEALIAS", "name": alias})
    for name in filter(None, collections.split(",")):
        delete_collection(conn, name)


def setup_collection(conn: Connection, name: str, *, shards: int = 2, replicas: int = 2,
                     directory: Path = CONFIGSET_DIR) -> SetupReport:
    """Upload the configset and create NAME (an alias on its first generation collection);
    an existing alias NAME is left as it is."""
    check_name(name)
    aliases = list_aliases(conn)
    if name in aliases:
        collection = aliases[name]
        return SetupReport(name, collection, "", shards, replicas, created=False)
    if name in list_collections(conn):
        raise SolrError(f"{name} is already a collection of this cluster (not an alias made "
                        "by `search solr setup`); choose another --collection.", 400)
    configset = upload_configset(conn, directory)
    collection = next_generation(conn, name)
    create_collection(conn, collection, configset, shards=shards, replicas=replicas)
    point_alias(conn, name, collection)
    return SetupReport(name, collection, configset, shards, replicas, created=True)
