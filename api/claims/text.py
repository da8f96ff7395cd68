"""Reading a claim from an English sentence, with the dataset's own vocabulary and its usual synonyms.

Deterministic: patterns, no model. Each piece found is taken out of the sentence before the
next is looked for (a study named 'RD13-01' leaves no '13' to be read as the claimed number).
What cannot be read is said, piece by piece, in a 422.
"""

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from api.claims.agreement import MAX_DECIMALS, MAX_PERCENT, MAX_VALUE, written_decimals
from api.errors import InvalidInput
from models.claim import Claim, ClaimUnit
from models.enums import Agent, Antigen, CellSource, Disease, Measure, Subgroup, TherapyClass
from models.outcome import TIME_POINT_PATTERN
from models.problem import ProblemField

MAX_TEXT_LENGTH = 500
_PUNCTUATION = frozenset(".,;:()'\"-/%+")  # what a claim sentence may hold between the pieces read
MAX_UNREAD_WORDS = 10  # words not read, named one by one; a sentence of them gets the first ten

# Most specific first: 'MRD-negative CR' before 'CR', 'CR/CRi' before 'CRi' and 'CR'.
MEASURE_WORDS: tuple[tuple[str, Measure], ...] = (
    (r"mrd[- ]negative (?:cr|complete (?:remission|response))s?", Measure.mrd_negative_cr),
    (r"mrd[- ]negativ(?:e|ity)", Measure.mrd_negative),
    (r"\bcr ?(?:/|or|\+) ?cri\b", Measure.cr_cri),
    (r"\bcrc\b|composite complete (?:remission|response)", Measure.crc),
    (r"\bcri\b|complete (?:remission|response) with incomplete (?:\w+ )?recovery", Measure.cri),
    (r"\bcr\b|complete (?:remission|response)s?", Measure.cr),
    (r"\bpr\b|partial (?:remission|response)s?", Measure.pr),
    (r"\bno response\b|did not respond", Measure.no_response),
    (r"\borr\b|(?:overall|objective) response(?: rate)?", Measure.orr),
    (r"\bos\b|overall survival", Measure.os),
    (r"\befs\b|event[- ]free survival", Measure.efs),
    (r"\brfs\b|relapse[- ]free survival", Measure.rfs),
    (r"\bpfs\b|progression[- ]free survival", Measure.pfs),
    (r"\bdfs\b|disease[- ]free survival", Measure.dfs),
    (r"\bcir\b|cumulative incidence of relapse", Measure.cir),
    (r"\bdied\b|\bdeaths?\b", Measure.death),
    (
        # Written out too, as the documents write it: else the class took 'stem cell transplantation' and left
        # 'proceeded' unread (session 14's probe, HA6).
        r"(?:proceeded|went on|bridged|were bridged) to (?:an? )?(?:allo(?:geneic)?[- ]?)?(?:ha?ematopoietic )?"
        r"(?:hsct|sct|(?:stem[- ]cell )?transplant\w*)"
        r"|\ballo[- ]?h?sct\b",
        Measure.proceeded_to_hsct,
    ),
    (r"\bremissions?\b", Measure.remission),
)

DISEASE_WORDS = (
    (r"\betp[- ]all\b", Disease.etp_all),
    (r"\bt[- ]all\b", Disease.t_all),
    (r"\bt[- ]lbl\b", Disease.t_lbl),
    (r"\bb[- ]all\b", Disease.b_all),
)
SUBGROUP_WORDS = (
    (r"\bnon[- ]etp\b", Subgroup.non_etp),
    (r"\betp\b", Subgroup.etp),
    (r"\bextramedullary(?: disease| lesions?)?\b|\bemd\b", Subgroup.extramedullary_disease),
    (r"\bbone marrow(?: disease)?\b", Subgroup.bone_marrow_disease),
    (r"\bhigh[- ]risk molecular(?: subtypes?)?\b", Subgroup.high_risk_molecular),
)
CELL_SOURCE_WORDS = (
    (r"\bdonor[- ]derived\b", CellSource.donor_derived),
    (r"\bautologous\b", CellSource.autologous),
    (r"\buniversal\b|\boff[- ]the[- ]shelf\b", CellSource.universal),
)
THERAPY_WORDS = (
    (r"\bcar[- ]?t(?:[- ]cells?| therapy)?\b", TherapyClass.car_t),
    (r"\bcar[- ]?nk(?:[- ]cells?)?\b", TherapyClass.car_nk),
    (r"\bbcl[- ]?2 inhibitors?\b", TherapyClass.bcl2_inhibitor),
    (r"\bmonoclonal antibod(?:y|ies)\b", TherapyClass.monoclonal_antibody),
    (r"\bnucleoside analog(?:ue)?s?\b", TherapyClass.nucleoside_analogue),
    (r"\bhypomethylating agents?\b", TherapyClass.hypomethylating_agent),
    (r"\bhdac inhibitors?\b", TherapyClass.hdac_inhibitor),
    (r"\bchemotherapy\b", TherapyClass.chemotherapy),
    # Written out only: 'SCT' and 'HSCT' belong to 'proceeded to allo-SCT' (session 13's probe, FE3).
    (
        r"\b(?:allogeneic |allo[- ])?(?:ha?ematopoietic )?stem[- ]cell transplant(?:ation)?s?\b",
        TherapyClass.stem_cell_transplant,
    ),
)
AGENT_WORDS = (
    # Before the agents' own names: 'asparaginase' would otherwise be taken out of 'peg-asparaginase'.
    (r"\bpeg[- ]?asparaginase\b", Agent.pegaspargase),
    (r"\bhyper[- ]?cvad\b", Agent.hyper_cvad),
    *(
        (r"\b" + re.escape(name) + r"\b", agent)
        for agent in Agent
        if agent is not Agent.car_t_cells  # 'CAR-T' reads as the therapy class
        for name in sorted({agent.value.replace("_", "-"), agent.value.replace("_", " "), agent.value})
    ),
)
ANTIGEN_WORDS = tuple((r"\b" + antigen.value.lower() + r"\b", antigen) for antigen in Antigen)

NUMBER_WORDS = {
    word: n
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# A number in words up to ninety-nine: 'twenty four' is 24, not a 'four' after a word (session 11's probe).
_WORDS_NUMBER = (
    "(?:"
    + "|".join(TENS)
    + r")(?:[- ](?:"
    + "|".join(list(NUMBER_WORDS)[1:10])
    + r"))?\b"
    + "|"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
)
_COUNT = r"(\d+|" + _WORDS_NUMBER + r")"
# Where a number may start: not glued to a word, a sign, an exponent, a decimal or thousands mark,
# a ratio, or another number. Else '1e-80%', '-80%', '70-80%', '1,80%' and '0.2 years' were read as
# their last digits (80%, 2 years) and could be "supported".
_START = r"(?<![\w.,:^+\-])(?<!\d )"
_OVER = float(MAX_VALUE + 1)  # a count past MAX_VALUE, refused as such
_TURNING_WORDS = (
    r"\b(?:not|non|no|never|neither|nor|below|above|under|over|less|more|fewer|greater|lower|higher"
    r"|exceed\w*|at least|at most|up to|except|excluding|without|fail\w*|lack\w*|absen\w*|minimum|maximum"
    r"|approx\w*|about|around|nearly|almost|roughly|between|rang\w*"
    r"|improv\w*|increas\w*|decreas\w*|reduc\w*|drop\w*|rose|rise[sn]?|rising|fell|fall\w*|declin\w*"
    r"|chang\w*|relative\w*|fold|times|difference|\w*n't|excess|beyond|upwards?|as high as|as low as"
    r"|surpass\w*|top(?:s|ped|ping)?|circa|ca|some|close to|incorrect\w*|false\w*|contrary|wrong\w*|untrue"
    r"|disput\w*|refut\w*|doubt\w*|mislead\w*|erroneous\w*)\b"
)
# A bound in signs, '74%+': the '+' alone is a sentence's ('CR+CRi', 'CD7+'); every other sign left over
# ('>74%', '74 ± 5%') is refused with the rest (_PUNCTUATION), which words alone left "supported" by 74%.
_BOUND_SIGNS = r"% ?\+"
# A '-' or '+' glued to the end of a word: 'CD7-' and 'ETP-' say negative, the opposite of what was read
# (session 12's probe, A2), and '2-year+' a bound. Only an antigen's '+' (CD7+, positive) is the word itself.
_GLUED_SIGN = r"(?<!\w)(\w+)([-+])(?![\w+-])"  # from a word's start: linear in a long word (C8)
_ANTIGEN_NAMES = "|".join(antigen.value.lower() for antigen in Antigen)
_YEARS_OR_MONTHS = r"(\d+(?:\.\d+)?|" + _WORDS_NUMBER + r")"
# What a claim sentence may hold besides the pieces read: linking words. Any other word left over is
# a qualifier the reader cannot place ('in adults', 'in the control arm', 'retracted'): refused, not
# dropped, so that a figure of another population never "supports" it (session 11's second probe, Q7).
LINKING_WORDS = frozenset(
    """a an the this that these those its their it they there who which whom where when
    in of at for with after among within on to from as per during following across and
    was were is are be been being had has have having did does do
    reported report reports gave give gives given showed show shows shown achieved achieve achieves achieving
    attained reached reach reaches obtained observed saw found demonstrated yielded led resulted noted seen
    rate rates proportion percentage patients patient subjects cases study trial cohort series
    treated treatment therapy regimen evaluable enrolled infused overall""".split()
)
# A time unit left over once the times are read: 'at a year', 'in the first year' (session 11's second probe).
_UNREAD_TIME = r"\b(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|annual\w*|yearly|monthly)\b"
# Left over once every piece is read, a number the reader could not place ('2½ years', 'year 3',
# '104 weeks', 'a third of 12') would leave the claim checked without it: refused, named.
_UNREAD_NUMBER = (
    # A decimal part left behind counts too: 'day 28.5' is read as day 28 only if '.5' is refused.
    # So do digits glued to the end of a word: 'of1/4' and 'in2 of 4' (session 12's probe, A3).
    r"(?<![\d.])\.?\d+(?:\.\d+)?|\b(?:"
    + "|".join([*list(NUMBER_WORDS)[2:], *TENS, "hundred", "thousand", "dozen", "half", "third", "quarter"])
    + r")s?\b"
)

TIME_WORDS: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
    # A bare 'y' only after digits ('2y'): 'eighty' was read as 8 years, 'eight' and 'y' (session 13's probe, FE6).
    (_START + _YEARS_OR_MONTHS + r"[- ]?(?:years?|yrs?|(?<=\d)y)\b", lambda m: f"{_time_number(m.group(1))}y"),
    (_START + _YEARS_OR_MONTHS + r"[- ]?(?:months?|mos?)\b", lambda m: f"{_time_number(m.group(1))}m"),
    # Not 'D-28': in cell-therapy and transplant counting, the 28th day before infusion (a tenth probe's E7).
    (r"\b(?:day|d) ?(\d+)\b", lambda m: f"d{int(m.group(1))}"),
    (
        r"\bafter (?:the )?(" + "|".join(ORDINALS) + r") (?:cycle|course)\b",
        lambda m: f"cycle{ORDINALS[m.group(1)]}",
    ),
    # From 1, as the time-point grammar: 'cycle 0' was read as 'cycle0', which no filter takes (a 500:
    # session 13's probe, FC5); left unread now, it is refused naming it.
    (r"\b(?:after )?cycle ([1-9]\d*)\b(?! ?%)", lambda m: f"cycle{int(m.group(1))}"),
    (r"\bbest (?:overall )?response\b", lambda m: "best"),
)


def _number(word: str) -> int:
    """A count in digits or words ('24', 'twenty four', 'twenty-four', 'seven')."""
    if word.isdigit():
        return int(word)
    return sum(TENS.get(part) or NUMBER_WORDS[part] for part in re.split(r"[- ]", word))


def _plain(value: float) -> str:
    """A claimed number as written in a message: in decimals, never '2e+27' or 'inf' (session 10's probe, L7)."""
    if value > MAX_VALUE:
        return f"over {MAX_VALUE}"
    return f"{value:.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")


def _time_number(word: str) -> str:
    """A time's number as a time point code writes it: '1.5' stays 1.5, '02' is 2, 'two' is 2."""
    if "." in word:
        whole, _, fraction = word.partition(".")
        return f"{int(whole)}.{fraction.rstrip('0')}".rstrip(".")
    return str(_number(word))


@dataclass
class _Reading:
    """The sentence, lower-cased, with each piece blanked out once it has been read."""

    rest: str
    found: dict[str, Any] = field(default_factory=dict)

    def take(self, pattern: str) -> re.Match[str] | None:
        match = re.search(pattern, self.rest)
        if match is not None:
            self.rest = self.rest[: match.start()] + " ; " + self.rest[match.end() :]
        return match

    def take_all(self, words: tuple[tuple[str, Any], ...]) -> list[Any]:
        """Every value whose words occur, in the table's order, each occurrence blanked out. Words start
        at the start of a word: 'complete remission' is not read out of 'incomplete remission' (session 12's
        probe, A1: the 'in' left over is a linking word, and the claim was checked as CR)."""
        values = []
        for pattern, value in words:
            while self.take(r"(?<!\w)(?:" + pattern + ")") is not None:
                if value not in values:
                    values.append(value)
        return values


def _between_words(text: str, at: int) -> bool:
    """Whether the character at `at` has a letter or digit on each side (a hyphen: 'CAR-T', 'RD13-01')."""
    return 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()


def _normalise(text: str) -> str:
    # Compatibility forms as their plain letters (full-width 'not' is 'not'), and no invisible format
    # characters ('n\u200bot' was not 'not'): else a word the reader refuses could be written past it.
    text = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)  # hyphens, dashes, minus
    text = re.sub(r"[\u2018\u2019\u02bc]", "'", text)  # apostrophes, as in "wasn't"
    # A possessive is the word it is glued to ("RD13-01's CR rate", "the study's"), no qualifier: its 's was
    # refused as one (session 14's probe, HA3). Not after a number, which it is no possessive of ("the 70's %"
    # was read as 70%: session 14's third probe, IA2), nor after a word of no letter, unless that word ends a
    # study's name (read_claim takes it with the name: "GIMEMA 1913's").
    text = re.sub(r"(?<!\S)(\S*[^\W\d_]\S*?)'s(?![^\W_])", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(r"[\u201c\u201d]", '"', text)  # quotation marks
    return " " + re.sub(r"\s+", " ", text).lower() + " "


def _one(name: str, values: list[Any], problems: list[ProblemField]) -> Any:
    if len(values) > 1:
        shown = ", ".join(str(v) for v in values)
        problems.append(ProblemField(location="query.text", message=f"more than one {name} ({shown}); name one"))
    return values[0] if values else None


STUDY_NAMES = "claims: study names"
"""What a release's StudyNames are kept under (api.state.Derived)."""


@dataclass(frozen=True)
class StudyNames:
    """The names a sentence may give a study (api.queries.claims.study_names), lower-cased, found in a
    sentence by looking its words up: the cost of reading a claim does not grow with the studies
    (one pattern per name was 1 s a sentence at 27,000 studies: session 11's probe). Built once per release."""

    owners: Mapping[str, str]
    """Each name, lower-cased, and the study it names."""
    longest: int

    @classmethod
    def of(cls, names: Iterable[tuple[str, str]]) -> "StudyNames":
        """From every (name, study) pair. A name names a study only where no other study has it as the reader
        reads it (lower-cased, its forms folded): 'V-Hag' beside another study's 'V-HAG' names neither (session
        14's probe, GA11: one of them was taken, by the order the names came in, and the claim checked against it)."""
        studies: dict[str, set[str]] = {}
        for name, study in names:
            studies.setdefault(_normalise(name).strip(), set()).add(study)
        owners = {name: next(iter(ids)) for name, ids in studies.items() if name and len(ids) == 1}
        return cls(owners, max(map(len, owners), default=0))

    def in_sentence(self, text: str) -> list[str]:
        """The names that occur in text between a start and an end of a word (not inside an id such as
        'rd13-01'), longest first, in the order they are taken."""
        starts = [match.start() for match in re.finditer(r"(?<![\w-])(?=\S)", text)]
        ends = [match.end() for match in re.finditer(r"(?<=\S)(?![\w-])", text)]
        found = set()
        for start in starts:
            for end in ends[bisect.bisect_right(ends, start) : bisect.bisect_right(ends, start + self.longest)]:
                if text[start:end] in self.owners:
                    found.add(text[start:end])
        return sorted(found, key=lambda name: (-len(name), name))


def read_claim(text: str, study_names: StudyNames) -> Claim:
    """The structured claim in a sentence; InvalidInput (422) saying what is missing or ambiguous."""
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(
            "The claim is too long.",
            [ProblemField(location="query.text", message=f"at most {MAX_TEXT_LENGTH} characters")],
        )
    # Only 0-9 are read as digits: an Arabic-Indic 9 in '47.9%' lost the decimals, a full-width 5 in a
    # time was a 500. Looked for before the compatibility forms are folded (a vulgar half becomes 1, a slash, 2).
    foreign = [character for character in dict.fromkeys(text) if character.isnumeric() and not character.isascii()]
    if foreign:
        message = f"{', '.join(map(repr, foreign))}: write numbers in the digits 0-9"
        raise InvalidInput(
            "The claim has a number not written in 0-9.", [ProblemField(location="query.text", message=message)]
        )
    normalised = _normalise(text)
    reading = _Reading(normalised)
    problems: list[ProblemField] = []
    studies = []
    for name in study_names.in_sentence(reading.rest):
        # With its possessive: _normalise leaves the 's after a number ('GIMEMA 1913's'), which here is the end of
        # the study's name, not a number (session 15's probe, JA3: it was refused as a qualifier).
        if reading.take(r"(?<![\w-])" + re.escape(name) + r"(?:'s)?(?![\w-])") is not None:
            studies.append(study_names.owners[name])
    study = _one("study", list(dict.fromkeys(studies)), problems)
    disease = _one("disease", reading.take_all(DISEASE_WORDS), problems)
    times = []
    for pattern, code in TIME_WORDS:
        while (match := reading.take(pattern)) is not None:
            times.append(code(match))
    time_point = _one("time point", list(dict.fromkeys(times)), problems)
    if time_point is not None and re.fullmatch(TIME_POINT_PATTERN, time_point) is None:
        problems.append(ProblemField(location="query.text", message=f"{time_point!r} is no time point"))
        time_point = None

    numerator = denominator = None
    value: float | None = None
    decimals: int | None = None
    unit = ClaimUnit.percent
    numbers: list[str] = []
    while (
        match := reading.take(_START + _COUNT + r" ?(?:/|of|out of) ?" + _COUNT + r"\b(?: patients| pts)?")
    ) is not None:
        numbers.append(match.group(0).strip())
        numerator, denominator = _number(match.group(1)), _number(match.group(2))
        if max(numerator, denominator) > MAX_VALUE:
            value, decimals = _OVER, None  # not divided: a 310-digit count overflows a float
        else:
            value, decimals = round(numerator * 100 / denominator, 6) if denominator else None, None
        if denominator is not None and numerator > denominator:  # 5 of 4: no such count (the ninth probe)
            message = f"{match.group(0).strip()!r}: a count cannot be more than its total"
            problems.append(ProblemField(location="query.text", message=message))
    while (match := reading.take(_START + r"(\d+(?:\.\d+)?) ?(?:%|percent\b|per cent\b)")) is not None:
        numbers.append(match.group(0).strip())
        value, decimals = float(match.group(1)), written_decimals(match.group(1))
    # Not 'children' or 'adults': a count of them says who they were, which the reader cannot place.
    # One too: '1 patient' was refused and '1 patients' read (session 13's probe, FC4).
    counted = _START + _COUNT + r" (?:of the )?(?:patients?|pts?|cases?|subjects?)\b"
    while (match := reading.take(counted)) is not None:
        numbers.append(match.group(0).strip())
        count = _number(match.group(1))
        value, decimals, unit = (float(count) if count <= MAX_VALUE else _OVER), 0, ClaimUnit.patients
    if value is not None and value > MAX_VALUE:
        problems.append(ProblemField(location="query.text", message=f"the number is over {MAX_VALUE}"))
    elif value is not None and unit is ClaimUnit.percent and value > MAX_PERCENT:
        problems.append(ProblemField(location="query.text", message=f"a percentage is at most {MAX_PERCENT}"))
    if decimals is not None and decimals > MAX_DECIMALS:
        problems.append(
            ProblemField(location="query.text", message=f"the number has {decimals} decimals; at most {MAX_DECIMALS}")
        )
    if len(numbers) > 1:
        problems.append(
            ProblemField(location="query.text", message=f"more than one number ({', '.join(numbers)}); claim one")
        )

    measure = _one("measure", reading.take_all(MEASURE_WORDS), problems)
    subgroup = _one("subgroup", reading.take_all(SUBGROUP_WORDS), problems)
    cell_source = _one("cell source", reading.take_all(CELL_SOURCE_WORDS), problems)
    antigen = _one("target antigen", reading.take_all(ANTIGEN_WORDS), problems)
    therapy_class = _one("therapy class", reading.take_all(THERAPY_WORDS), problems)
    agent = _one("agent", reading.take_all(AGENT_WORDS), problems)
    # Left over once every piece is read: a word that turns the claim around ('non-CR', 'not 80%',
    # 'below 80%') would otherwise be dropped, and the claim checked as if it said the opposite.
    # Each word once, and at most MAX_UNREAD_WORDS: 'not ' 125 times was 125 messages (session 12's ninth probe, C8).
    for word in list(dict.fromkeys(re.findall(_TURNING_WORDS, reading.rest)))[:MAX_UNREAD_WORDS]:
        message = f"{word!r} is not read (a negation, a comparison, a hedge or a change): claim the figure itself"
        problems.append(ProblemField(location="query.text", message=message))
    # A minus that is no hyphen between two words or numbers: alone, in parentheses, after a space or a
    # slash ('ETP(-)', 'CD7 -', '- 80%'): a negative the reader cannot place, which it read as its
    # opposite (session 12's ninth probe, C5). Glued to a word's end, it is named with that word below.
    loose = [
        m.start()
        for m in re.finditer("-", normalised)
        if not _between_words(normalised, m.start()) and not normalised[m.start() - 1].isalnum()
    ]
    if loose:
        message = "'-' is not read (a minus or a dash that is no hyphen: a negative, a range or an aside): leave it out"
        problems.append(ProblemField(location="query.text", message=message))
    for word, sign in dict.fromkeys(re.findall(_GLUED_SIGN, normalised)):
        if sign == "-" or not re.fullmatch(_ANTIGEN_NAMES, word):
            what = "a negative, such as CD7- for CD7-negative" if sign == "-" else "a bound, such as 2-year+"
            message = f"{word + sign!r} is not read ({what}): claim the figure itself"
            problems.append(ProblemField(location="query.text", message=message))
    for sign in dict.fromkeys(re.findall(_BOUND_SIGNS, normalised)):
        message = f"{sign.replace(' ', '')!r} is not read (a comparison, a bound or a range): claim the figure itself"
        problems.append(ProblemField(location="query.text", message=message))
    for number in dict.fromkeys(re.findall(_UNREAD_NUMBER, reading.rest)):
        message = (
            f"{number!r} is not read (a number the reader cannot place: a time, count or range it does not know): "
            "leave it out or write it as 2-year, 6-month, day 28 or N patients"
        )
        problems.append(ProblemField(location="query.text", message=message))
    for word in dict.fromkeys(re.findall(_UNREAD_TIME, reading.rest)):
        message = f"{word!r} is not read (a time the reader cannot place): write it as 2-year, 18-month or day 28"
        problems.append(ProblemField(location="query.text", message=message))
    for unread in dict.fromkeys(re.findall(r"(?<!\S)\S*%", reading.rest)):
        message = f"{unread!r} is not read (a second percentage, or a range): claim one figure"
        problems.append(ProblemField(location="query.text", message=message))
    said = " ".join(problem.message for problem in problems)
    unknown = [
        word
        for word in dict.fromkeys(re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", reading.rest))
        if word not in LINKING_WORDS and repr(word) not in said
    ]
    # And no sign but the punctuation of a sentence: '>', '±', '!=', '?', an angle quote were dropped.
    signs = [c for c in dict.fromkeys(reading.rest) if not (c.isalnum() or c.isspace() or c in _PUNCTUATION)]
    for sign in signs[:MAX_UNREAD_WORDS]:
        if repr(sign) not in said:
            comparison = unicodedata.category(sign) == "Sm"  # a math symbol: '>', '≧', '±', '~'
            why = "a comparison, a bound or a range" if comparison else "a sign the reader does not take"
            message = f"{sign!r} is not read ({why}): claim the figure itself"
            problems.append(ProblemField(location="query.text", message=message))
    for word in unknown[:MAX_UNREAD_WORDS]:
        message = (
            f"{word!r} is not read (a qualifier the reader cannot place): leave it out, or give the claim's parts "
            "(measure, value, study, subgroup, ...)"
        )
        problems.append(ProblemField(location="query.text", message=message))

    if measure is None:
        problems.append(
            ProblemField(location="query.text", message="no measure found (e.g. CR, CR/CRi, ORR, 2-year OS, EFS)")
        )
    if value is None:
        problems.append(
            ProblemField(location="query.text", message="no number found (a percentage, 'N patients' or 'N/M')")
        )
    if not any((study, agent, antigen, therapy_class, disease, cell_source)):
        problems.append(
            ProblemField(
                location="query.text",
                message="no scope found: name a study (its id or acronym), an agent, a target antigen, "
                "a therapy class or a disease",
            )
        )
    if problems:
        found = {
            "measure": measure,
            "number": value,
            "unit": unit if value is not None else None,
            "time point": time_point,
            "subgroup": subgroup,
            "study": study,
            "agent": agent,
            "target antigen": antigen,
            "therapy class": therapy_class,
            "cell source": cell_source,
            "disease": disease,
        }
        understood = ", ".join(
            f"{name} {_plain(v)}" if isinstance(v, float) else f"{name} {v}" for name, v in found.items() if v
        )
        raise InvalidInput(
            f"The claim could not be read completely from {text!r}. Understood: {understood or 'nothing'}.", problems
        )
    return Claim(
        measure=measure,
        value=value,  # type: ignore[arg-type]  # checked above
        decimals=decimals,
        unit=unit,
        numerator=numerator,
        denominator=denominator,
        time_point=time_point,
        subgroup=subgroup,
        study=study,
        arm=None,
        agent=agent,
        target_antigen=antigen,
        therapy_class=therapy_class,
        cell_source=cell_source,
        disease=disease,
        text=text,
    )
