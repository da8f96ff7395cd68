"""Provenance against the source documents: reading their texts and checking each record's place in them.

`documents` reads a source text into places (sections and paragraphs, tables and cells, figure
legends, references, slides, sentences) with character ranges; `locators` parses a record's
locator into such places; `check` finds each record's printed words in the text and checks that
its locator names the place holding them; `spans` keeps the spans found in a committed file
(seeds/spans.yaml) so the service can serve them without the texts.
"""
