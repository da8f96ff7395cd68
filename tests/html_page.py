"""A small HTML reader for tests: the text inside elements marked with data-* attributes, and every tag."""

import re
from collections import defaultdict
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
MARKERS = ("data-figure-id", "data-study-id", "data-conflict-id", "data-source-id", "data-field", "data-status")


class HtmlPage(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._texts: dict[tuple[str, str], str] = defaultdict(str)
        self._open: list[list] = []  # [marker key, depth]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in VOID:
            return
        for entry in self._open:
            entry[1] += 1
        for marker in MARKERS:
            if attributes.get(marker) is not None:
                self._open.append([(marker, attributes[marker]), 1])
                self._texts[(marker, attributes[marker])] += ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        for entry in self._open:
            entry[1] -= 1
        self._open = [entry for entry in self._open if entry[1] > 0]

    def handle_data(self, data: str) -> None:
        for key, _ in self._open:
            self._texts[key] += data

    def text(self, marker: str, value: str) -> str:
        """Text inside the element with marker=value, white space collapsed; KeyError if absent."""
        if (marker, value) not in self._texts:
            raise KeyError(f"no element with {marker}={value!r}")
        return squash(self._texts[(marker, value)])

    def values(self, marker: str) -> list[str]:
        """Every value of a marker attribute, in document order."""
        return [value for (name, value) in self._texts if name == marker]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def assert_self_contained(page: HtmlPage) -> None:
    """Nothing the hardening CSP would block, nothing from another host."""
    for tag, attributes in page.tags:
        assert tag != "style", "a <style> block"
        assert "style" not in attributes, f"inline style on <{tag}>"
        assert not any(name.startswith("on") for name in attributes), f"event handler on <{tag}>"
        if tag == "script":
            assert (attributes.get("src") or "").startswith("/static/"), "inline or foreign script"
        if tag in {"link", "img", "iframe"}:
            url = attributes.get("href") or attributes.get("src") or ""
            assert url.startswith(("/static/", "data:")), f"<{tag}> loads {url}"
