"""A FHIR search request read as the specification says (https://hl7.org/fhir/R5/search.html).

Parameters this server does not support (unknown names, modifiers, chains, _include and the
like, values of _summary or _sort it does not offer) are ignored and reported back in the
Bundle, unless the client asks `Prefer: handling=strict`, which makes each a 400. A parameter
with no value is ignored and reported, never an error (the specification's words). Values of
the parameters it does support are checked: a malformed one is a 400 either way. Integers are
ASCII digits only (no sign, no Unicode digits that Python's int() would read).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from api.fhir.search_index import SEARCH_PARAMETERS, SORT_PARAMETERS
from api.render.problems import capped
from models.enums import Measure

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 500
MAX_OFFSET = 1_000_000
JSON_FORMATS = ("json", "application/json", "application/fhir+json")
SUMMARY_VALUES = ("true", "false", "count", "data")
TOTAL_VALUES = ("none", "estimate", "accurate")
PRETTY_VALUES = ("true", "false")
CONTROL_PARAMETERS = ("_count", "_offset", "_format", "_summary", "_elements", "_sort", "_total", "_pretty")
"""The result parameters supported, besides the search parameters (SEARCH_PARAMETERS)."""

_DIGITS = re.compile(r"[0-9]{1,9}")
_SEARCH_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_ELEMENT = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")


class SearchRefused(Exception):
    """A search that cannot be answered: an OperationOutcome with this status and issue code."""

    def __init__(self, status: int, code: str, diagnostics: str, *, expression: tuple[str, ...] = ()) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics, self.expression = status, code, diagnostics, expression


@dataclass
class Search:
    criteria: list[tuple[str, list[str]]] = field(default_factory=list)
    """(parameter, alternatives): each repeat of a parameter is one more criterion, ANDed with the
    others (FHIR search: a repeated parameter is AND); its comma-separated values are alternatives (OR)."""
    count: int = PAGE_SIZE_DEFAULT
    offset: int = 0
    summary: str | None = None
    elements: tuple[str, ...] | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)
    total: str | None = None
    pretty: bool = False
    ignored: list[str] = field(default_factory=list)
    """One sentence per parameter ignored, for the Bundle's OperationOutcome."""


def strict_handling(prefer: Sequence[str]) -> bool:
    """Whether the Prefer header(s) ask handling=strict (RFC 7240; FHIR's handling preference)."""
    # A preference may carry parameters ('handling=strict; x=1', RFC 7240): it is still that preference.
    preferences = [p.split(";", 1)[0].strip().lower().replace(" ", "") for line in prefer for p in line.split(",")]
    return "handling=strict" in preferences


def check_format(values: Sequence[str]) -> None:
    """_format: JSON in any of its spellings; XML and anything else is a 406. A query's '+' reads as a space,
    so 'application/fhir+json' written as the docs write it arrives as 'application/fhir json', and a media
    type's parameters (';fhirVersion=5.0') are no other format (session 12's ninth probe, C7)."""
    for value in values:
        media_type = value.split(";", 1)[0].strip().lower().replace(" ", "+")
        if media_type not in JSON_FORMATS:
            raise SearchRefused(
                406, "not-supported", f"_format {value!r} is not served; only JSON is.", expression=("_format",)
            )


def _integer(name: str, values: list[str], *, low: int, high: int) -> int:
    if len(values) != 1 or not _DIGITS.fullmatch(values[0]) or not low <= int(values[0]) <= high:
        raise SearchRefused(
            400,
            "invalid",
            f"{name} must be one whole number from {low} to {high}, in ASCII digits.",
            expression=(name,),
        )
    return int(values[0])


def _one(name: str, values: list[str], allowed: Sequence[str]) -> str:
    if len(values) != 1 or values[0] not in allowed:
        raise SearchRefused(400, "invalid", f"{name} must be one of {', '.join(allowed)}.", expression=(name,))
    return values[0]


def _criteria(name: str, values: list[str], systems: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """One criterion per repeat of the parameter (ANDed), each its comma-separated alternatives (ORed)."""
    criteria = [
        (name, [code for v in raw.split(",") if (code := _code(name, v, systems)) is not None]) for raw in values
    ]
    for value in (v for _, alternatives in criteria for v in alternatives):
        if not _SEARCH_VALUE.fullmatch(value):
            raise SearchRefused(
                400, "invalid", f"{name}: {value!r} is not a valid identifier or code.", expression=(name,)
            )
        if name == "measure" and value not in Measure.__members__.values():
            known = ", ".join(m.value for m in Measure)
            raise SearchRefused(
                400, "code-invalid", f"measure: unknown code {value!r}; known: {known}.", expression=(name,)
            )
    return criteria


def _code(name: str, value: str, systems: Mapping[str, str]) -> str | None:
    """The code a token value asks for (FHIR search 3.2.1.5.5): 'code'; 'system|code' where system is
    the one the parameter's codes are in (systems; our CodeSystem for measure); '|code' for a
    parameter whose values have no system (ids). None where it can match nothing here: another system."""
    if "|" not in value:
        return value
    system, _, code = value.partition("|")
    if not code:
        raise SearchRefused(
            400, "not-supported", f"{name}: {value!r} names a system without a code; give the code.", expression=(name,)
        )
    return code if system == systems.get(name, "") else None


def _sort(values: list[str], ignored: list[str]) -> list[tuple[str, bool]]:
    keys: list[tuple[str, bool]] = []
    for item in (v.strip() for raw in values for v in raw.split(",")):
        name = item.removeprefix("-")
        if name in SORT_PARAMETERS:
            keys.append((name, item.startswith("-")))
        elif item:
            ignored.append(f"_sort by {item!r} is not supported (only {', '.join(SORT_PARAMETERS)}); ignored.")
    return keys


def _elements(values: list[str]) -> tuple[str, ...]:
    names = tuple(v.strip() for raw in values for v in raw.split(",") if v.strip())
    for name in names:
        if not _ELEMENT.fullmatch(name):
            raise SearchRefused(
                400, "invalid", f"_elements: {name!r} is not an element name.", expression=("_elements",)
            )
    return names


def taken(name: str, value: str, *, searchable: Sequence[str]) -> bool:
    """Whether read_search uses a (name, value) pair rather than ignoring it."""
    return value != "" and name in (*searchable, *CONTROL_PARAMETERS) and (name, value) != ("_summary", "text")


def _more_ignored(left_out: int) -> str:
    return f"{left_out} more parameter(s) or value(s) ignored."


def read_search(
    pairs: Sequence[tuple[str, str]],
    *,
    strict: bool,
    searchable: Sequence[str] = tuple(SEARCH_PARAMETERS),
    systems: Mapping[str, str] | None = None,
) -> Search:
    """The search a list of (name, value) pairs asks for, from a query string or a form body; searchable:
    the search parameters of the resource type searched (the others are not supported for it); systems:
    the code system of each token parameter whose codes have one (a 'system|code' value is matched in it)."""
    by_name: dict[str, list[str]] = {}
    for name, value in pairs:
        by_name.setdefault(name, []).append(value)
    search = Search()
    empty: list[str] = []
    for name, values in by_name.items():
        present = [v for v in values if v != ""]
        if not present:
            # FHIR search 3.2.1.3: "Empty parameters are not an error - they are just ignored by
            # the server", whatever Prefer: handling says; the Bundle still says so.
            empty.append(f"{name} has no value; ignored (an empty parameter is not an error).")
        elif name in searchable:
            search.criteria += _criteria(name, present, systems or {})
        elif name in SEARCH_PARAMETERS:
            search.ignored.append(f"Search parameter {name!r} is not supported for this resource type; ignored.")
        elif name == "_count":
            search.count = _integer(name, present, low=0, high=PAGE_SIZE_MAX)
        elif name == "_offset":
            search.offset = _integer(name, present, low=0, high=MAX_OFFSET)
        elif name == "_format":
            check_format(present)
        elif name == "_summary":
            if present == ["text"]:
                search.ignored.append("_summary=text is not supported (resources carry no narrative); ignored.")
            else:
                search.summary = _one(name, present, SUMMARY_VALUES)
        elif name == "_elements":
            search.elements = _elements(present)
        elif name == "_sort":
            search.sort = _sort(present, search.ignored)
        elif name == "_total":
            search.total = _one(name, present, TOTAL_VALUES)
        elif name == "_pretty":
            search.pretty = _one(name, present, PRETTY_VALUES) == "true"
        else:
            base = re.split(r"[:.]", name, maxsplit=1)[0]
            what = "modifier or chain" if base in SEARCH_PARAMETERS else "parameter"
            search.ignored.append(f"Unsupported search {what} {name!r}; ignored.")
    # Each sentence once, and at most MAX_LISTED_PROBLEMS of them: `_sort=a,a,a,...` in a 2 KB
    # query would otherwise be answered with a thousand.
    unsupported = capped(list(dict.fromkeys(search.ignored)), _more_ignored)
    if strict and unsupported:
        accepted = ", ".join([*searchable, *CONTROL_PARAMETERS])
        raise SearchRefused(
            400,
            "not-supported",
            " ".join(unsupported).replace("; ignored.", ".") + f" (Prefer: handling=strict.) Accepted: {accepted}.",
        )
    search.ignored = capped(list(dict.fromkeys(search.ignored)) + empty, _more_ignored)
    return search


READ_PARAMETERS = ("_format", "_summary", "_elements", "_pretty")
"""What a read takes: the general parameters FHIR gives every interaction (http.html) that mean
something for one resource; _summary=count and _summary=text do not (no Bundle, no narrative)."""


def read_shape(pairs: Sequence[tuple[str, str]]) -> Search:
    """How a read's one resource is shaped (_summary, _elements, _pretty); any other parameter is a 400,
    as a read has no Bundle to report it ignored. Empty parameters are ignored, as in a search."""
    by_name: dict[str, list[str]] = {}
    for name, value in pairs:
        if value != "":
            by_name.setdefault(name, []).append(value)
    extra = sorted(set(by_name) - set(READ_PARAMETERS))
    if extra:
        raise SearchRefused(
            400,
            "not-supported",
            f"A read takes no parameters but {', '.join(READ_PARAMETERS)}; got {', '.join(extra)}.",
            expression=tuple(extra),
        )
    shape = Search()
    for name, present in by_name.items():
        if name == "_format":
            check_format(present)
        elif name == "_summary":
            shape.summary = _one(name, present, ("true", "false", "data"))
        elif name == "_elements":
            shape.elements = _elements(present)
        else:
            shape.pretty = _one(name, present, PRETTY_VALUES) == "true"
    return shape
