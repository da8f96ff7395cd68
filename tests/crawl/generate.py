"""Build tests/crawl/requests.json: ``python -m tests.crawl.generate`` (run from the project root).

Ids and enum values are taken from the API itself (its list endpoints and /openapi.json) at the
time of generation; the list is then committed as data and does not follow later changes of code
or data. Regenerate only to widen the crawl, then re-record (tests.crawl.record).
"""

import json
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.crawl.replay import REQUESTS_FILE

RESOURCES = {  # list path -> detail path prefix
    "/v1/studies": "/v1/studies/",
    "/v1/outcomes": "/v1/outcomes/",
    "/v1/adverse-events": "/v1/adverse-events/",
    "/v1/sources": "/v1/sources/",
    "/v1/conflicts": "/v1/conflicts/",
    "/v1/epidemiology": "/v1/epidemiology/",
}
ACCEPTS = [
    "application/json",
    "text/csv",
    "application/x-ndjson",
    "text/html",
    "*/*",
    "text/csv;q=0.9, application/json;q=0.5",
    "application/json;q=0.1, text/csv",
    "application/xml",
]
ORIGIN = "https://example.org"


def url(path: str, params: list[tuple[str, Any]] | None = None) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def get(u: str, **headers: str) -> dict[str, Any]:
    return {"method": "GET", "url": u, "headers": headers}


def all_ids(client: TestClient, path: str) -> list[str]:
    ids: list[str] = []
    offset = 0
    while True:
        page = client.get(path, params={"limit": 100, "offset": offset}).json()
        items = page["items"] if isinstance(page, dict) else page
        ids += [item["id"] for item in items]
        if len(items) < 100:
            return ids
        offset += 100


def build(client: TestClient) -> list[dict[str, Any]]:
    spec = client.get("/openapi.json").json()
    enums = {name: s["enum"] for name, s in spec["components"]["schemas"].items() if "enum" in s}
    ids = {path: all_ids(client, path) for path in RESOURCES}
    out: list[dict[str, Any]] = []

    # Service, docs, static files.
    for u in ["/health", "/v1/meta", "/openapi.json", "/docs", "/redoc", "/embed/labels.json"]:
        out.append(get(u))
    for u in [
        "/static/favicon.svg",
        "/static/embed.css",
        "/static/embed-frame.js",
        "/static/tall-evidence.js",
        "/static/docs/swagger-init.js",
        "/static/docs/redoc-init.js",
        "/static/docs/docs.css",
        "/static/vendor/VERSIONS",
        "/static/nope.js",
        "/static/../api/main.py",
    ]:
        out.append(get(u))

    # Lists: formats, Accept, paging, sorts, filters.
    for n, path in enumerate(RESOURCES):
        main_resource = n < 2  # studies and outcomes get the full set; the rest a sample
        out.append(get(path))
        for fmt in ["json", "csv", "ndjson", "xml"]:
            out.append(get(url(path, [("format", fmt)])))
        for accept in ACCEPTS if main_resource else ACCEPTS[1:4]:
            out.append(get(path, Accept=accept))
        for params in [
            [("limit", 1)],
            [("limit", 2), ("offset", 1)],
            [("limit", 0)],
            [("offset", 10_000)],
            [("limit", -1)],
            [("limit", "x")],
            [("offset", -3)],
            [("limit", 100_000)],
            [("unknown", "1")],
            [("format", "csv"), ("limit", 3), ("offset", 2)],
        ][: 10 if main_resource else 5]:
            out.append(get(url(path, params)))
        out.append({"method": "HEAD", "url": path, "headers": {}})
    for sort in enums["StudySort"] + ["bogus"]:
        out.append(get(url("/v1/studies", [("sort", sort)])))
    for sort in enums["OutcomeSort"] + ["bogus"]:
        out.append(get(url("/v1/outcomes", [("sort", sort), ("limit", 20)])))
    for sort in enums["AdverseEventSort"] + ["bogus"]:
        out.append(get(url("/v1/adverse-events", [("sort", sort), ("limit", 20)])))
    study_filters: list[list[tuple[str, Any]]] = []
    for name, enum in [
        ("disease", "Disease"),
        ("setting", "Setting"),
        ("age_group", "AgeGroup"),
        ("design", "Design"),
        ("phase", "Phase"),
        ("therapy_class", "TherapyClass"),
        ("target_antigen", "Antigen"),
        ("cell_source", "CellSource"),
        ("fratricide_strategy", "FratricideStrategy"),
    ]:
        study_filters += [[(name, v)] for v in enums[enum][:4]]
    study_filters += [[("agent", a)] for a in enums["Agent"][:4]]
    study_filters += [
        [("disease", "T-ALL"), ("disease", "T-LBL")],
        [("year", 2020)],
        [("year", 2023), ("year", 2024)],
        [("min_patients", 10)],
        [("min_patients", 0)],
        [("min_patients", -1)],
        [("age", 12)],
        [("age", 40.5)],
        [("age", "old")],
        [("q", "CD7")],
        [("q", "nelarabine")],
        [("q", "")],
        [("q", "CAR-T"), ("sort", "relevance")],
        [("registry_id", "NCT00000000")],
        [("source_id", ids["/v1/sources"][0])],
        [("disease", "nope")],
        [("therapy_class", "car_t"), ("format", "csv")],
        [("phase", "II"), ("format", "ndjson")],
    ]
    for params in study_filters:
        out.append(get(url("/v1/studies", params)))
    for params in study_filters[::7]:
        out.append(get(url("/v1/studies/facets", params)))
        out.append(get(url("/embed/table", params)))
    first_study = ids["/v1/studies"][0]
    for params in [[("measure", m)] for m in enums["Measure"][::3]] + [
        [("subgroup", "none")],
        [("subgroup", "any")],
        [("subgroup", "etp")],
        [("study_id", first_study)],
        [("time_point", "nope")],
        [("measure", "bogus")],
        [("disease", "T-LBL"), ("format", "csv")],
    ]:
        out.append(get(url("/v1/outcomes", params)))
    for params in [[("term", t)] for t in enums["AdverseEventTerm"][::4]] + [
        [("min_grade", 3)],
        [("min_grade", 9)],
        [("grading_system", "ctcae")],
        [("study_id", first_study)],
        [("term", "bogus")],
        [("min_grade", "x")],
    ]:
        out.append(get(url("/v1/adverse-events", params)))
    for path in ["/v1/studies/facets", "/v1/outcomes/facets", "/v1/adverse-events/facets"]:
        for params in [[], [("disease", "T-ALL")], [("q", "CD7")], [("bogus", "1")], [("age", "x")]]:
            out.append(get(url(path, params)))

    # Details for every id, plus 404s and odd ids.
    for path, prefix in RESOURCES.items():
        for ident in ids[path]:
            out.append(get(prefix + ident))
        out.append(get(prefix + "does-not-exist"))
        out.append(get(prefix + ids[path][0], Accept="text/csv"))
    out.append(get("/v1/studies/" + "x" * 300))
    out.append(get("/v1/nothing-here"))
    out.append(get("/"))

    # Batch.
    out += [
        get(url("/v1/studies/batch", [("id", i) for i in ids["/v1/studies"][:3]])),
        get(url("/v1/studies/batch", [("id", ids["/v1/studies"][0]), ("id", "missing")])),
    ]
    out += [get("/v1/studies/batch"), get(url("/v1/studies/batch", [("id", i) for i in ids["/v1/studies"]]))]

    # Comparison for every measure, as JSON, CSV and SVG.
    for measure in enums["Measure"]:
        out.append(get(url("/v1/comparison", [("measure", measure)])))
        out.append(get(url("/v1/comparison", [("measure", measure), ("format", "csv")])))
        out.append(get(url("/v1/comparison.svg", [("measure", measure)])))
    out += [
        get("/v1/comparison"),
        get(url("/v1/comparison", [("measure", "bogus")])),
        get(url("/v1/comparison", [("measure", "os"), ("time_point", "24 months")])),
        get(url("/v1/comparison", [("measure", "cr"), ("subgroup", "none"), ("disease", "T-ALL")])),
        get(url("/v1/comparison", [("measure", "cr")]), Accept="text/csv"),
        get(url("/v1/comparison", [("measure", "cr"), ("format", "ndjson")])),
        get(url("/v1/comparison.svg", [("measure", "cr"), ("therapy_class", "car_t")])),
        get("/v1/comparison.svg"),
    ]

    # Embeds.
    for ident in ids["/v1/studies"][:10]:
        out.append(get("/embed/studies/" + ident))
    out += [get("/embed/studies/missing"), get("/embed/table"), get(url("/embed/table", [("bogus", "1")]))]

    # Dataset.
    out += [
        get("/v1/dataset"),
        get(url("/v1/dataset", [("format", "json")])),
        get(url("/v1/dataset", [("format", "csv")])),
        get(url("/v1/dataset", [("format", "xml")])),
        {"method": "HEAD", "url": "/v1/dataset", "headers": {}},
    ]

    # Conditional requests: If-None-Match with the tag an earlier response of this crawl got.
    for target in [
        "/v1/meta",
        "/v1/studies",
        url("/v1/studies", [("format", "csv")]),
        "/static/favicon.svg",
        "/v1/studies/" + first_study,
        url("/v1/comparison", [("measure", "cr")]),
    ]:
        out.append(get(target))
        out.append({"method": "GET", "url": target, "headers": {}, "if_none_match_from": len(out) - 1})
    out += [
        get("/v1/meta", **{"If-None-Match": '"stale"'}),
        get("/v1/meta", **{"If-None-Match": "*"}),
        get("/v1/studies", Accept="text/csv", **{"If-None-Match": '"stale", W/"other"'}),
    ]

    # CORS: simple requests and preflights.
    for path in ["/v1/studies", "/v1/meta", "/embed/table"]:
        out.append(get(path, Origin=ORIGIN))
        out.append(
            {"method": "OPTIONS", "url": path, "headers": {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}}
        )
    out += [
        {
            "method": "OPTIONS",
            "url": "/v1/studies",
            "headers": {
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "If-None-Match, Accept",
            },
        },
        {
            "method": "OPTIONS",
            "url": "/v1/studies",
            "headers": {"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"},
        },
        {"method": "OPTIONS", "url": "/v1/studies", "headers": {}},
        {"method": "POST", "url": "/v1/studies", "headers": {}},
        {"method": "DELETE", "url": "/v1/studies/" + first_study, "headers": {"Origin": ORIGIN}},
    ]
    return out


def main() -> None:
    with TestClient(create_app(Settings())) as client:
        requests = build(client)
    REQUESTS_FILE.write_text(json.dumps(requests, indent=1) + "\n")
    print(f"wrote {len(requests)} requests to {REQUESTS_FILE}")


if __name__ == "__main__":
    main()
