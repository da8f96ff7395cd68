"""Loading-time work on the source documents: their structure, and provenance checked against it.

`documents` reads a source text into places (sections and paragraphs, tables and cells, figure
legends, references, slides) with character ranges; `locators` parses a record's locator into
references to such places; `provenance` finds each record's printed words in the text and checks
that its locator names the place holding them, and keeps the spans in a committed file so the
service can serve them without the texts.
"""
