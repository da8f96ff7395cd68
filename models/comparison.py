"""Comparison of one measure across studies: forest-plot rows, a descriptive pooled estimate."""

from pydantic import BaseModel, Field

from models.enums import DenominatorBasis, Measure, SourceKind, Subgroup, ValueQualifier, ValueUnit
from models.figure import Inference
from models.terminology import CODES_DESCRIPTION


class ComparisonRow(BaseModel):
    """One usable figure: a proportion with its Wilson 95% interval, or a survival figure as printed."""

    outcome_id: str = Field(description="Id of the outcome figure.")
    label: str = Field(
        description="Readable label, unique among the rows: study and arm (and subgroup or time point when needed)."
    )
    study_id: str = Field(description="Study the figure belongs to.")
    study_title: str = Field(description="Title of the study.")
    study_acronym: str | None = Field(default=None, description="Short name of the study, for plot labels.")
    arm_id: str | None = Field(default=None, description="Arm, or null for the whole study.")
    arm_label: str | None = Field(default=None, description="Label of the arm.")
    subgroup: Subgroup | None = Field(default=None, description="Subgroup the figure is for.")
    time_point: str | None = Field(default=None, description="Time-point code of the figure.")
    n: int | None = Field(default=None, description="Denominator (patients evaluated), when known.")
    events: int | None = Field(default=None, description="Numerator (patients with the outcome), when known.")
    proportion: float = Field(description="The figure as a proportion (0-1).")
    ci_low: float | None = Field(
        default=None, description="Lower bound of the Wilson 95% interval; null for figures carried as printed."
    )
    ci_high: float | None = Field(
        default=None, description="Upper bound of the Wilson 95% interval; null for figures carried as printed."
    )
    interval_method: str | None = Field(
        default=None, description="'wilson' when an interval was computed from counts; null otherwise."
    )
    printed: str = Field(description="The figure exactly as printed in the source.")
    source_id: str = Field(description="Document the figure comes from.")
    source_kind: SourceKind | None = Field(
        default=None, description="Kind of document carrying the figure (as on the outcome figure)."
    )
    cited_publication: str | None = Field(
        default=None, description="The primary publication that document cites for the figure; null when none."
    )
    locator: str = Field(description="Where in that document.")
    derived: bool = Field(
        description="Whether counts or value were derived by curators (e.g. counts from a printed percentage)."
    )
    derivation: str | None = Field(default=None, description="How a derived value was computed (as on the figure).")
    inferred: list[Inference] = Field(
        default_factory=list,
        description="Fields of the figure the document does not print and curators inferred, each with the reason "
        "(as on /v1/outcomes); e.g. a denominator read from elsewhere in the document.",
    )
    qualifier: ValueQualifier = Field(
        default=ValueQualifier.exact, description="How the printed value bounds the true one (as on the figure)."
    )
    caveat: str | None = Field(default=None, description="Why the figure should be read with care.")
    value: float | None = Field(default=None, description="The figure's value in its unit (as on the figure).")
    value_low: float | None = Field(default=None, description="Lower end when a range is printed.")
    value_high: float | None = Field(default=None, description="Upper end when a range is printed.")
    unit: ValueUnit = Field(default=ValueUnit.percent, description="Unit of value.")
    denominator_basis: DenominatorBasis = Field(
        description="Which patients the denominator counts (enrolled, treated, evaluable, not_stated)."
    )
    response_definition: str | None = Field(
        default=None, description="How the document defines the response, as printed; null when not printed."
    )
    report_id: str | None = Field(default=None, description="Report of the study the figure comes from.")
    cited_venue: str | None = Field(default=None, description="Meeting or journal of the cited publication.")
    codes: dict[str, list[str]] = Field(default_factory=dict, description=CODES_DESCRIPTION)
    permalink: str = Field(description="Stable absolute URL of the figure, with its provenance, span and context.")
    pooled: bool = Field(description="Whether this row is in the pooled estimate.")
    not_pooled_reason: str | None = Field(
        default=None, description="Why this row is shown but not pooled; null for pooled rows."
    )


class ExcludedRow(BaseModel):
    """A matching figure that could not be used, and why."""

    outcome_id: str = Field(description="Id of the outcome figure.")
    study_id: str = Field(description="Study the figure belongs to.")
    printed: str = Field(description="The figure exactly as printed.")
    reason: str = Field(description="Why it was left out of the rows or the pooled estimate.")


class LeaveOneOut(BaseModel):
    """The pooled estimate recomputed without one row (sensitivity analysis)."""

    omitted_outcome_id: str = Field(description="The row left out.")
    omitted_label: str = Field(description="Label of the row left out.")
    proportion: float = Field(description="Pooled proportion (0-1) without that row.")
    ci_low: float = Field(description="Lower bound of its 95% interval.")
    ci_high: float = Field(description="Upper bound of its 95% interval.")
    i_squared: float = Field(description="Heterogeneity I² (0-100) without that row.")


class PooledEstimate(BaseModel):
    """Random-effects pooled proportion; descriptive only, not a formal meta-analysis."""

    label: str = Field(description="Always states that the estimate is descriptive.")
    method: str = Field(description="Pooling method.")
    k: int = Field(description="Number of rows pooled (rows with counts).")
    proportion: float = Field(description="Pooled proportion (0-1).")
    ci_low: float = Field(description="Lower bound of its 95% interval.")
    ci_high: float = Field(description="Upper bound of its 95% interval.")
    i_squared: float = Field(description="Heterogeneity I² (0-100, percent).")
    tau_squared: float = Field(description="Between-study variance on the logit scale.")
    q: float = Field(description="Cochran's Q.")
    time_point: str | None = Field(default=None, description="The stated time point every pooled row shares.")
    denominator_basis: DenominatorBasis | None = Field(
        default=None, description="The denominator basis every pooled row shares."
    )
    outcome_ids: list[str] = Field(default_factory=list, description="The rows pooled, one per independent population.")
    leave_one_out: list[LeaveOneOut] = Field(
        default_factory=list,
        description="The pool recomputed leaving out each row in turn; empty when fewer than three rows are pooled.",
    )


class Comparison(BaseModel):
    """One measure across the studies matching the filters, ready for a forest plot."""

    measure: Measure = Field(description="The measure compared.")
    time_point: str | None = Field(default=None, description="Time point compared, if one was asked for.")
    include_derived: bool = Field(
        default=False, description="Whether rows with counts derived by curators may enter the pool."
    )
    rows: list[ComparisonRow] = Field(description="Usable figures, ordered by study then arm.")
    pooled: PooledEstimate | None = Field(
        default=None,
        description=(
            "Descriptive pooled estimate of the largest set of at least two comparable rows (same measure, stated "
            "time point and denominator basis, one per independent population); else null."
        ),
    )
    pooled_note: str | None = Field(
        default=None, description="Why no pooled estimate was computed, when none was, or what the pool leaves out."
    )
    excluded: list[ExcludedRow] = Field(description="Matching figures that could not be used, with reasons.")
    dataset_version: str = Field(description="Version of the dataset the comparison was computed from.")
