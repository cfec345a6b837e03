"""The SolrCloud backend's parts: HTTP connection, collection admin, pre-analysed documents,
query translation and a batch client (issue 14). Needs the ``solr`` extra (requests).

Nothing here is wired behind the engine seam yet: each module stands on its own (an Article
in, a Solr document out; a Plan in, Solr parameters out) so the engine can call it later.
"""
