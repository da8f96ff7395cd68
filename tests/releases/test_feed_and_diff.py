"""The Atom feed of changes (RFC 4287) and `tall-evidence diff`, against the same two builds."""

import json
from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
from fastapi.testclient import TestClient

from tests.releases.conftest import TwoBuilds
from tests.support import run_cli

ATOM = "{http://www.w3.org/2005/Atom}"


def _rfc3339(text: str | None) -> datetime:
    assert text is not None
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, f"{text}: an Atom date needs its offset"
    return moment


def test_the_feed_is_valid_atom(both: TestClient, two_builds: TwoBuilds) -> None:
    response = both.get("/v1/changes.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml"
    feed = ElementTree.fromstring(response.content)  # well-formed XML, or this raises
    assert feed.tag == f"{ATOM}feed"
    # RFC 4287 4.1.1: a feed has exactly one id, title and updated, and an author (here, the feed's).
    for name in ("id", "title", "updated", "author"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    _rfc3339(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2  # one per release
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        _rfc3339(entry.findtext(f"{ATOM}updated"))
        # 4.1.1.1: an entry without a content element needs an alternate link; ours has content.
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "xhtml"
        assert content.find("{http://www.w3.org/1999/xhtml}div") is not None  # 3.1.1.3: one xhtml div
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"


def test_the_newest_entry_names_the_change_and_links_both_versions(both: TestClient, two_builds: TwoBuilds) -> None:
    feed = feedparser.parse(both.get("/v1/changes.atom").content)
    newest = feed.entries[0]
    assert two_builds.new_version in newest.title and "1 record" in newest.title
    text = newest.content[0].value
    assert two_builds.study_id in text and "title" in text and two_builds.new_title in text
    # Session 12's probe: 'changed' ran into the first link's words ('changedas of ...').
    words = "".join(ElementTree.fromstring(f"<r>{text}</r>").itertext())
    assert "changed as of" in words and "changedas of" not in words, words
    hrefs = [link for link in ElementTree.fromstring(f"<r>{text}</r>").iter() if link.get("href")]
    titles = {}
    for link in hrefs:
        url = urlsplit(link.get("href", ""))
        titles[url.query] = both.get(f"{url.path}?{url.query}").json()["title"]
    assert titles == {
        f"version={two_builds.old_version}": two_builds.old_title,
        f"version={two_builds.new_version}": two_builds.new_title,
    }
    assert "earliest" in feed.entries[1].title


def test_diff_prints_what_changes_answers(both: TestClient, two_builds: TwoBuilds) -> None:
    done = run_cli("diff", str(two_builds.old), str(two_builds.new))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == both.get("/v1/changes").json()


def test_diff_refuses_a_file_that_is_not_a_build(two_builds: TwoBuilds) -> None:
    done = run_cli("diff", str(two_builds.old), str(two_builds.old.with_name("missing.sqlite3")))
    assert done.returncode == 1
    assert "missing.sqlite3" in done.stderr and "Traceback" not in done.stderr
