"""The SolrCloud backend's parts: HTTP connection, collection admin, pre-analysed documents,
query translation and a batch client (issue 14). Needs the ``solr`` extra (requests).

The engine (engine.py) joins them behind the seam; each module stands on its own (an Article
in, a Solr document out; a Plan in, Solr parameters out).
"""
