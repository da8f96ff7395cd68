"""The FHIR search index on a small dataset made for the test: which resources each search parameter
matches (docs: the FHIR face's search parameters), and how _sort orders them, checked without a server.

Two studies share a source; one study id has an underscore, so its FHIR form differs; a third source
adds a figure to the comparison that is not pooled (it states no time point; the pool is at 2 years).
"""

from typing import Any

import pytest

from api.fhir.elements import Urls
from api.fhir.search_index import FhirIndex, build_index, time_names
from api.queries.comparison import pool_random_effects
from models.adverse_event import AdverseEventPublic
from models.arm import ArmPublic
from models.comparison import Comparison, ComparisonRow
from models.conflict import ConflictMember, ConflictPublic
from models.enums import AdverseEventTerm, ConflictKind, Design, Disease, Measure, Setting, SourceKind, Subgroup
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study import ReportPublic
from models.study_views import StudyDetail
from tests.fhir_checks import pooled_row


def _source(source_id: str, title: str, *, year: int | None, published: str | None = None) -> SourcePublic:
    return SourcePublic(
        id=source_id, title=title, kind=SourceKind.letter, year=year, published=published, sha256="0" * 64, summary="s"
    )


def _outcome(study_id: str, local: str, source_id: str, **fields: Any) -> OutcomePublic:
    values: dict[str, Any] = {
        "id": f"{study_id}.{local}",
        "study_id": study_id,
        "source_id": source_id,
        "locator": "Text",
        "printed": "8/10",
        "measure": Measure.cr,
        "value": 80.0,
        "numerator": 8,
        "denominator": 10,
        "permalink": f"http://127.0.0.1:8000/v1/outcomes/{study_id}.{local}",
    }
    return OutcomePublic.model_validate(values | fields)


def _study(
    study_id: str, title: str, source_ids: list[str], outcomes: list[OutcomePublic], **parts: Any
) -> StudyDetail:
    return StudyDetail(
        id=study_id,
        title=title,
        summary="s",
        design=Design.single_arm_trial,
        setting=Setting.relapsed_refractory,
        diseases=[Disease.t_all],
        source_id=source_ids[0],
        locator="Abstract",
        source_ids=source_ids,
        outcomes=outcomes,
        **({"arms": [], "reports": [], "adverse_events": [], "conflicts": []} | parts),
    )


def _row(outcome: OutcomePublic, *, pooled: bool) -> ComparisonRow:
    return pooled_row(outcome, study_title="t", label=outcome.id, pooled=pooled)


def _event(study_id: str, source_id: str) -> AdverseEventPublic:
    return AdverseEventPublic(
        id=f"{study_id}.crs",
        study_id=study_id,
        source_id=source_id,
        locator="Text",
        printed="2 of 10",
        term=AdverseEventTerm.crs,
        patients=2,
        at_risk=10,
        permalink=f"http://127.0.0.1:8000/v1/adverse-events/{study_id}.crs",
    )


@pytest.fixture  # per test: mutation testing maps a module-scoped build to the first test only
def index() -> FhirIndex:
    a_cr = _outcome("study-a", "cr", "001_abc", arm_id="study-a.arm-1", time_point="2y")
    a_os = _outcome(
        "study-a",
        "os-2y",
        "002_def",
        measure=Measure.os,
        time_point="2y",
        numerator=None,
        denominator=None,
        value=60.0,
        subgroup=Subgroup.t_lbl,
    )
    b_cr = _outcome("study_b", "cr", "002_def", numerator=3, denominator=12, value=25.0, time_point="2y")
    b_late = _outcome("study_b", "cr-late", "003_ghi", numerator=5, denominator=9, value=55.6)
    study_a = _study(
        "study-a",
        "Beta study",
        ["001_abc", "002_def"],
        [a_cr, a_os],
        arms=[ArmPublic(id="study-a.arm-1", label="Arm one", description="Drug X")],
        reports=[
            ReportPublic(id="study-a.letter", study_id="study-a", source_id="001_abc", locator="Title", year=2019)
        ],
        adverse_events=[_event("study-a", "002_def")],
    )
    study_b = _study("study_b", "alpha study", ["002_def", "003_ghi"], [b_cr, b_late])
    comparison = Comparison(
        measure=Measure.cr,
        rows=[_row(a_cr, pooled=True), _row(b_cr, pooled=True), _row(b_late, pooled=False)],
        pooled=pool_random_effects([(8, 10), (3, 12)]).model_copy(update={"time_point": "2y"}),
        excluded=[],
        dataset_version="v",
    )
    sources = [
        _source("001_abc", "Zeta letter", year=2024, published="2024-03-05"),
        _source("002_def", "gamma review", year=2021),
        _source("003_ghi", "Eta talk", year=2025),
    ]
    return build_index(
        Urls("https://example.org/fhir"),
        studies=[study_a, study_b],
        sources=sources,
        comparisons=[comparison],
        intervals={},
        built_at="2024-01-01",
    )


def _ids(resources: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in resources]


GROUPS_OF_A = ["group-study-a", "group-study-a-in-t-lbl", "group-study-a.arm-1"]
VARIABLES_OF_A = [
    "adverse-event-cytokine-release-syndrome",
    "measure-cr",
    "measure-cr-at-2y",
    "measure-os",
    "measure-os-at-2y",
]
POOL = "comparison-cr-at-2y"


@pytest.mark.parametrize(
    ("kind", "criteria", "expected"),
    [
        # study: resources about the study, by our id or its FHIR id.
        ("Evidence", [("study", ["study_b"])], ["study-b.cr", "study-b.cr-late", POOL]),
        ("Evidence", [("study", ["study-b"])], ["study-b.cr", "study-b.cr-late", POOL]),
        ("Evidence", [("study", ["study-a"])], ["study-a.cr", "study-a.crs", "study-a.os-2y", POOL]),
        ("ResearchStudy", [("study", ["study_b"])], ["study-b"]),
        ("Group", [("study", ["study-a"])], GROUPS_OF_A),
        ("Group", [("study", ["study_b"])], ["group-study-b"]),
        ("Citation", [("study", ["study_b"])], ["002-def", "003-ghi"]),
        ("Citation", [("study", ["study-a"])], ["001-abc", "002-def", "study-a.letter"]),
        ("EvidenceVariable", [("study", ["study-a"])], VARIABLES_OF_A),
        ("EvidenceVariable", [("study", ["study_b"])], ["measure-cr", "measure-cr-at-2y"]),
        # measure: Evidence, ResearchStudy and EvidenceVariable about it.
        ("Evidence", [("measure", ["cr"])], ["study-a.cr", "study-b.cr", "study-b.cr-late", POOL]),
        ("Evidence", [("measure", ["os"])], ["study-a.os-2y"]),
        ("ResearchStudy", [("measure", ["os"])], ["study-a"]),
        ("ResearchStudy", [("measure", ["cr"])], ["study-a", "study-b"]),
        ("EvidenceVariable", [("measure", ["os"])], ["measure-os", "measure-os-at-2y"]),
        ("Group", [("measure", ["cr"])], []),
        # source: resources drawn from the document, by our id or its FHIR id; the pooled Evidence
        # from the documents of its pooled rows only.
        ("Evidence", [("source", ["002_def"])], ["study-a.crs", "study-a.os-2y", "study-b.cr", POOL]),
        ("Evidence", [("source", ["003-ghi"])], ["study-b.cr-late"]),
        ("Evidence", [("source", ["001-abc"])], ["study-a.cr", POOL]),
        ("ResearchStudy", [("source", ["001_abc"])], ["study-a"]),
        ("ResearchStudy", [("source", ["003_ghi"])], ["study-b"]),
        ("Citation", [("source", ["001_abc"])], ["001-abc", "study-a.letter"]),
        ("Group", [("source", ["002-def"])], [*GROUPS_OF_A, "group-study-b"]),
        ("EvidenceVariable", [("source", ["001_abc"])], ["measure-cr", "measure-cr-at-2y"]),
        ("EvidenceVariable", [("source", ["002_def"])], VARIABLES_OF_A),
        ("EvidenceVariable", [("source", ["003_ghi"])], ["measure-cr"]),
        # _id, and the definitions, which no other parameter matches.
        ("Citation", [("_id", ["002-def", "003-ghi"])], ["002-def", "003-ghi"]),
        ("StructureDefinition", [], ["recorded-conflict", "source-figure"]),
        ("CodeSystem", [], ["adverse-event-term", "measure"]),
        ("NamingSystem", [("_id", ["source-document"])], ["source-document"]),
        ("StructureDefinition", [("study", ["study-a"])], []),
        # Alternatives of one parameter: any; several parameters, or one given twice: all.
        ("ResearchStudy", [("measure", ["os", "cr"])], ["study-a", "study-b"]),
        ("Evidence", [("measure", ["cr"]), ("source", ["002_def"])], ["study-b.cr", POOL]),
        ("Evidence", [("source", ["001_abc"]), ("source", ["002_def"])], [POOL]),
        ("Evidence", [("study", ["study-a"]), ("study", ["study_b"])], [POOL]),
        ("Evidence", [("measure", ["dfs"])], []),
    ],
)
def test_each_search_parameter_matches_exactly_the_resources_about_it(
    index: FhirIndex, kind: str, criteria: list[tuple[str, list[str]]], expected: list[str]
) -> None:
    # Without _sort, a search answers in id order.
    assert _ids(index.search(kind, criteria)) == sorted(expected)


@pytest.mark.parametrize(
    ("kind", "sort", "expected"),
    [
        # The date of the document a resource is drawn from: a study's latest, a report's year.
        ("Citation", [("date", False)], ["study-a.letter", "002-def", "001-abc", "003-ghi"]),
        ("Citation", [("date", True)], ["003-ghi", "001-abc", "002-def", "study-a.letter"]),
        ("ResearchStudy", [("date", False)], ["study-a", "study-b"]),
        ("ResearchStudy", [("date", True)], ["study-b", "study-a"]),
        # A figure's document; the pooled Evidence's latest pooled document (2024-03-05, not 2025).
        (
            "Evidence",
            [("date", False)],
            ["study-a.crs", "study-a.os-2y", "study-b.cr", POOL, "study-a.cr", "study-b.cr-late"],
        ),
        # Titles regardless of case: 'alpha study' before 'Beta study'.
        ("ResearchStudy", [("title", False)], ["study-b", "study-a"]),
        ("ResearchStudy", [("title", True)], ["study-a", "study-b"]),
        ("Citation", [("title", False)], ["003-ghi", "002-def", "study-a.letter", "001-abc"]),
        ("ResearchStudy", [("_id", True)], ["study-b", "study-a"]),
    ],
)
def test_sort_orders_by_the_values_the_index_keeps(
    index: FhirIndex, kind: str, sort: list[tuple[str, bool]], expected: list[str]
) -> None:
    assert _ids(index.search(kind, [], sort)) == expected


def _hand_made() -> FhirIndex:
    index = FhirIndex()
    index.add({"resourceType": "Citation", "id": "r1", "title": "beta"}, date="2020")
    index.add({"resourceType": "Citation", "id": "r2", "title": "Alpha"}, date="2022")
    # No title: a definition's name stands in for it.
    index.add({"resourceType": "Citation", "id": "r3", "name": "alpha"}, date="2020", study=["s1", "s2"])
    index.add({"resourceType": "Citation", "id": "r4"}, study=["s2"])
    index.add({"resourceType": "Citation", "id": "r0", "title": "beta"})
    return index


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Case set aside, then the text as it is ('Alpha' before 'alpha'); ties in id order either way;
        # resources without the value last either way.
        ([("title", False)], ["r2", "r3", "r0", "r1", "r4"]),
        ([("title", True)], ["r0", "r1", "r3", "r2", "r4"]),
        ([("date", False)], ["r1", "r3", "r2", "r0", "r4"]),
        ([("date", True)], ["r2", "r1", "r3", "r0", "r4"]),
        # The first key first, the next within its ties.
        ([("date", False), ("title", True)], ["r1", "r3", "r2", "r0", "r4"]),
        ([("date", True), ("title", False)], ["r2", "r3", "r1", "r0", "r4"]),
        ([("title", True), ("date", False)], ["r1", "r0", "r3", "r2", "r4"]),
        ([("_id", True)], ["r4", "r3", "r2", "r1", "r0"]),
        ([], ["r0", "r1", "r2", "r3", "r4"]),
    ],
)
def test_sort_sets_case_aside_keeps_missing_values_last_and_breaks_ties_by_id(
    sort: list[tuple[str, bool]], expected: list[str]
) -> None:
    assert _ids(_hand_made().search("Citation", [], sort)) == expected


def test_a_resource_is_found_by_its_id_and_the_values_it_was_added_with_only() -> None:
    index = _hand_made()
    assert _ids(index.search("Citation", [("study", ["s2"])])) == ["r3", "r4"]
    assert _ids(index.search("Citation", [("study", ["s1", "s9"])])) == ["r3"]
    assert _ids(index.search("Citation", [("_id", ["r4", "r9"])])) == ["r4"]
    assert _ids(index.search("Citation", [("_id", ["r3"]), ("study", ["s1"])])) == ["r3"]
    assert _ids(index.search("Citation", [("_id", ["r4"]), ("study", ["s1"])])) == []
    assert index.search("Evidence", []) == []
    assert index.search("Citation", [("_id", ["r2"])]) == [{"resourceType": "Citation", "id": "r2", "title": "Alpha"}]


def test_a_second_resource_of_one_type_and_id_is_refused_naming_both() -> None:
    index = _hand_made()
    with pytest.raises(ValueError, match=r"^two Citation resources map to the id 'r1'$"):
        index.add({"resourceType": "Citation", "id": "r1"})
    # The same id in another type is another resource.
    index.add({"resourceType": "Evidence", "id": "r1"})
    assert _ids(index.search("Evidence", [])) == ["r1"]
    assert _ids(index.search("Citation", [("_id", ["r1"])])) == ["r1"]


def test_what_the_index_passes_on_reaches_the_resources() -> None:
    """A term reported by two studies, an interval computed for one figure, a conflict between
    figures of two documents, each document's title: each reaches the resources built from it."""
    x_cr = _outcome("study-x", "cr", "001_abc", conflict_ids=["cr-disagrees"])
    y_cr = _outcome("study-y", "cr", "002_def", conflict_ids=["cr-disagrees"])
    survival: dict[str, Any] = {"measure": Measure.os, "numerator": None, "denominator": None, "value": 60.0}
    x_os = _outcome("study-x", "os-2y", "001_abc", time_point="2y", **survival)
    y_os = _outcome("study-y", "os", "002_def", **survival)
    conflict = ConflictPublic(
        id="cr-disagrees",
        kind=ConflictKind.between_documents,
        description="The two documents print different CR rates.",
        members=[
            ConflictMember(kind="outcome", id=o.id, source_id=o.source_id, locator="Text", printed=o.printed)
            for o in (x_cr, y_cr)
        ],
    )
    studies = [
        _study(
            "study-x",
            "X",
            ["001_abc"],
            [x_cr, x_os],
            adverse_events=[_event("study-x", "001_abc")],
            arms=[ArmPublic(id="study-x.arm-1", label="Arm one", description="Drug X")],
        ),
        _study(
            "study-y",
            "Y",
            ["002_def"],
            [y_cr, y_os],
            adverse_events=[_event("study-y", "002_def")],
            conflicts=[conflict],
            reports=[ReportPublic(id="study-y.talk", study_id="study-y", source_id="002_def", locator="Slide 2")],
        ),
    ]
    sources = [
        _source("001_abc", "Zeta letter", year=2024),
        _source("002_def", "gamma review", year=2021),
        _source("003_ghi", "Eta talk", year=None),
    ]
    # A study whose only document is undated has no date.
    studies.append(_study("study-z", "Z", ["003_ghi"], []))
    index = build_index(
        Urls("https://example.org/fhir"),
        studies=studies,
        sources=sources,
        comparisons=[],
        intervals={"study-x.cr": (0.25, 0.75)},
        built_at="2024-01-01",
    )
    term = "adverse-event-cytokine-release-syndrome"
    # A variable is about every study and document a figure of it comes from; one at a time point,
    # only those of figures at that time point.
    of_x = [term, "measure-cr", "measure-os", "measure-os-at-2y"]
    of_y = [term, "measure-cr", "measure-os"]
    for criterion, expected in (
        (("study", ["study-x"]), of_x),
        (("source", ["001_abc"]), of_x),
        (("study", ["study-y"]), of_y),
        (("source", ["002_def"]), of_y),
    ):
        assert _ids(index.search("EvidenceVariable", [criterion])) == expected, criterion
    # The dates sort by: a study's latest dated document; none for a study whose documents have none.
    assert _ids(index.search("ResearchStudy", [], [("date", True)])) == ["study-x", "study-y", "study-z"]

    x_evidence, y_evidence = (index.resources["Evidence"][i] for i in ("study-x.cr", "study-y.cr"))
    (estimate,) = x_evidence["statistic"][0]["attributeEstimate"]
    assert (estimate["range"]["low"]["value"], estimate["range"]["high"]["value"]) == (0.25, 0.75)
    assert "attributeEstimate" not in y_evidence["statistic"][0]
    assert "As printed: '8/10' in Zeta letter (001_abc), at Text." in [n["text"] for n in x_evidence["note"]]
    assert "As printed: '8/10' in gamma review (002_def), at Text." in [n["text"] for n in y_evidence["note"]]

    # Every population of a study is a Group, an arm no figure is reported for too.
    assert _ids(index.search("Group", [("study", ["study-x"])])) == ["group-study-x", "group-study-x.arm-1"]
    # A report without a year has no date: last whichever way dates sort.
    for descending in (False, True):
        assert _ids(index.search("Citation", [], [("date", descending)]))[-1] == "study-y.talk"

    recorded = "https://example.org/fhir/StructureDefinition/recorded-conflict"
    # The conflict touches the documents of its members, not the third.
    assert "extension" not in index.resources["Citation"]["003-ghi"]
    for resource in (
        x_evidence,
        y_evidence,
        index.resources["Citation"]["001-abc"],
        index.resources["Citation"]["002-def"],
    ):
        (extension,) = [e for e in resource["extension"] if e["url"] == recorded]
        assert extension["extension"][:2] == [
            {"url": "id", "valueString": "cr-disagrees"},
            {"url": "kind", "valueCode": "between_documents"},
        ]


def test_a_resource_added_after_a_search_is_found_by_the_next() -> None:
    """The index prepares its orders and postings once it is searched; what is added after counts too."""
    index = _hand_made()
    assert _ids(index.search("Citation", [("study", ["s2"])], [("title", False)])) == ["r3", "r4"]
    index.add({"resourceType": "Citation", "id": "r5", "title": "aardvark"}, study=["s2"])
    assert _ids(index.search("Citation", [("study", ["s2"])], [("title", False)])) == ["r5", "r3", "r4"]


def test_searches_read_what_the_index_prepared_once() -> None:
    """Prepared once (build_index does it), the orders and postings are read by every search after,
    not made again (the cost session 12's probe, A13, measured)."""
    index = _hand_made()
    index.prepare()
    made = []
    prepare = index.prepare
    index.prepare = lambda: made.append(1) or prepare()  # type: ignore[method-assign]
    for _ in range(3):
        index.search("Citation", [("study", ["s2"])], [("title", True)])
    assert made == []


def _written_two_ways() -> tuple[list[StudyDetail], list[Comparison]]:
    """CR at 24m and 2y pooled (a tie: the pool is named 24m), and a subgroup's CR at 2y not pooled, so the
    figures write 2y more often; ORR at 84m twice and 7y once, no pool; ORR at d28, a time written one way."""
    a_cr = _outcome("study-a", "cr", "001_abc", time_point="24m")
    b_cr = _outcome("study_b", "cr", "001_abc", time_point="2y")
    b_etp = _outcome("study_b", "cr-etp", "001_abc", time_point="2y", subgroup=Subgroup.t_lbl)
    orr = [
        _outcome(study, local, "001_abc", measure=Measure.orr, time_point=code)
        for study, local, code in [
            ("study-a", "orr", "84m"),
            ("study-a", "orr-d28", "d28"),
            ("study_b", "orr", "84m"),
            ("study_b", "orr-7y", "7y"),
        ]
    ]
    studies = [
        _study("study-a", "Beta study", ["001_abc"], [a_cr, orr[0], orr[1]]),
        _study("study_b", "alpha study", ["001_abc"], [b_cr, b_etp, orr[2], orr[3]]),
    ]
    comparison = Comparison(
        measure=Measure.cr,
        time_point="2y",
        rows=[_row(a_cr, pooled=True), _row(b_cr, pooled=True)],
        pooled=pool_random_effects([(8, 10), (8, 10)]).model_copy(update={"time_point": "24m"}),
        excluded=[],
        dataset_version="v",
    )
    return studies, [comparison]


def test_a_time_written_two_ways_is_named_as_its_pool_or_by_the_pools_rule() -> None:
    """Session 15's probe (JA5): one EvidenceVariable per time, so each code of a time names it alike."""
    studies, comparisons = _written_two_ways()
    no_pool = Comparison(measure=Measure.orr, rows=[], pooled=None, excluded=[], dataset_version="v")
    assert time_names(studies, [*comparisons, no_pool]) == {
        ("cr", "24m"): "24m",  # the pool's name, though more figures write 2y
        ("cr", "2y"): "24m",
        ("orr", "84m"): "84m",  # no pool: the code most figures write
        ("orr", "7y"): "84m",
        ("orr", "d28"): "d28",
    }


def test_a_time_written_two_ways_has_one_variable_every_figure_of_it_observes() -> None:
    studies, comparisons = _written_two_ways()
    built = build_index(
        Urls("https://example.org/fhir"),
        studies=studies,
        sources=[_source("001_abc", "Zeta letter", year=2024)],
        comparisons=comparisons,
        intervals={},
        built_at="2024-01-01",
    )
    variables = built.resources["EvidenceVariable"]
    at_times = sorted(v for v in variables if "-at-" in v)
    assert at_times == ["measure-cr-at-24m", "measure-orr-at-84m", "measure-orr-at-d28"]
    assert "(code '24m', also written '2y', 24 months)" in variables["measure-cr-at-24m"]["description"]
    assert "(code '84m', also written '7y', 84 months)" in variables["measure-orr-at-84m"]["description"]
    assert "(code 'd28', 28 days)" in variables["measure-orr-at-d28"]["description"]
    observed = {
        rid: [v["observed"]["reference"] for v in r["variableDefinition"] if "EvidenceVariable" in str(v)]
        for rid, r in built.resources["Evidence"].items()
    }
    assert observed == {
        "comparison-cr-at-24m": ["EvidenceVariable/measure-cr-at-24m"],
        "study-a.cr": ["EvidenceVariable/measure-cr-at-24m"],
        "study-b.cr": ["EvidenceVariable/measure-cr-at-24m"],
        "study-b.cr-etp": ["EvidenceVariable/measure-cr-at-24m"],
        "study-a.orr": ["EvidenceVariable/measure-orr-at-84m"],
        "study-a.orr-d28": ["EvidenceVariable/measure-orr-at-d28"],
        "study-b.orr": ["EvidenceVariable/measure-orr-at-84m"],
        "study-b.orr-7y": ["EvidenceVariable/measure-orr-at-84m"],
    }
    outcome_measures = built.resources["ResearchStudy"]["study-b"]["outcomeMeasure"]
    assert [(m["name"], m["reference"]["reference"]) for m in outcome_measures] == [
        ("CR at 24 months", "EvidenceVariable/measure-cr-at-24m"),
        ("ORR at 84 months", "EvidenceVariable/measure-orr-at-84m"),
    ]
    # Each variable is found by the studies and sources of every figure of its time, whatever the code.
    assert _ids(built.search("EvidenceVariable", [("study", ["study_b"])])) == [
        "measure-cr",
        "measure-cr-at-24m",
        "measure-orr",
        "measure-orr-at-84m",
    ]
