"""The changes between releases as an Atom feed (RFC 4287): one entry per release, listing what it changed.

Built with ElementTree, so every id, value and URL is escaped by the serializer. Each changed
record links to its answer at both versions (`?version=`), which never change.
"""

import json
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from models.release import RecordChange, ReleaseInfo

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
ATOM_MEDIA_TYPE = "application/atom+xml"
# Where each type's record is read: figures and top-level records by their own path, the
# parts of a study (arms, interventions, findings) on their study's detail.
RECORD_PATHS = {
    "study": "/v1/studies/",
    "outcome": "/v1/outcomes/",
    "adverse_event": "/v1/adverse-events/",
    "epidemiology": "/v1/epidemiology/",
    "conflict": "/v1/conflicts/",
    "source": "/v1/sources/",
}
VALUE_CHARACTERS = 200  # a long before/after (a summary, say) is abridged in the feed; the API has it whole


@dataclass(frozen=True)
class ReleaseChanges:
    """One release and what it changed from the release before it (None for the earliest served)."""

    release: ReleaseInfo
    previous: str | None
    changes: list[RecordChange]


def record_path(change: RecordChange) -> str:
    """The path answering with the record: its own, or its study's (ids of a study's parts start with it)."""
    prefix = RECORD_PATHS.get(change.type)
    return f"{prefix}{change.id}" if prefix else f"/v1/studies/{change.id.split('.', 1)[0]}"


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_CHARACTERS else text[: VALUE_CHARACTERS - 1] + "…"


def _add(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _entry_content(entry: ElementTree.Element, base: str, item: ReleaseChanges) -> None:
    content = _add(entry, f"{{{ATOM_NAMESPACE}}}content", type="xhtml")
    div = _add(content, f"{{{XHTML_NAMESPACE}}}div")
    if item.previous is None:
        _add(div, f"{{{XHTML_NAMESPACE}}}p", "The earliest release served here: there is none before it to compare.")
        return
    if not item.changes:
        _add(div, f"{{{XHTML_NAMESPACE}}}p", f"No record changed since {item.previous}.")
        return
    listing = _add(div, f"{{{XHTML_NAMESPACE}}}ul")
    for change in item.changes:
        # The space before the links: 'changed' ran into 'as of ...' (session 12's probe).
        row = _add(listing, f"{{{XHTML_NAMESPACE}}}li", f"{change.type} {change.id} {change.change} ")
        path = base + record_path(change)
        for label, version in (("before", item.previous), ("after", item.release.version)):
            if (label == "before" and change.change == "added") or (label == "after" and change.change == "removed"):
                continue
            link = _add(row, f"{{{XHTML_NAMESPACE}}}a", f"as of {version}", href=f"{path}?version={version}")
            link.tail = " "
        if change.fields:
            fields = _add(row, f"{{{XHTML_NAMESPACE}}}ul")
            for field in change.fields:
                _add(
                    fields,
                    f"{{{XHTML_NAMESPACE}}}li",
                    f"{field.field}: {_shown(field.before)} → {_shown(field.after)}",
                )


def changes_feed(base: str, *, title: str, releases: list[ReleaseChanges]) -> bytes:
    """The feed, newest release first; base is the service's absolute URL (no trailing slash)."""
    ElementTree.register_namespace("", ATOM_NAMESPACE)
    feed = ElementTree.Element(f"{{{ATOM_NAMESPACE}}}feed")
    _add(feed, f"{{{ATOM_NAMESPACE}}}title", title)
    _add(feed, f"{{{ATOM_NAMESPACE}}}id", f"{base}/v1/changes.atom")
    _add(feed, f"{{{ATOM_NAMESPACE}}}link", rel="self", href=f"{base}/v1/changes.atom", type=ATOM_MEDIA_TYPE)
    _add(feed, f"{{{ATOM_NAMESPACE}}}link", rel="alternate", href=f"{base}/v1/releases", type="application/json")
    _add(feed, f"{{{ATOM_NAMESPACE}}}updated", max(item.release.built_at for item in releases))
    author = _add(feed, f"{{{ATOM_NAMESPACE}}}author")
    _add(author, f"{{{ATOM_NAMESPACE}}}name", "The T-ALL Evidence API contributors")
    for item in reversed(releases):
        version = item.release.version
        entry = _add(feed, f"{{{ATOM_NAMESPACE}}}entry")
        counted = f"{len(item.changes)} record(s) changed" if item.previous else "earliest release served"
        _add(entry, f"{{{ATOM_NAMESPACE}}}title", f"Dataset version {version}: {counted}")
        _add(entry, f"{{{ATOM_NAMESPACE}}}id", f"{base}/v1/meta?version={version}")
        _add(entry, f"{{{ATOM_NAMESPACE}}}updated", item.release.built_at)
        if item.previous is not None:
            href = f"{base}/v1/changes?from={item.previous}&to={version}"
            _add(entry, f"{{{ATOM_NAMESPACE}}}link", rel="alternate", href=href, type="application/json")
        _add(entry, f"{{{ATOM_NAMESPACE}}}link", rel="related", href=f"{base}/v1/meta?version={version}")
        _entry_content(entry, base, item)
    body: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
