"""Use the generated Python client on every operation of a live server: `python python_check.py BASE_URL`.

Type-checked with `mypy --strict` together with the generated package (tests/clients/test_clients.py),
so every field used here must be typed as the server sends it: no casts, no Any.
Operations whose body is not JSON or text (NDJSON, ZIP, SVG) come back as File objects: the document
lists their bytes under application/octet-stream too, the one such media type openapi-python-client's
default configuration reads, so the client that raises on undeclared statuses returns them.
"""

import io
import json
import sys
import zipfile
from datetime import datetime
from typing import TypeVar

from t_all_evidence_api_client import Client
from t_all_evidence_api_client.api.adverse_events import (
    get_adverse_event,
    get_adverse_event_facets,
    list_adverse_events,
    list_adverse_events_csv,
    list_adverse_events_ndjson,
)
from t_all_evidence_api_client.api.claims import check_claim
from t_all_evidence_api_client.api.comparison import compare_outcomes, compare_outcomes_csv, get_comparison_plot
from t_all_evidence_api_client.api.conflicts import (
    get_conflict,
    list_conflicts,
    list_conflicts_csv,
    list_conflicts_ndjson,
)
from t_all_evidence_api_client.api.corrections import list_corrections
from t_all_evidence_api_client.api.dataset import get_dataset, get_dataset_zip
from t_all_evidence_api_client.api.embed import get_display_labels, get_evidence_table, get_study_card
from t_all_evidence_api_client.api.epidemiology import (
    get_epidemiology_figure,
    list_epidemiology_figures,
    list_epidemiology_figures_csv,
    list_epidemiology_figures_ndjson,
)
from t_all_evidence_api_client.api.meta import get_health, get_index, get_meta
from t_all_evidence_api_client.api.outcomes import (
    get_outcome,
    get_outcome_facets,
    list_outcomes,
    list_outcomes_csv,
    list_outcomes_ndjson,
)
from t_all_evidence_api_client.api.releases import get_changes_feed, list_changes, list_releases
from t_all_evidence_api_client.api.sources import get_source, list_sources, list_sources_csv, list_sources_ndjson
from t_all_evidence_api_client.api.studies import (
    get_studies_batch,
    get_study,
    get_study_facets,
    list_studies,
    list_studies_csv,
    list_studies_ndjson,
)
from t_all_evidence_api_client.models import Measure, OutcomeSort, Phase, Problem, Verdict
from t_all_evidence_api_client.types import File

T = TypeVar("T")
called: list[str] = []


def ok(result: T | Problem | None, operation: str) -> T:
    """The success body; a problem or an undocumented status stops the check, naming the operation."""
    if result is None or isinstance(result, Problem):
        raise SystemExit(f"{operation}: no success body ({result!r})")
    called.append(operation)
    return result


def body(result: File | Problem | None, operation: str) -> bytes:
    return ok(result, operation).payload.read()


def csv_header(text: str) -> list[str]:
    return text.splitlines()[0].split(",")


def ndjson_ids(data: bytes) -> list[str]:
    return [str(json.loads(line)["id"]) for line in data.decode().splitlines()]


def main(base_url: str) -> None:
    client = Client(base_url=base_url, raise_on_unexpected_status=True)

    meta = ok(get_meta.sync(client=client), "getMeta")
    built: datetime = meta.built_at
    health = ok(get_health.sync(client=client), "getHealth")
    assert health.dataset_version == meta.dataset_version
    assert meta.attribution and meta.how_to_cite and meta.citation_file == "CITATION.cff"
    index = ok(get_index.sync(client=client), "getIndex")
    assert index.how_to_cite == meta.how_to_cite and {link.rel for link in index.links} >= {"docs", "openapi"}

    studies = ok(list_studies.sync(client=client, phase=[Phase.I_II, Phase.III], limit=5), "listStudies")
    every_study = ok(list_studies.sync(client=client, limit=500), "listStudies")
    assert every_study.total == meta.counts["study"], (every_study.total, meta.counts)
    first = every_study.items[0]
    assert all(s.phase in (Phase.I_II, Phase.III) for s in studies.items)
    assert "id" in csv_header(ok(list_studies_csv.sync(client=client), "listStudiesCsv"))
    assert ndjson_ids(body(list_studies_ndjson.sync(client=client), "listStudiesNdjson")) == [
        s.id for s in every_study.items
    ]
    facets = ok(get_study_facets.sync(client=client), "getStudyFacets")
    assert facets.total == every_study.total and facets.facets.additional_properties
    detail = ok(get_study.sync(first.id, client=client), "getStudy")
    assert detail.id == first.id and detail.n_outcomes == len(detail.outcomes)
    batch = ok(get_studies_batch.sync(client=client, id=[first.id]), "getStudiesBatch")
    assert [s.id for s in batch] == [first.id]

    outcomes = ok(list_outcomes.sync(client=client, sort=OutcomeSort.VALUE_DESC, limit=20), "listOutcomes")
    # By proportion: a percentage, or numerator/denominator of a count; figures with neither last.
    values = [
        o.value / 100
        if o.unit == "percent" and isinstance(o.value, float)
        else o.numerator / o.denominator
        if isinstance(o.numerator, int) and isinstance(o.denominator, int) and o.denominator
        else None
        for o in outcomes.items
    ]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True) and values[: len(present)] == present
    outcome = ok(get_outcome.sync(outcomes.items[0].id, client=client), "getOutcome")
    assert outcome.printed and outcome.source_id and outcome.permalink.endswith("/v1/outcomes/" + outcome.id)
    assert outcomes.links is not None and outcomes.links.self_.startswith(base_url)
    assert csv_header(ok(list_outcomes_csv.sync(client=client, limit=3), "listOutcomesCsv"))[0]
    assert len(ndjson_ids(body(list_outcomes_ndjson.sync(client=client, limit=3), "listOutcomesNdjson"))) == 3
    outcome_facets = ok(get_outcome_facets.sync(client=client), "getOutcomeFacets")
    assert sum(v.count for v in outcome_facets.facets.additional_properties["measure"]) == outcome_facets.total

    events = ok(list_adverse_events.sync(client=client, limit=5), "listAdverseEvents")
    event = ok(get_adverse_event.sync(events.items[0].id, client=client), "getAdverseEvent")
    assert event.term == events.items[0].term and event.permalink.endswith(event.id)
    assert csv_header(ok(list_adverse_events_csv.sync(client=client), "listAdverseEventsCsv"))[0]
    assert ndjson_ids(body(list_adverse_events_ndjson.sync(client=client, limit=5), "listAdverseEventsNdjson"))
    assert ok(get_adverse_event_facets.sync(client=client), "getAdverseEventFacets").total == events.total

    comparison = ok(compare_outcomes.sync(client=client, measure=Measure.CR), "compareOutcomes")
    assert comparison.measure is Measure.CR and all(r.printed and 0 <= r.proportion <= 1 for r in comparison.rows)
    assert csv_header(ok(compare_outcomes_csv.sync(client=client, measure=Measure.CR), "compareOutcomesCsv"))[0]
    svg = body(get_comparison_plot.sync(client=client, measure=Measure.CR), "getComparisonPlot")
    assert svg.lstrip().startswith(b"<svg") or b"<svg" in svg[:200]

    claim = ok(check_claim.sync(client=client, measure=Measure.CR, value=80, study="rd13-01"), "checkClaim")
    assert claim.verdict is Verdict.SUPPORTED and claim.evidence[0].printed
    read = ok(check_claim.sync(client=client, text="RD13-01 reported a CR rate of 80%"), "checkClaim")
    assert read.understood.measure is Measure.CR and read.dataset_version == meta.dataset_version

    sources = ok(list_sources.sync(client=client), "listSources")
    assert ok(get_source.sync(sources.items[0].id, client=client), "getSource").id == sources.items[0].id
    assert "id" in csv_header(ok(list_sources_csv.sync(client=client), "listSourcesCsv"))
    assert len(ndjson_ids(body(list_sources_ndjson.sync(client=client), "listSourcesNdjson"))) == sources.total

    conflicts = ok(list_conflicts.sync(client=client), "listConflicts")
    if conflicts.items:
        assert ok(get_conflict.sync(conflicts.items[0].id, client=client), "getConflict").kind
    else:
        missing = get_conflict.sync("no-such-conflict", client=client)
        assert isinstance(missing, Problem) and missing.status == 404
        called.append("getConflict")
    assert csv_header(ok(list_conflicts_csv.sync(client=client), "listConflictsCsv"))
    assert len(ndjson_ids(body(list_conflicts_ndjson.sync(client=client), "listConflictsNdjson"))) == (conflicts.total)

    figures = ok(list_epidemiology_figures.sync(client=client), "listEpidemiologyFigures")
    figure = ok(get_epidemiology_figure.sync(figures.items[0].id, client=client), "getEpidemiologyFigure")
    assert figure.id == figures.items[0].id
    assert "id" in csv_header(ok(list_epidemiology_figures_csv.sync(client=client), "listEpidemiologyFiguresCsv"))
    assert ndjson_ids(body(list_epidemiology_figures_ndjson.sync(client=client), "listEpidemiologyFiguresNdjson"))

    dataset = ok(get_dataset.sync(client=client), "getDataset")
    assert dataset.dataset_version == meta.dataset_version and len(dataset.studies) == every_study.total
    assert dataset.built_at == built
    archive = zipfile.ZipFile(io.BytesIO(body(get_dataset_zip.sync(client=client), "getDatasetZip")))
    assert archive.read("VERSION").decode().strip() == meta.dataset_version

    releases = ok(list_releases.sync(client=client), "listReleases")
    assert [r.version for r in releases.releases if r.current] == [meta.dataset_version]
    changes = ok(list_changes.sync(client=client), "listChanges")
    assert changes.to_version == meta.dataset_version and changes.changes == []  # one release: nothing before it
    assert b"<feed" in body(get_changes_feed.sync(client=client), "getChangesFeed")[:500]
    corrections = ok(list_corrections.sync(client=client, limit=5), "listCorrections")
    assert corrections.total > 0 and corrections.items[0].why

    labels = ok(get_display_labels.sync(client=client), "getDisplayLabels")
    assert labels.to_dict()
    card = get_study_card.sync(first.id, client=client)
    assert card is not None and "<" in card
    called.append("getStudyCard")
    table = get_evidence_table.sync(client=client)
    assert table is not None and "<table" in table
    called.append("getEvidenceTable")

    print(json.dumps(sorted(set(called))))


if __name__ == "__main__":
    main(sys.argv[1])
