"""Provenance checked against the source texts: each record's printed words and the place its locator names.

For every record with `printed`, the words are looked up in the document's text (exactly; failing
that, allowing only white-space and hyphen variants, which are reported), giving a span [start,
end) and a short context (the sentence or table cell holding it). The locator must name a place
that contains the span. Records without `printed` (studies, arms, products, ...) need their
locator's places to exist. Spans are kept in a committed file (seeds/spans.yaml) tied to each
document's SHA-256, so the service can serve them where the texts are absent.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.loading.fixture_files import FixtureError, FixtureIssue, fixture_paths, read_yaml_data
from api.provenance.documents import Document, Place, read_document, sentence_places
from api.provenance.locators import LocatorError, Resolved, resolve
from api.provenance.spans import SPANS_FILE_LIMIT, Span, read_spans

CONTEXT_MAX = 300
_HYPHEN_CLASS = "[-\u2010\u2011\u2012\u2013\u2014\u2212]"


@dataclass(frozen=True)
class Record:
    """One fixture record that cites a document."""

    file: str  # fixture file, relative to the fixtures directory
    path: str  # where in the file, e.g. outcomes[3]
    id: str  # the served id, e.g. study.figure
    source_id: str
    locator: str
    printed: str | None
    # Which occurrence of `printed` inside the located places (1 = first in the text), for words
    # the place prints more than once ("100%" twice under one heading); None when they occur once.
    occurrence: int | None = None


@dataclass(frozen=True)
class Issue:
    file: str
    path: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}.{self.field} ({self.record}): {self.message}"


def read_documents(seeds_dir: Path, sources_registry: Path, problems: list[str] | None = None) -> dict[str, Document]:
    """Every source document whose text is present, read according to its kind in the registry.

    A text whose structure cannot be read is left out; with `problems` given, it is named there
    instead of raising (validation reports every problem rather than stopping at the first).
    """
    registry = read_yaml_data(sources_registry, f"seeds/{sources_registry.name}", max_bytes=SPANS_FILE_LIMIT)
    kinds = {s["id"]: s.get("kind", "letter") for s in registry.get("sources", [])}
    documents = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        if path.stem not in kinds:
            continue
        try:
            documents[path.stem] = read_document(path, kinds[path.stem])
        except FixtureError as exc:  # not a regular file, or over the size bound
            if problems is None:
                raise
            problems += [str(issue) for issue in exc.issues]
        except (ValueError, IndexError) as exc:  # UnicodeDecodeError is a ValueError
            if problems is None:
                raise
            problems.append(f"{path.name}: structure cannot be read: {exc}")
    return documents


def iter_records(fixtures_dir: Path, max_bytes: int = SPANS_FILE_LIMIT) -> Iterator[Record]:
    """Records with a locator in every fixture file the loader reads (and only those), in file order,
    each read under the loader's guards (FixtureError on a file that fails them)."""
    for label, path in fixture_paths(fixtures_dir):
        data = read_yaml_data(path, f"fixtures/{label}", max_bytes=max_bytes)
        prefix = f"{data['id']}." if label.startswith("studies/") and "id" in data else ""
        yield from _walk(
            data, label, "", prefix=prefix, source=data.get("source_id"), own_id=data.get("id") if prefix else None
        )


def _walk(node: Any, file: str, path: str, *, prefix: str, source: str | None, own_id: str | None) -> Iterator[Record]:
    if isinstance(node, dict):
        source = node.get("source_id", source)
        if "locator" in node and source:
            printed = node.get("printed")
            occurrence = node.get("occurrence")
            yield Record(
                file,
                path or "(study)",
                own_id or path,
                source,
                str(node["locator"]),
                printed,
                occurrence if isinstance(occurrence, int) else None,
            )
        for key, value in node.items():
            if isinstance(value, list):
                for i, item in enumerate(value):
                    child_id = _child_id(prefix, own_id, key, item=item)
                    yield from _walk(
                        item, file, f"{path}.{key}[{i}]".lstrip("."), prefix=prefix, source=source, own_id=child_id
                    )
            elif isinstance(value, dict):
                yield from _walk(value, file, f"{path}.{key}".lstrip("."), prefix=prefix, source=source, own_id=own_id)


def _child_id(prefix: str, parent: str | None, key: str, *, item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    if key == "interventions" and parent and "agent" in item:
        return f"{parent}.{item['agent']}"  # interventions are served as arm.agent
    if "id" in item:
        return f"{prefix}{item['id']}"
    return None


class AmbiguousPrinted(ValueError):
    """The printed words occur more than once inside one located place and the record does not say which."""


def find_printed(
    document: Document, printed: str, within: list[Place], *, occurrence: int | None = None
) -> Span | None:
    """The span of `printed` in the text, preferring an occurrence inside one of `within`.

    Identical words printed more than once inside one place (a slide listing "100%" twice) are
    told apart only by `occurrence`, the n-th of them inside `within` in text order; without it
    such words raise AmbiguousPrinted rather than silently taking the first. `occurrence` past
    the last one found gives None.
    """
    text = document.text
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(printed), text)]
    variant = ""
    if not spans:  # a line break where the record has a space: the same words
        loose = r"\s+".join(re.escape(word) for word in printed.split())
        spans = [(m.start(), m.end()) for m in re.finditer(loose, text)]
        variant = "white space" if spans else ""
    if not spans:
        spans = [(m.start(), m.end()) for m in re.finditer(_tolerant_pattern(printed), text)]
        variant = "hyphen or dash" if spans else ""
    if not spans:
        return None
    inside = [s for s in spans if any(p.contains(*s) for p in within)]
    if occurrence is not None:
        if not 1 <= occurrence <= len(inside):
            return None
        start, end = inside[occurrence - 1]
        return Span(document.id, start, end, context(document, start, end), variant)
    repeated = [p for p in within if sum(p.contains(*s) for s in inside) > 1]
    if repeated:
        count = sum(repeated[0].contains(*s) for s in inside)
        raise AmbiguousPrinted(f"printed {count} times in {repeated[0].label}; say which with `occurrence`")
    start, end = (inside or spans)[0]
    return Span(document.id, start, end, context(document, start, end), variant)


def _tolerant_pattern(printed: str) -> str:
    """White space of any kind and length; any hyphen or dash, perhaps followed by a line break."""
    out = []
    for ch in printed.strip():
        if ch.isspace():
            out.append(r"\s+")
        elif re.match(_HYPHEN_CLASS, ch):
            out.append(_HYPHEN_CLASS + r"\s*")
        else:
            out.append(re.escape(ch) + r"(?:[\u2010\u2011-]\s+)?" if ch.isalpha() else re.escape(ch))
    return "".join(out).replace(r"\s+\s+", r"\s+")


def _squash(text: str) -> str:
    # Only white space is normalised: the context keeps the document's own hyphens and dashes.
    return re.sub(r"\s+", " ", text).strip()


def context(document: Document, start: int, end: int) -> str:
    """The table cell, sentence or bullet holding [start, end), as printed but with white space runs made one space.

    At most CONTEXT_MAX characters: a longer one is cut to a window around the printed words.
    """
    holders = [p for p in document.places() if p.contains(start, end)]
    cells = [p for p in holders if ", column '" in p.label]
    if cells:
        holder = cells[0]
        lo, hi = holder.start, holder.end
    else:
        paragraphs = sorted(
            (p for p in holders if re.search(r"(^|, )(paragraph|item) \d", p.label, flags=re.I)),
            key=lambda p: p.end - p.start,
        )
        sentences = [
            s for p in paragraphs[:1] for s in sentence_places(document, p) if s.start <= start and end <= s.end
        ]
        if sentences:
            lo, hi = sentences[0].start, sentences[0].end
        else:  # a slide, legend or reference: the block of lines around the span
            lo, hi = _block(document.text, start, end)
    text = _squash(document.text[lo:hi])
    if len(text) <= CONTEXT_MAX:
        return text
    # Keep the printed words in view: a window around them, cut at word boundaries.
    focus = _squash(document.text[lo:start])
    middle = len(focus) + len(_squash(document.text[start:end])) // 2
    a = max(0, min(middle - CONTEXT_MAX // 2, len(text) - CONTEXT_MAX + 2))
    window = text[a : a + CONTEXT_MAX - 2]
    if a > 0:
        window = "\u2026" + window.split(" ", 1)[-1]
    if a + CONTEXT_MAX - 2 < len(text):
        window = window.rsplit(" ", 1)[0] + "\u2026"
    return window


def span_issues(
    spans: dict[str, Span], printed: dict[str, str], documents: dict[str, Document], *, label: str
) -> list[FixtureIssue]:
    """What a served span says that its figure's printed words, or its text where present, do not bear out.

    Without the texts only the span against itself: its context must hold the printed words. With a
    document's text (of the registered SHA-256), its characters must be the printed words and the
    context the one `resolve` writes for them. The spans file is read at every load: a hand-edited or
    corrupted one was served as it stood (session 13's probe, FB4).
    """
    issues = []
    for rid, span in sorted(spans.items()):
        words = printed.get(rid)
        if words is None:  # no figure of that id: the span is never served
            continue
        pattern = _tolerant_pattern(words)
        if re.search(pattern, span.context) is None:
            issues.append(FixtureIssue(label, f"spans.{rid}.context", f"does not hold the printed words {words!r}"))
        document = documents.get(span.source_id)
        if document is None:
            continue
        if span.end > len(document.text):
            where = f"past the end of {document.id} ({len(document.text)} characters)"
            issues.append(FixtureIssue(label, f"spans.{rid}.end", f"{span.end} is {where}"))
        elif re.fullmatch(pattern, document.text[span.start : span.end]) is None:
            where = f"characters {span.start}-{span.end} of {document.id}"
            issues.append(FixtureIssue(label, f"spans.{rid}", f"{where} are not the printed words {words!r}"))
        elif context(document, span.start, span.end) != span.context:
            issues.append(FixtureIssue(label, f"spans.{rid}.context", f"is not the text around them in {document.id}"))
    return issues


def _block(text: str, start: int, end: int) -> tuple[int, int]:
    """The lines between blank lines around [start, end); a bare value takes in the blocks before it ("ORR ... 96%")."""
    breaks = [m.span() for m in re.finditer(r"\n[ \t]*\n", text)]
    lo = max([b[1] for b in breaks if b[1] <= start], default=0)
    hi = min([b[0] for b in breaks if b[0] >= end], default=len(text))
    slide_start = max([m.end() for m in re.finditer(r"(?:\n[ \t]*){4,}", text[:start])], default=0)
    bullets = [m.start() for m in re.finditer(r"(?m)^[ \t]*[\u2022\u00fc]", text[lo:hi])]
    if len(bullets) > 1:  # a list without blank lines: the bullet holding the span
        item_starts = [lo + b for b in bullets]
        lo = max([b for b in item_starts if b <= start], default=lo)
        hi = min([b - 1 for b in item_starts if b >= end], default=hi)
        return lo, hi
    while len(_squash(text[lo:hi])) < 40 and lo > slide_start:
        lo = max([b[1] for b in breaks if b[1] < lo - 1 and b[1] >= slide_start], default=slide_start)
    return lo, hi


def check(records: list[Record], documents: dict[str, Document]) -> tuple[dict[str, Span], list[Issue], list[str]]:
    """(spans by record id, problems, notes) for every record whose document text is present."""
    spans: dict[str, Span] = {}
    issues: list[Issue] = []
    notes: list[str] = []
    for record in records:
        document = documents.get(record.source_id)
        if document is None:
            continue

        def issue(field: str, message: str, record: Record = record) -> None:
            issues.append(Issue(record.file, record.path, record.id, field, message))

        resolved: Resolved | None = None
        try:
            resolved = resolve(document, record.locator)
        except LocatorError as exc:
            issue("locator", str(exc))
        if record.printed is None:
            continue
        try:
            span = find_printed(
                document, record.printed, resolved.places if resolved else [], occurrence=record.occurrence
            )
        except AmbiguousPrinted as exc:
            issue("occurrence", f"{record.printed!r} is {exc}")
            continue
        if span is None:
            where = f" {record.occurrence} times in the located place" if record.occurrence else ""
            issue("printed", f"{record.printed!r} does not occur{where} in {document.id}")
            continue
        spans[record.id] = span
        if span.variant:
            notes.append(
                f"{record.file}: {record.path}.printed ({record.id}): found only allowing {span.variant} differences"
            )
        if resolved is not None and not any(p.contains(span.start, span.end) for p in resolved.places):
            holder = _where(document, span)
            issue(
                "locator",
                f"{record.locator!r} does not hold {record.printed!r}; the text has it in {holder}",
            )
        elif resolved is not None and resolved.coarse:
            notes.append(
                f"{record.file}: {record.path}.locator ({record.id}): checked to the slide only: {resolved.coarse[0]!r}"
            )
    return spans, issues, notes


def _where(document: Document, span: Span) -> str:
    """The most specific place holding the span, for messages."""
    holders = [p for p in document.places() if p.contains(span.start, span.end)]
    if not holders:
        return f"characters {span.start}-{span.end} (no named place)"
    best = min(holders, key=lambda p: p.end - p.start)
    return best.label


# --- what `tall-evidence validate` and `tall-evidence resolve` run ----------------------------------------------


@dataclass
class Outcome:
    """The result of checking provenance: problems fail validation, notes are printed only."""

    problems: list[str]
    notes: list[str]
    spans: dict[str, Span]
    documents: dict[str, Document]
    texts_present: bool
    # Documents the registry names whose text is not in the texts directory: their spans cannot be
    # resolved, so `resolve` must not write a spans file without them.
    missing_texts: list[str] = field(default_factory=list)
    # Documents whose text is there but cannot be read (not a regular file, too large, not UTF-8, its
    # structure unreadable): no better than missing for `resolve`.
    unreadable_texts: list[str] = field(default_factory=list)
    # Documents whose text is not the one the registry names (its SHA-256 differs): a truncated
    # download or another version, whose spans would be resolved against the wrong words.
    mismatched_texts: list[str] = field(default_factory=list)


def verify(fixtures_dir: Path, sources_registry: Path, seeds_dir: Path | None, *, spans_file: Path) -> Outcome:
    """Check every locator and printed string against the texts if present, and the committed spans file.

    Without the texts (seeds_dir None, or not a directory), only the committed file is checked: it must
    cover every record with `printed`, and its checksums must be the registry's (a stale file names an
    older text).
    """
    records = list(iter_records(fixtures_dir))
    committed_docs, committed = read_spans(spans_file)
    registry = read_yaml_data(sources_registry, f"seeds/{sources_registry.name}", max_bytes=SPANS_FILE_LIMIT)
    registry_sha = {s["id"]: s.get("sha256") for s in registry.get("sources", [])}
    spans_label = spans_file.name
    problems: list[str] = []
    for doc_id, sha in committed_docs.items():
        if registry_sha.get(doc_id) != sha:
            stale = f"sha256 {sha[:12]}... is not the registry's (run `tall-evidence resolve`)"
            problems.append(f"{spans_label}: documents.{doc_id}: {stale}")
    if seeds_dir is None or not seeds_dir.is_dir():
        missing = [r for r in records if r.printed is not None and r.id not in committed]
        problems += [
            f"{spans_label}: spans.{r.id}: no span for {r.file}: {r.path}.printed (run `tall-evidence resolve`)"
            for r in missing
        ]
        return Outcome(
            problems,
            [
                f"texts not read (none named): locators checked only against {spans_label}"
                if seeds_dir is None
                else f"texts not found at {seeds_dir}: locators checked only against {spans_label}"
            ],
            committed,
            {},
            False,
        )
    documents = read_documents(seeds_dir, sources_registry, problems)
    missing_texts = [doc_id for doc_id in registry_sha if not os.path.lexists(seeds_dir / f"{doc_id}.txt")]
    problems += [
        f"{seeds_dir / doc_id}.txt: missing (the registry names this document; its text is not in {seeds_dir})"
        for doc_id in missing_texts
    ]
    mismatched = [
        doc_id for doc_id, document in documents.items() if registry_sha.get(doc_id) not in (None, document.sha256)
    ]
    problems += [
        f"{sources_registry.name}: {doc_id}.sha256: does not match the text in {seeds_dir}" for doc_id in mismatched
    ]
    spans, issues, notes = check(records, documents)
    problems += [str(issue) for issue in issues]
    if committed_docs or committed:
        for rid in sorted(set(spans) | set(committed)):
            new, old = spans.get(rid), committed.get(rid)
            if new is None and old is not None and old.source_id in missing_texts:
                continue  # named once above, as its document's missing text
            if (
                new is None
                or old is None
                or (new.source_id, new.start, new.end, new.context)
                != (
                    old.source_id,
                    old.start,
                    old.end,
                    old.context,
                )
            ):
                problems.append(f"{spans_label}: spans.{rid}: does not match the text (run `tall-evidence resolve`)")
    else:
        problems.append(f"{spans_label}: missing (run `tall-evidence resolve`)")
    unreadable = [doc_id for doc_id in registry_sha if doc_id not in documents and doc_id not in missing_texts]
    return Outcome(problems, notes, spans, documents, True, missing_texts, unreadable, mismatched)
