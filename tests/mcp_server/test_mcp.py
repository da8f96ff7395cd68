"""The MCP server, reached as agents reach it: the SDK's own client over streamable HTTP (a real socket,
through every middleware layer) and over stdio (`tall-evidence mcp` as a subprocess)."""

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from api.settings import PROJECT_ROOT
from tests import launcher
from tests.claims.golden import GOLDEN, arguments, assert_golden
from tests.support import serving_in_thread

TOOLS = {"search_studies", "get_study", "find_figures", "compare", "check_claim", "cite"}
PROVENANCE = {"printed", "locator", "span_start", "span_end", "permalink", "source_id"}


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with serving_in_thread() as url:
        yield url


def run_client(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run the SDK's async client in a thread of its own: a test before this one in the same process
    may have left an event loop running in this thread (Playwright's sync API keeps one for the session)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def over_http(live_url: str, session: Callable[[Client], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with Client(f"{live_url}/mcp") as client:
            return await session(client)

    return run_client(run)


def over_stdio(session: Callable[[Client], Awaitable[Any]]) -> Any:
    params = StdioServerParameters(command=sys.executable, args=["-m", "api.cli", "mcp"], cwd=str(PROJECT_ROOT))

    async def run() -> Any:
        async with Client(params) as client:
            return await session(client)

    return run_client(run)


async def golden_answers(client: Client) -> dict[str, Any]:
    answers = {}
    for claim in GOLDEN:
        result = await client.call_tool("check_claim", arguments(claim))
        assert not result.is_error, result.content
        answers[claim["id"]] = result.structured_content
    return answers


def assert_golden_set(answers: dict[str, Any]) -> None:
    for claim in GOLDEN:
        assert_golden(claim, answers[claim["id"]])


def test_the_golden_claims_over_streamable_http(live_url: str) -> None:
    answers = over_http(live_url, golden_answers)
    assert_golden_set(answers)
    # The same answers as the REST endpoint, figure for figure.
    for claim in GOLDEN[:: len(GOLDEN) // 12]:
        rest = httpx.get(f"{live_url}/v1/claims/check", params=arguments(claim), timeout=30).json()
        assert answers[claim["id"]] == rest


def test_the_golden_claims_over_stdio(live_url: str) -> None:
    assert_golden_set(over_stdio(golden_answers))


def test_tools_are_read_only_described_and_bounded(live_url: str) -> None:
    async def session(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {t.name: t for t in over_http(live_url, session)}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.description and tool.output_schema is not None
    assert tools["search_studies"].input_schema["properties"]["limit"]["maximum"] == 25
    assert tools["find_figures"].input_schema["properties"]["limit"]["maximum"] == 50
    assert all("as printed by the document each names" in t.description for t in tools.values())


def test_every_tool_answers_with_provenance_and_the_dataset_version(live_url: str) -> None:
    version = httpx.get(f"{live_url}/v1/meta", timeout=30).json()["dataset_version"]

    async def session(client: Client) -> dict[str, Any]:
        calls = {
            "search_studies": {"q": "CD7", "limit": 2},
            "get_study": {"study_id": "rd13-01"},
            "find_figures": {"measure": "os", "limit": 3},
            "compare": {"measure": "cr"},
            "check_claim": {"measure": "cr", "value": 80, "study": "rd13-01"},
            "cite": {"figure_id": "rd13-01.cr-table"},
        }
        return {name: await client.call_tool(name, args) for name, args in calls.items()}

    results = over_http(live_url, session)
    for name, result in results.items():
        assert not result.is_error, (name, result.content)
        assert result.structured_content["dataset_version"] == version, name
        assert result.content[0].text, name
    assert len(results["search_studies"].structured_content["studies"]) == 2
    figures = results["find_figures"].structured_content["figures"]
    assert len(figures) == 3 and all(PROVENANCE <= set(f) for f in figures)
    assert all(f["printed"] in results["find_figures"].content[0].text for f in figures)
    study = results["get_study"].structured_content["study"]
    assert all(PROVENANCE <= set(o) for o in study["outcomes"])
    cited = results["cite"].structured_content
    assert cited["printed"] == "CR: 80%" and cited["permalink"].endswith("/v1/outcomes/rd13-01.cr-table")
    assert cited["permalink"] in cited["citation"]
    assert results["check_claim"].structured_content["verdict"] == "supported"


@pytest.mark.parametrize(
    ("tool", "args", "named"),
    [
        ("check_claim", {"value": 3}, "argument 'measure'"),
        ("check_claim", {"text": "hello"}, "argument 'text'"),
        ("check_claim", {"measure": "nonsense", "value": 3, "study": "rd13-01"}, "measure"),
        # Session 9's second probe: a misspelled argument was dropped, widening the check ("supported").
        ("check_claim", {"measure": "cr", "value": 74, "therapy_class": "car_t", "stdy": "nope"}, "'stdy'"),
        ("search_studies", {"diseese": "T-LBL"}, "Unknown argument(s) to search_studies: 'diseese'"),
        # The same probe: a count given as text in a form Python reads ('1_0' as 10) was taken.
        ("search_studies", {"limit": "1_0"}, "limit"),
        # Session 14's probe (GA8): an empty q was a search for no words, "0 studies match"; REST refuses q=.
        ("search_studies", {"q": ""}, "\nq\n  String should have at least 1 character"),
        ("find_figures", {"limit": "+1"}, "limit"),
        # Session 9's probe: JSON true was read as the number 1, and a verdict given.
        ("check_claim", {"measure": "cr", "value": True, "study": "rd13-01"}, "value"),
        ("get_study", {"study_id": "no-such-study"}, "argument 'study_id'"),
        ("find_figures", {"limit": 500}, "limit"),
        ("cite", {}, "argument 'figure_id'"),
        ("cite", {"figure_id": "rd13-01.no-such-figure"}, "no outcome or adverse-event figure with id"),
    ],
)
def test_bad_arguments_are_tool_errors_naming_the_argument(live_url: str, tool: str, args: dict, named: str) -> None:
    async def session(client: Client) -> Any:
        return await client.call_tool(tool, args)

    result = over_http(live_url, session)
    assert result.is_error
    assert named in result.content[0].text


def test_the_api_layers_let_mcp_through_and_still_refuse_writes_elsewhere(live_url: str) -> None:
    """POST reaches /mcp (with the security headers); every other path still refuses it; GET /mcp is no cache."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    answer = httpx.post(f"{live_url}/mcp", json=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert {t["name"] for t in answer.json()["result"]["tools"]} == TOOLS
    assert httpx.post(f"{live_url}/v1/studies", json=body, timeout=30).status_code == 405
    # No never-ending GET stream for a public server to keep open: 405, as the protocol allows.
    stream = httpx.get(f"{live_url}/mcp", headers={"Accept": "text/event-stream"}, timeout=30)
    assert stream.status_code == 405 and stream.headers["allow"] == "POST, OPTIONS" and "etag" not in stream.headers
    assert httpx.options(f"{live_url}/mcp", timeout=30).headers["allow"] == "POST, OPTIONS"
    assert httpx.put(f"{live_url}/mcp", timeout=30).headers["allow"] == "POST, OPTIONS"


def test_mcp_over_stdio_refuses_a_missing_database_file_in_one_line_on_stderr(tmp_path) -> None:
    done = launcher.run(["mcp", "--database", str(tmp_path / "missing.sqlite3")], env=os.environ, timeout=120)
    assert done.returncode == 1
    assert done.stdout == ""  # stdout is the protocol's channel
    assert done.stderr.startswith("mcp: ") and "missing.sqlite3" in done.stderr


def test_the_sdk_is_imported_on_the_first_mcp_request_not_when_the_app_is_made() -> None:
    """Most processes serving the API never answer /mcp; importing the SDK costs a quarter of a start-up."""
    import subprocess

    script = (
        "import sys; from api.main import create_app; create_app(); "
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'mcp_types'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_concurrent_first_requests_are_all_answered() -> None:
    """The SDK's server is started by whichever first POST arrives; the others wait for it, none fails."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    with serving_in_thread() as url:

        async def together() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=60) as client:
                return await asyncio.gather(*(client.post(f"{url}/mcp", json=body, headers=headers) for _ in range(6)))

        answers = run_client(together)
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert all({t["name"] for t in a.json()["result"]["tools"]} == TOOLS for a in answers)


# Session 12's probe (A4): REST matched enumerated values regardless of case, MCP refused them.
ANY_CASE_CALLS = [
    ("check_claim", {"measure": "CR", "study": "rd13-01", "value": "80", "unit": "PERCENT"}),
    ("check_claim", {"measure": "cr", "target_antigen": "cd7", "therapy_class": "CAR_T", "value": "74"}),
    ("find_figures", {"measure": "CR", "agent": "VENETOCLAX", "disease": "t-all"}),
    ("search_studies", {"disease": "t-lbl", "therapy_class": "Car_T"}),
]


def _canonical(arguments: dict[str, Any]) -> dict[str, Any]:
    words = {"CR": "cr", "PERCENT": "percent", "cd7": "CD7", "CAR_T": "car_t", "Car_T": "car_t"}
    words |= {"VENETOCLAX": "venetoclax", "t-all": "T-ALL", "t-lbl": "T-LBL"}
    return {key: words.get(value, value) for key, value in arguments.items()}


def test_enumerated_arguments_are_matched_regardless_of_case_as_over_rest(live_url: str) -> None:
    async def session(client: Client) -> Any:
        return [
            [await client.call_tool(tool, given) for given in (given_arguments, _canonical(given_arguments))]
            for tool, given_arguments in ANY_CASE_CALLS
        ]

    for answers in (over_http(live_url, session), over_stdio(session)):  # one stdio process for all
        for (tool, given), (any_case, canonical) in zip(ANY_CASE_CALLS, answers, strict=True):
            assert not canonical.is_error and not any_case.is_error, (tool, given, any_case.content)
            assert any_case.structured_content == canonical.structured_content, (tool, given)


def test_a_study_is_cited_with_its_documents_authors_as_a_figure_is(live_url: str) -> None:
    """Session 12's probe: a study's citation named its documents without their authors."""

    async def session(client: Client) -> Any:
        return await client.call_tool("cite", {"study_id": "rd13-01"})

    result = over_http(live_url, session)
    sources = result.structured_content["sources"]
    assert sources and all(s["authors"][0] in result.structured_content["citation"] for s in sources if s["authors"])


def test_every_adverse_event_figure_is_cited_as_an_outcome_figure_is(live_url: str) -> None:
    """The outside probe's FA8: cite refused an adverse-event figure's id ("no outcome figure"), though
    get_study lists those figures and each has a permalink to quote."""
    events = httpx.get(f"{live_url}/v1/adverse-events", params={"limit": 500}, timeout=30).json()["items"]
    assert "cd7-car-t-etp-case.crs-g3" in {e["id"] for e in events}

    async def session(client: Client) -> Any:
        return [await client.call_tool("cite", {"figure_id": e["id"]}) for e in events]

    for event, result in zip(events, over_http(live_url, session), strict=True):
        assert not result.is_error, (event["id"], result.content)
        cited = result.structured_content
        assert cited["kind"] == "figure"
        for field in ("id", "printed", "locator", "span_start", "span_end", "permalink"):
            assert cited[field] == event[field], (event["id"], field)
        assert cited["permalink"].endswith(f"/v1/adverse-events/{event['id']}")
        assert [s["id"] for s in cited["sources"]] == [event["source_id"]]
        assert cited["permalink"] in cited["citation"] and event["locator"] in cited["citation"]


def test_the_tools_take_the_values_the_lists_take_and_claims_refuse_alike(live_url: str) -> None:
    """Session 12's ninth probe (C11): time_point=none and subgroup=none/any were taken over REST and refused
    by the tools; a claim's time_point=none was taken over REST ("CR at none of 80%") and refused over MCP."""

    async def session(client: Client) -> Any:
        return [
            await client.call_tool("find_figures", {"measure": "cr", "time_point": "none", "limit": 50}),
            await client.call_tool("find_figures", {"measure": "cr", "subgroup": "none", "limit": 50}),
            await client.call_tool("compare", {"measure": "cr", "time_point": "none"}),
            await client.call_tool(
                "check_claim", {"measure": "cr", "study": "rd13-01", "value": 80, "time_point": "none"}
            ),
        ]

    no_time, whole, compared, claim = over_http(live_url, session)
    for params, result in (({"time_point": "none"}, no_time), ({"subgroup": "none"}, whole)):
        rest = httpx.get(f"{live_url}/v1/outcomes", params={"measure": "cr", "limit": 50, **params}).json()
        assert not result.is_error, result.content
        assert [f["id"] for f in result.structured_content["figures"]] == [f["id"] for f in rest["items"]]
    rest_rows = httpx.get(f"{live_url}/v1/comparison", params={"measure": "cr", "time_point": "none"}).json()["rows"]
    assert [r["outcome_id"] for r in compared.structured_content["rows"]] == [r["outcome_id"] for r in rest_rows]
    refused = httpx.get(
        f"{live_url}/v1/claims/check", params={"measure": "cr", "study": "rd13-01", "value": "80", "time_point": "none"}
    )
    assert claim.is_error and refused.status_code == 422
