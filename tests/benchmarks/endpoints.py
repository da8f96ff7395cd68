"""The benchmarked requests: each service URL and the nearest equivalent Datasette query."""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

DATABASE = "evidence"  # Datasette names a database after its file: evidence.db

# Datasette has no endpoint computing forest-plot rows; this canned query reads the same
# rows the service's comparison starts from (whole-population figures of one measure with
# their study and arm), leaving out the intervals and the pooled estimate.
COMPARISON_SQL = """
select o.id, o.study_id, s.title, s.acronym, o.arm_id, a.label as arm_label, o.subgroup, o.time_point,
       o.denominator, o.numerator, o.value, o.unit, o.printed, o.source_id, o.locator, o.derived,
       o.unlabeled, o.conflict_ids
from outcome o join study s on s.id = o.study_id left join arm a on a.id = o.arm_id
where o.measure = :measure and o.subgroup is null
order by o.study_id, o.arm_id, o.id
"""

CD7_STUDIES = "study_id in (select study_id from study_tag where facet = 'target_antigen' and value = 'CD7')"


@dataclass(frozen=True)
class Endpoint:
    name: str
    label: str
    service: str
    datasette: str
    share_of_limit: float  # the throughput target, as a share of the static limit's
    paginated: bool


def _datasette(path: str, **params: str) -> str:
    return f"/{DATABASE}/{path}?{urlencode(params, quote_via=quote)}" if params else f"/{DATABASE}/{path}"


ENDPOINTS = (
    Endpoint(
        "list",
        "first page of studies",
        "/v1/studies",
        _datasette("study.json", _size="50"),
        0.85,
        True,
    ),
    Endpoint(
        "detail",
        "one study, everything embedded",
        "/v1/studies/ns7car-t",
        _datasette("study/ns7car-t.json"),
        0.85,
        False,
    ),
    Endpoint(
        "filtered",
        "CR outcomes of CD7-targeting studies",
        "/v1/outcomes?measure=cr&target_antigen=CD7&subgroup=any",
        _datasette("outcome.json", measure="cr", _where=CD7_STUDIES, _size="50"),
        0.85,
        True,
    ),
    Endpoint(
        "comparison",
        "CR compared across studies",
        "/v1/comparison?measure=cr",
        _datasette("comparison.json", measure="cr"),
        0.85,
        False,
    ),
)


def datasette_metadata() -> dict[str, object]:
    """Datasette metadata defining the canned comparison query."""
    return {"databases": {DATABASE: {"queries": {"comparison": {"sql": COMPARISON_SQL.strip()}}}}}
