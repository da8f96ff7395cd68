"""Issue 21 (second fresh probe), over a real socket: FHIR search honours a ?version= pin by POST as
by GET and keeps it in its paging links, and reports ignored parameters each once, at most
MAX_LISTED_PROBLEMS of them (a `_sort` of a thousand unknown keys was a thousand sentences, 130 KB).
Last probe: a POST _search body declared in another charset than UTF-8 (utf-16), or with no
Content-Type at all, was read as a UTF-8 form; it is now a 415 OperationOutcome.
"""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.render.problems import MAX_LISTED_PROBLEMS

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def version(http: httpx.Client) -> str:
    return str(http.get("/v1/meta").json()["dataset_version"])


def _links(bundle: dict[str, object]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}  # type: ignore[attr-defined]


def test_post_search_refuses_a_version_not_served_as_get_does(http: httpx.Client) -> None:
    by_get = http.get("/fhir/ResearchStudy?version=zzz")
    by_post = http.post("/fhir/ResearchStudy/_search?version=zzz", content="_count=1", headers=FORM)
    assert by_get.status_code == by_post.status_code == 404, by_post.text
    assert by_post.headers["content-type"].startswith("application/fhir+json")
    assert by_post.json()["resourceType"] == "OperationOutcome"
    assert "'zzz' is not served" in by_post.json()["issue"][0]["diagnostics"]


def test_post_search_honours_a_served_version(http: httpx.Client, version: str) -> None:
    pinned = http.post(f"/fhir/ResearchStudy/_search?version={version}", content="_count=2", headers=FORM)
    unpinned = http.post("/fhir/ResearchStudy/_search", content="_count=2", headers=FORM)
    assert pinned.status_code == 200, pinned.text
    assert [e["resource"]["id"] for e in pinned.json()["entry"]] == [
        e["resource"]["id"] for e in unpinned.json()["entry"]
    ]
    assert not any("version" in issue for issue in _ignored(pinned.json())), "taken, not ignored"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_pages_of_a_pinned_search_stay_pinned(http: httpx.Client, version: str, method: str) -> None:
    if method == "GET":
        bundle = http.get(f"/fhir/ResearchStudy?_count=2&_offset=2&version={version}").json()
    else:
        bundle = http.post(
            f"/fhir/ResearchStudy/_search?version={version}", content="_count=2&_offset=2", headers=FORM
        ).json()
    links = _links(bundle)
    assert {"self", "first", "previous", "next", "last"} <= set(links), links
    for relation, url in links.items():
        assert parse_qs(urlsplit(url).query).get("version") == [version], (relation, url)
    # And a link followed answers the next page of the same release.
    following = http.get(links["next"].replace(str(http.base_url).rstrip("/"), ""))
    assert following.status_code == 200, following.text
    assert _links(following.json())["next"] != links["next"]


def test_unpinned_pages_carry_no_pin(http: httpx.Client) -> None:
    links = _links(http.get("/fhir/ResearchStudy?_count=2").json())
    assert all("version" not in parse_qs(urlsplit(url).query) for url in links.values()), links


def _ignored(bundle: dict[str, object]) -> list[str]:
    """The diagnostics of the Bundle's OperationOutcome entry (the parameters ignored), if any."""
    entries: list[dict[str, dict[str, object]]] = bundle.get("entry", [])  # type: ignore[assignment]
    outcomes = [e["resource"] for e in entries if e["resource"]["resourceType"] == "OperationOutcome"]
    return [issue["diagnostics"] for outcome in outcomes for issue in outcome["issue"]]  # type: ignore[attr-defined]


def test_a_thousand_unknown_sort_keys_are_reported_once_each_and_capped(http: httpx.Client) -> None:
    repeated = http.get("/fhir/ResearchStudy?_count=1&_sort=" + ",".join(["a"] * 1000))
    assert repeated.status_code == 200
    (issue,) = _ignored(repeated.json())
    assert issue.startswith("_sort by 'a' is not supported"), issue
    many = http.get("/fhir/ResearchStudy?_count=1&_sort=" + ",".join(f"k{i}" for i in range(400)))
    issues = _ignored(many.json())
    assert len(issues) == MAX_LISTED_PROBLEMS + 1, len(issues)
    assert issues[-1] == f"{400 - MAX_LISTED_PROBLEMS} more parameter(s) or value(s) ignored."
    assert len(many.content) < 16_000, len(many.content)


def test_strict_handling_lists_them_capped_too(http: httpx.Client) -> None:
    refused = http.get(
        "/fhir/ResearchStudy?_sort=" + ",".join(f"k{i}" for i in range(400)), headers={"Prefer": "handling=strict"}
    )
    assert refused.status_code == 400
    diagnostics = refused.json()["issue"][0]["diagnostics"]
    assert diagnostics.count("is not supported") == MAX_LISTED_PROBLEMS, diagnostics
    assert f"{400 - MAX_LISTED_PROBLEMS} more" in diagnostics


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"},
        {"Content-Type": 'application/x-www-form-urlencoded;charset="ISO-8859-1"'},
        {},  # a body, and no Content-Type
        {"Content-Type": "text/plain"},
    ],
    ids=["utf-16", "latin-1 quoted", "none", "text/plain"],
)
def test_post_search_refuses_a_body_not_declared_a_utf8_form(http: httpx.Client, headers: dict[str, str]) -> None:
    response = http.post("/fhir/ResearchStudy/_search", content=b"_count=1", headers=headers)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-supported"


@pytest.mark.parametrize(
    ("headers", "content"),
    [
        ({"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}, b"_offset=1"),
        ({"Content-Type": 'application/x-www-form-urlencoded; charset="us-ascii"'}, b"_offset=1"),
        ({}, b""),  # every parameter in the URL and no body: no Content-Type needed
    ],
    ids=["utf-8", "us-ascii quoted", "no body"],
)
def test_post_search_takes_a_utf8_form_or_no_body(http: httpx.Client, headers: dict[str, str], content: bytes) -> None:
    response = http.post("/fhir/ResearchStudy/_search?_count=1", content=content, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "Bundle"


# Session 7's probe asked whether `_count=` should be refused. FHIR search 3.2.1.3 says "Empty
# parameters are not an error - they are just ignored by the server": ignored, under
# `Prefer: handling=strict` too (it was a 400 there), and left out of the links, which name the
# search as it was run (`title=` stayed in them).
@pytest.mark.parametrize("query", ["_count=", "_offset=", "study=", "_sort=", "_count=&study="])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_an_empty_parameter_is_ignored_and_left_out_of_the_links(http: httpx.Client, query: str, strict: bool) -> None:
    headers = {"Prefer": "handling=strict"} if strict else {}
    plain = http.get("/fhir/ResearchStudy").json()
    response = http.get(f"/fhir/ResearchStudy?{query}", headers=headers)
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"] == [
        e["resource"]["id"] for e in plain["entry"]
    ]
    assert _links(bundle) == _links(plain), "the links name the search as run, without the empty parameter"
    said = " ".join(_ignored(bundle))
    for name in (pair.split("=")[0] for pair in query.split("&")):
        assert f"{name} has no value" in said, said


def test_an_empty_parameter_in_a_post_search_body_is_ignored_under_strict_handling(http: httpx.Client) -> None:
    headers = {**FORM, "Prefer": "handling=strict"}
    response = http.post("/fhir/ResearchStudy/_search", content="_count=&_offset=", headers=headers)
    assert response.status_code == 200, response.text
    assert _links(response.json()) == _links(http.get("/fhir/ResearchStudy").json())


# Session 7's probe (low): an ignored parameter stayed in the links (`_id:not=...` in `self`),
# which FHIR clients read to learn what the search used.
@pytest.mark.parametrize("query", ["_id:not=ns7car-t", "colour=red", "_summary=text", "study.title=x&colour=red"])
def test_an_ignored_parameter_is_left_out_of_the_links(http: httpx.Client, query: str) -> None:
    bundle = http.get(f"/fhir/ResearchStudy?{query}").json()
    assert _ignored(bundle), bundle  # reported as ignored
    assert _links(bundle) == _links(http.get("/fhir/ResearchStudy").json())


def test_parameters_used_stay_in_the_links(http: httpx.Client) -> None:
    links = _links(http.get("/fhir/ResearchStudy?_id=ns7car-t&_sort=-title&_summary=true&colour=red").json())
    assert "_id=ns7car-t" in links["self"] and "_sort=-title" in links["self"] and "_summary=true" in links["self"]
    assert "colour" not in links["self"]


def _ids(bundle: dict[str, object]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]  # type: ignore[attr-defined, index]


def test_a_repeated_search_parameter_is_anded_and_its_comma_values_ored(http: httpx.Client) -> None:
    # Third probe: `_id=a&_id=b` answered both (ORed); FHIR search ANDs the repeats of a parameter.
    a, b = _ids(http.get("/fhir/ResearchStudy?_count=2").json())
    assert http.get(f"/fhir/ResearchStudy?_id={a}&_id={b}").json()["total"] == 0
    assert sorted(_ids(http.get(f"/fhir/ResearchStudy?_id={a},{b}").json())) == sorted([a, b])
    both = http.get(f"/fhir/ResearchStudy?_id={a}&_id={b},{a}").json()
    assert (both["total"], _ids(both)) == (1, [a])
    # A query string and a form body are one search: their repeats are ANDed too.
    assert http.post(f"/fhir/ResearchStudy/_search?_id={a}", content=f"_id={b}", headers=FORM).json()["total"] == 0
    posted = http.post(f"/fhir/ResearchStudy/_search?_id={a}", content=f"_id={a},{b}", headers=FORM).json()
    assert _ids(posted) == [a]


def test_each_repeat_of_a_search_parameter_narrows_evidence(http: httpx.Client) -> None:
    def found(query: str) -> set[str]:
        return set(_ids(http.get(f"/fhir/Evidence?{query}&_count=500").json()))

    cr, os_ = found("measure=cr"), found("measure=os")
    assert cr - os_ and os_ - cr, "the curated data has Evidence of CR and of OS apart"
    assert found("measure=cr&measure=os") == cr & os_
    assert found("measure=cr,os") == cr | os_
    study = _ids(http.get("/fhir/ResearchStudy?_count=1").json())[0]
    assert found(f"study={study}&measure=cr&measure=cr,os") == found(f"study={study}") & cr
