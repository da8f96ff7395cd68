"""The start-up write path: YAML -> fixture set -> checks -> table rows -> database (and the search index).

Also the source documents checked against: `documents` reads a source text into places (sections
and paragraphs, tables and cells, figure legends, references, slides) with character ranges;
`locators` parses a record's locator into such places; `provenance` finds each record's printed
words in the text, checks that its locator names the place holding them, and keeps the spans in a
committed file (seeds/spans.yaml) so the service can serve them without the texts.
"""
