"""The start-up write path: YAML -> fixture set -> checks -> table rows -> database (and the search index).

The spans of printed words it writes come from the committed spans file (api.provenance.spans);
checking them against the source texts is api.provenance's job.
"""
