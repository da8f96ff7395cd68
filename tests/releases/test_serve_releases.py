"""The issue's end-to-end check, over a real socket: `tall-evidence serve --database OLD --database NEW`.

Two builds of the fixtures differing by one field, served together by two worker processes
(which receive the earlier release through the environment): both in /v1/releases, one item
with one field in /v1/changes, the old answer under ?version= and the new one without, and
an Atom entry naming the change.
"""

import feedparser
import httpx

from tests.releases.conftest import TwoBuilds
from tests.support import running


def test_serving_two_builds_side_by_side(two_builds: TwoBuilds) -> None:
    with running("--database", str(two_builds.old), "--database", str(two_builds.new), "--workers", "2") as server:
        with httpx.Client(base_url=server.base, timeout=30) as http:
            releases = http.get("/v1/releases").json()["releases"]
            assert [(r["version"], r["current"]) for r in releases] == [
                (two_builds.old_version, False),
                (two_builds.new_version, True),
            ]

            changes = http.get("/v1/changes").json()["changes"]
            assert len(changes) == 1 and changes[0]["id"] == two_builds.study_id
            assert changes[0]["fields"] == [
                {"field": "title", "before": two_builds.old_title, "after": two_builds.new_title}
            ]

            study = f"/v1/studies/{two_builds.study_id}"
            assert http.get(f"{study}?version={two_builds.old_version}").json()["title"] == two_builds.old_title
            assert http.get(study).json()["title"] == two_builds.new_title
            # Every worker answers both: the earlier release reached each through the environment.
            for _ in range(6):
                with httpx.Client(base_url=server.base, timeout=30) as fresh:
                    pinned = fresh.get(f"/v1/meta?version={two_builds.old_version}")
                    assert pinned.json()["dataset_version"] == two_builds.old_version

            unknown = http.get("/v1/studies?version=ffffffffffffffff")
            assert unknown.status_code == 404
            assert two_builds.old_version in unknown.json()["detail"]

            feed = feedparser.parse(http.get("/v1/changes.atom").content)
            assert not feed.bozo
            newest = feed.entries[0]
            assert two_builds.new_version in newest.title
            assert two_builds.study_id in newest.content[0].value and "title:" in newest.content[0].value
