"""Terms asked for by their codes: a filter given a CURIE (HGNC:1695) answers as given the term (CD7)."""

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from api.errors import InvalidInput, NotFound
from models.enums import Measure
from models.problem import ProblemField
from models.terminology import CODED_VOCABULARIES, TermCode

F = TypeVar("F", bound=BaseModel)


def terms_of_codes(session: Session, vocabulary: str, curies: Sequence[str]) -> dict[str, list[str]]:
    """For each CURIE, the terms of one vocabulary that carry it (none for a code no term carries).

    Matched regardless of case, as every other categorical value is (`ncit:c4870` is NCIT:C4870): the
    lists answered such a code with nothing and the claim check refused it (session 14's probe, GA1)."""
    asked: dict[str, list[str]] = {}
    for curie in curies:
        asked.setdefault(curie.upper(), []).append(curie)
    statement = select(TermCode.curie, TermCode.term).where(
        TermCode.vocabulary == vocabulary, func.upper(col(TermCode.curie)).in_(list(asked))
    )
    found: dict[str, list[str]] = {c: [] for c in curies}
    for curie, term in session.exec(statement.order_by(col(TermCode.term))):
        for written in asked[curie.upper()]:
            found[written].append(term)
    return found


def with_terms(session: Session, filters: F, vocabularies: Sequence[str]) -> tuple[F, dict[str, dict[str, list[str]]]]:
    """The filters with every CURIE replaced by the terms carrying it, and what each CURIE stood for.

    A code no term carries stays as asked and matches nothing, like any other unknown value.
    """
    update: dict[str, list[object]] = {}
    asked: dict[str, dict[str, list[str]]] = {}
    for name in vocabularies:
        values = getattr(filters, name) or []
        curies = [v for v in values if not isinstance(v, StrEnum)]
        if not curies:
            continue
        asked[name] = terms_of_codes(session, name, curies)
        resolved = (t for v in values for t in ([v] if isinstance(v, StrEnum) else asked[name][v] or [v]))
        update[name] = list(dict.fromkeys(resolved))
    return (filters.model_copy(update=update) if update else filters), asked


def measure_of(session: Session, measure: Measure | str) -> Measure:
    """The measure asked for, by its code or itself; a code no measure carries names nothing we hold (404)."""
    if isinstance(measure, Measure):
        return measure
    terms = terms_of_codes(session, "measure", [measure])[measure]
    if len(terms) != 1:
        raise NotFound(
            f"No measure has the code {measure!r}.",
            [ProblemField(location="query.measure", message=f"no measure carries the code {measure!r}")],
        )
    return Measure(terms[0])


def one_term(session: Session, vocabulary: str, value: object, *, location: str) -> object:
    """The one term a value names: itself, or the term carrying its code. A claim is about one term, so a code
    no term of the vocabulary carries, or that several carry, is refused naming them (the lists answer such a
    code with nothing, or with every term it names)."""
    if not isinstance(value, str) or isinstance(value, StrEnum):
        return value
    terms = terms_of_codes(session, vocabulary, [value])[value]
    if len(terms) == 1:
        return CODED_VOCABULARIES[vocabulary](terms[0])
    message = (
        f"no {vocabulary} carries the code {value!r}"
        if not terms
        else f"the code {value!r} names several: {', '.join(terms)}; give one of them"
    )
    raise InvalidInput(f"The {vocabulary} is not one term.", [ProblemField(location=location, message=message)])


def term_reader(session: Session, *, location: str) -> Callable[[str, object], object]:
    """one_term for one request's parameters (or tool arguments), each located as location.name."""
    return lambda vocabulary, value: one_term(session, vocabulary, value, location=f"{location}.{vocabulary}")
