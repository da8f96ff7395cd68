"""The start-up write path: YAML -> fixture set -> checks -> table rows -> database (and the search index)."""
