"""Checking a numeric claim against the curated figures: GET /v1/claims/check."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.claims.parameters import claim_of
from api.claims.text import MAX_TEXT_LENGTH, STUDY_NAMES, StudyNames
from api.claims.verdict import check_against_data
from api.deps import ComputedDep, MetaDep, SessionDep
from api.errors import PROBLEM_RESPONSES
from api.queries.claims import study_names
from api.queries.filters import TimePointOnly
from api.queries.terminology import term_reader
from models.claim import Claim, ClaimCheck, ClaimUnit
from models.enums import CellSource, Subgroup, TherapyClass
from models.identifiers import RecordId
from models.numbers import IN_DIGITS
from models.terminology import AgentOrCode, AntigenOrCode, DiseaseOrCode, MeasureOrCode

router = APIRouter(prefix="/v1/claims", tags=["claims"])

DESCRIPTION = (
    "Is a numeric claim borne out by the curated figures? Give the claim as parameters (measure, value, unit and "
    "a scope of at least one of study, agent, target_antigen, therapy_class, cell_source, disease; optionally "
    "time_point, subgroup, arm) or as one English sentence in `text` (not both). A figure matches when its "
    "measure, scope, time point (when given) and subgroup (when given) match; an agent matches as in "
    "/v1/studies (intervention roles count: a prior therapy is not an agent the study gave). A claimed number "
    "agrees with a figure when both, rounded to the coarser of the two precisions (the claim's decimals, the "
    "printed figure's decimals), are equal: 90 agrees with a printed 90.3%, 95 and 90.0 do not. A count with a "
    "denominator is compared as its proportion. `supported`: some matching figure agrees; `contradicted`: "
    "figures match and none agrees; `not_found`: none matches. The explanation names recorded conflicts among "
    "the matching figures and says when one is derived or has inferred fields. Figures are as printed by the "
    "document each names."
)


def claim_from_query(
    request: Request,
    session: SessionDep,
    *,
    computed: ComputedDep,
    text: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_TEXT_LENGTH,
            description="The claim as one English sentence, e.g. 'RD13-01 gave a CR rate of 80%'. Read with the "
            "dataset's own vocabulary; the answer says what was understood. Besides its measure, number, time point "
            "and scope, only linking words may appear: any other word (a population, an arm, a hedge) is refused "
            "(422), never dropped. Not with the other parameters.",
        ),
    ] = None,
    measure: Annotated[
        MeasureOrCode | None, Query(description="The measure claimed (the /v1/outcomes vocabulary), or its code.")
    ] = None,
    value: Annotated[
        float | None,
        Query(
            ge=0,
            le=1_000_000,
            description="The number claimed; its decimals as written set its precision (90, 90.3). At most 100 "
            "for a percentage, 1,000,000 for a count of patients.",
        ),
        IN_DIGITS,
    ] = None,
    unit: Annotated[ClaimUnit, Query(description="percent (the default) or patients (a count).")] = ClaimUnit.percent,
    study: Annotated[RecordId | None, Query(description="Study id the claim is about.")] = None,
    agent: Annotated[AgentOrCode | None, Query(description="Agent the claim is about, or its code.")] = None,
    target_antigen: Annotated[
        AntigenOrCode | None, Query(description="Antigen targeted by a CAR product, or its code.")
    ] = None,
    therapy_class: Annotated[TherapyClass | None, Query(description="Class of therapy.")] = None,
    cell_source: Annotated[CellSource | None, Query(description="Cell source of a CAR product.")] = None,
    disease: Annotated[DiseaseOrCode | None, Query(description="Disease, or its code.")] = None,
    time_point: Annotated[TimePointOnly | None, Query(description="Time point (2y, 18m, d28, cycle1, best).")] = None,
    subgroup: Annotated[
        Subgroup | None,
        Query(
            description="Subgroup the claim is about; absent: the whole cohort (a subgroup's figure does not "
            "decide it)."
        ),
    ] = None,
    arm: Annotated[RecordId | None, Query(description="Arm id (as arm_id in /v1/outcomes).")] = None,
) -> Claim:
    return claim_of(
        text=text,
        values=locals(),
        unit=unit if "unit" in request.query_params else None,
        raw_value=request.query_params.get("value"),
        location="query",
        study_names=lambda: computed(STUDY_NAMES, lambda: StudyNames.of(study_names(session))),
        term_of=term_reader(session, location="query"),
    )


@router.get(
    "/check",
    operation_id="checkClaim",
    summary="Check a numeric claim against the curated figures",
    response_model=ClaimCheck,
    responses=PROBLEM_RESPONSES,
    description=DESCRIPTION,
)
def check_claim(claim: Annotated[Claim, Depends(claim_from_query)], session: SessionDep, meta: MetaDep) -> ClaimCheck:
    return check_against_data(session, claim, version=meta.dataset_version)
