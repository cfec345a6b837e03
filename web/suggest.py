"""Suggestions as you type: /api/suggest, in the product's JSON and in OpenSearch's form (what
a browser's address bar asks for, named in /opensearch.xml)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from search import suggest
from web.params import ParameterError

bp = Blueprint("suggest", __name__)

OPENSEARCH_TYPE = "application/x-suggestions+json"


@bp.get("/api/suggest")
def api_suggest():
    """{query, suggestions}: up to limit= (1 to 10) completions of q=; format=opensearch gives
    OpenSearch's [query, [completions]] as application/x-suggestions+json."""
    text = request.args.get("q", "")
    if len(text) > current_app.config["MAX_QUERY_LENGTH"]:
        raise ParameterError("The prefix is too long; "
                             f"the limit is {current_app.config['MAX_QUERY_LENGTH']} characters.")
    fmt = request.args.get("format") or "json"
    if fmt not in ("json", "opensearch"):
        raise ParameterError(f"format must be json or opensearch (got {fmt[:40]!r}).")
    raw = request.args.get("limit") or str(suggest.MAX_SUGGESTIONS)
    if not raw.isdigit() or not 1 <= int(raw) <= suggest.MAX_SUGGESTIONS:
        raise ParameterError(f"limit must be a whole number from 1 to {suggest.MAX_SUGGESTIONS} "
                             f"(got {raw[:40]!r}).")
    found = suggest.complete(text, index_dir=current_app.config["SEARCH_INDEX"],
                             limit=int(raw)) if text.strip() else []
    if fmt == "opensearch":
        return Response(json.dumps([text, found], ensure_ascii=False),
                        mimetype=OPENSEARCH_TYPE)
    return {"query": text, "suggestions": found}
