"""The broken-fixture corpus: each case corrupts a private copy of the real fixtures in one way.

A case names the fault, how to make it, and the file, field path and words the error must
carry. The tests run every case through `validate` and through application start-up.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.settings import PROJECT_ROOT
from tests.fixture_data import dump_yaml, read_yaml

BASE = "jplsg-t11"
BASE_FILE = f"fixtures/studies/{BASE}.yaml"
BASE_SOURCE = "002_34437a4f0dbbef9f"  # the document the base study's figures and report come from
OTHER_SOURCE = "004_76887cb5a060c388"  # another document in the seed registry


@dataclass(frozen=True)
class Fault:
    name: str
    apply: Callable[[Path, Path], None]  # (fixtures dir, seed registry)
    file: str
    path: str
    words: str


def _edit_study(change: Callable[[dict[str, Any]], None]) -> Callable[[Path, Path], None]:
    def apply(fixtures: Path, _registry: Path) -> None:
        path = fixtures / "studies" / f"{BASE}.yaml"
        data = read_yaml(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(dump_yaml(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return apply


def _write(relative: str, content: bytes) -> Callable[[Path, Path], None]:
    def apply(fixtures: Path, _registry: Path) -> None:
        (fixtures / relative).write_bytes(content)

    return apply


def _set(section: str, index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[section][index][key] = value

    return change


def _outcome(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["outcomes"].append(
            {
                "id": "added",
                "measure": "cr",
                "printed": "x",
                "source_id": "002_34437a4f0dbbef9f",
                "locator": "nowhere",
                **fields,
            }
        )

    return change


def _second_arm(n: int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["arms"].append({"id": "second", "label": "Second arm", "n": n})

    return change


def _subgroup_sizes(t_all: int, t_lbl: int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        sizes = (("Patients with T-ALL (subgroup size)", t_all), ("Patients with T-LBL (subgroup size)", t_lbl))
        for label, value in sizes:
            data["characteristics"].append(
                {
                    "id": f"added-{value}",
                    "label": label,
                    "value": value,
                    "unit": "patients",
                    "printed": str(value),
                    "source_id": "002_34437a4f0dbbef9f",
                    "locator": "nowhere",
                }
            )

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[key]

    return change


def _duplicate_outcome(data: dict[str, Any]) -> None:
    # A deep copy: a shared nested list (e.g. `inferred`) would be dumped as a YAML alias, another fault.
    data["outcomes"].append(copy.deepcopy(data["outcomes"][0]))


def _copy_study_as(name: str) -> Callable[[Path, Path], None]:
    def apply(fixtures: Path, _registry: Path) -> None:
        (fixtures / "studies" / name).write_bytes((fixtures / "studies" / f"{BASE}.yaml").read_bytes())

    return apply


def _huge(fixtures: Path, _registry: Path) -> None:
    (fixtures / "studies" / "huge.yaml").write_bytes(b"id: huge\n" + b"# padding\n" * 300_000)


def _edit_text(*replacements: tuple[str, str]) -> Callable[[Path, Path], None]:
    """Edit the study file as text, for faults yaml.safe_dump cannot write (repeated keys, aliases)."""

    def apply(fixtures: Path, _registry: Path) -> None:
        path = fixtures / "studies" / f"{BASE}.yaml"
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, f"the base study no longer contains {old!r}"
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")

    return apply


def _second_arm_named(arm_id: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["arms"].append({"id": arm_id, "label": "Second arm", "n": 1})

    return change


def _chain(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for one in changes:
            one(data)

    return change


def _append(section: str, entry: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data.setdefault(section, []).append({"source_id": OTHER_SOURCE, "locator": "nowhere", **entry})

    return change


def _laughs(fixtures: Path, _registry: Path) -> None:
    # 'Billion laughs': nine levels of nine aliases, a few hundred bytes that expand to 9**9 strings.
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    (fixtures / "studies" / "laughs.yaml").write_text("\n".join(["id: laughs", *lines]) + "\n", encoding="utf-8")


def _bad_registry(fixtures: Path, registry: Path) -> None:
    data = read_yaml(registry.read_text(encoding="utf-8"))
    data["sources"][0]["sha256"] = "not-a-checksum"
    registry.write_text(dump_yaml(data, sort_keys=False), encoding="utf-8")


FAULTS: list[Fault] = [
    Fault(
        "yaml syntax error",
        _write("studies/broken.yaml", b"id: broken\noutcomes: [\n"),
        "fixtures/studies/broken.yaml",
        "",
        "YAML syntax error",
    ),
    Fault("empty file", _write("studies/empty.yaml", b""), "fixtures/studies/empty.yaml", "", "empty"),
    Fault(
        "wrong encoding",
        _write("studies/latin1.yaml", "id: caf\xe9\n".encode("latin-1")),
        "fixtures/studies/latin1.yaml",
        "",
        "not UTF-8",
    ),
    Fault(
        "top level is a list", _write("studies/list.yaml", b"- a\n- b\n"), "fixtures/studies/list.yaml", "", "mapping"
    ),
    Fault(
        "not a fixture file",
        _write("studies/notes.txt", b"hello"),
        "fixtures/studies/notes.txt",
        "",
        "not a study fixture",
    ),
    Fault("unknown top-level file", _write("extra.yaml", b"a: 1\n"), "fixtures/extra.yaml", "", "not a fixture file"),
    Fault("huge file", _huge, "fixtures/studies/huge.yaml", "", "over the"),
    Fault("missing required field", _edit_study(_drop("design")), BASE_FILE, "design", "Field required"),
    Fault(
        "wrong type",
        _edit_study(_set("outcomes", 0, "numerator", "fifty-six")),
        BASE_FILE,
        "outcomes[0].numerator",
        "integer",
    ),
    Fault(
        "boolean given as a string",
        _edit_study(_set("outcomes", 0, "derived", "yes")),
        BASE_FILE,
        "outcomes[0].derived",
        "boolean",
    ),
    Fault(
        "unknown enum value",
        _edit_study(_set("outcomes", 0, "measure", "complete_response")),
        BASE_FILE,
        "outcomes[0].measure",
        "Input should be",
    ),
    Fault(
        "unknown field", _edit_study(_set("outcomes", 0, "valeu", 3)), BASE_FILE, "outcomes[0].valeu", "Extra inputs"
    ),
    Fault(
        "bad time point",
        _edit_study(_set("outcomes", 0, "time_point", "three years")),
        BASE_FILE,
        "outcomes[0].time_point",
        "pattern",
    ),
    Fault("duplicate id", _edit_study(_duplicate_outcome), BASE_FILE, "outcomes", "used 2 times"),
    Fault(
        "duplicate study id", _copy_study_as("zz-copy.yaml"), "fixtures/studies/zz-copy.yaml", "id", "file name stem"
    ),
    Fault(
        "dangling arm reference",
        _edit_study(_set("outcomes", 0, "arm", "no-such-arm")),
        BASE_FILE,
        "outcomes[0].arm",
        "no arm 'no-such-arm'",
    ),
    Fault(
        "dangling report reference",
        _edit_study(_set("outcomes", 0, "report", "no-such-report")),
        BASE_FILE,
        "outcomes[0].report",
        "no report",
    ),
    Fault(
        "dangling source reference",
        _edit_study(_set("outcomes", 0, "source_id", "999_0000000000000000")),
        BASE_FILE,
        "outcomes[0].source_id",
        "unknown source",
    ),
    Fault(
        "dangling study reference",
        _edit_study(lambda d: d.update(related_studies=[{"study": "no-such-study", "relation": "same_study"}])),
        BASE_FILE,
        "related_studies[0].study",
        "unknown study",
    ),
    Fault(
        "dangling conflict reference",
        _edit_study(_set("outcomes", 0, "conflict_ids", ["no-such-conflict"])),
        BASE_FILE,
        "outcomes[0].conflict_ids[0]",
        "unknown conflict",
    ),
    Fault("percentage over 100", _edit_study(_outcome(value=120)), BASE_FILE, "outcomes[4].value", "outside 0-100"),
    # Session 11's third probe (T4): a value that is not the number its printed words show was served under them.
    Fault(
        "value not the number printed",
        _edit_study(_outcome(value=81, printed="CR: 80%")),
        BASE_FILE,
        "outcomes[4].value",
        "81 is not a number its printed words show (80)",
    ),
    Fault(
        "numerator over denominator",
        _edit_study(_outcome(value=50, numerator=7, denominator=5)),
        BASE_FILE,
        "outcomes[4].numerator",
        "exceeds",
    ),
    # Session 10's second probe: in patients (not a percentage) the counts were never compared.
    Fault(
        "numerator over denominator in patients",
        _edit_study(_outcome(value=7, unit="patients", numerator=7, denominator=5)),
        BASE_FILE,
        "outcomes[4].numerator",
        "numerator 7 exceeds denominator 5",
    ),
    Fault(
        "a denominator of 0",
        _edit_study(_outcome(value=4, unit="patients", numerator=4, denominator=0)),
        BASE_FILE,
        "outcomes[4].denominator",
        "denominator is 0",
    ),
    Fault(
        "percentage inconsistent with counts",
        _edit_study(_outcome(value=50.0, numerator=3, denominator=7)),
        BASE_FILE,
        "outcomes[4].value",
        "does not match 3/7",
    ),
    Fault(
        "negative count",
        _edit_study(_outcome(value=10, numerator=-1, denominator=10)),
        BASE_FILE,
        "outcomes[4].numerator",
        "greater than or equal to 0",
    ),
    Fault(
        "derived without derivation",
        _edit_study(_outcome(value=10, derived=True)),
        BASE_FILE,
        "outcomes[4].derivation",
        "derived",
    ),
    Fault("figure with no value", _edit_study(_outcome()), BASE_FILE, "outcomes[4].value", "needs a value"),
    Fault(
        "study id differs from file name",
        _edit_study(lambda d: d.update(id="other-name")),
        BASE_FILE,
        "id",
        "file name stem",
    ),
    Fault("bad checksum in the seed registry", _bad_registry, "seeds/sources.yaml", "sources[0].sha256", "pattern"),
    Fault(
        "conflict with no members",
        _write(
            "conflicts.yaml", b"conflicts:\n  - {id: orphan, kind: within_document, description: nothing joins it}\n"
        ),
        "fixtures/conflicts.yaml",
        "conflicts[0]",
        "no figure referring to it",
    ),
    # Session 14's probe (GA10): ids that map to one FHIR id took the whole FHIR face down (a 500 on
    # every read and search), and validate accepted them.
    Fault(
        "an outcome and an adverse event of one id",
        _edit_study(
            _append(
                "adverse_events",
                {
                    "id": "cr-cri",
                    "term": "fever",
                    "patients": 1,
                    "printed": "x",
                    "source_id": BASE_SOURCE,
                    "locator": "x",
                },
            )
        ),
        BASE_FILE,
        "id",
        f"FHIR Evidence id '{BASE}.cr-cri' is given to outcome 'cr-cri' and to adverse event 'cr-cri': rename one",
    ),
    Fault(
        "an arm named as another arm's subgroup",
        _edit_study(
            _chain(
                _second_arm_named("nelarabine-l-asp-in-t-all"),
                _outcome(arm="nelarabine-l-asp", subgroup="t_all", value=1, unit="percent"),
            )
        ),
        BASE_FILE,
        "id",
        f"FHIR Group id 'group-{BASE}.nelarabine-l-asp-in-t-all' is given to arm 'nelarabine-l-asp-in-t-all'",
    ),
    Fault(
        "grade_min above grade_max",
        _edit_study(
            _append(
                "adverse_events",
                {"id": "fever", "term": "fever", "grade_min": 3, "grade_max": 2, "patients": 1, "printed": "x"},
            )
        ),
        BASE_FILE,
        "adverse_events[0].grade_max",
        "below grade_min",
    ),
    Fault(
        "dangling arm reference on a CAR product",
        _edit_study(
            _append(
                "car_products",
                {
                    "id": "car",
                    "name": "CAR-X",
                    "target_antigens": ["CD7"],
                    "cell_source": "autologous",
                    "fratricide_strategy": "not_stated",
                    "arm": "no-such-arm",
                },
            )
        ),
        BASE_FILE,
        "car_products[0].arm",
        "no arm 'no-such-arm'",
    ),
    Fault(
        "figure citing a report from another document",
        _edit_study(_set("outcomes", 0, "source_id", OTHER_SOURCE)),
        BASE_FILE,
        "outcomes[0].source_id",
        f"is from {BASE_SOURCE}, not {OTHER_SOURCE}",
    ),
    Fault(
        "dangling study source reference",
        _edit_study(lambda d: d.update(source_id="999_0000000000000000")),
        BASE_FILE,
        "source_id",
        "unknown source",
    ),
    Fault(
        "repeated key",
        _edit_text(("    value: 90.3\n", "    value: 90.3\n    value: 12.5\n")),
        BASE_FILE,
        "outcomes[0].value",
        "duplicate key 'value'",
    ),
    Fault(
        "yaml alias",
        _edit_text(
            ("locator: \"Section 'Nelarabine", "locator: &where \"Section 'Nelarabine"),
            ("    locator: \"Section 'Nelarabine-based treatment', paragraph 2\"\n", "    locator: *where\n"),
        ),
        BASE_FILE,
        "outcomes[0].locator",
        "aliases",
    ),
    Fault("alias bomb", _laughs, "fixtures/studies/laughs.yaml", "a1[0]", "aliases"),
    # A fresh probe of issue 21: each was a traceback, the file named nowhere.
    Fault(
        "impossible date",
        _write("studies/when.yaml", b"id: when\nreports:\n  - year: 2024\n    published: 2024-02-30\n"),
        "fixtures/studies/when.yaml",
        "reports[0].published",
        "line 4: '2024-02-30' cannot be read as a date: day is out of range for month",
    ),
    Fault(
        "integer tag on text",
        _write("studies/tagged.yaml", b"id: tagged\nn_enrolled: !!int abc\n"),
        "fixtures/studies/tagged.yaml",
        "n_enrolled",
        "'abc' cannot be read as an integer",
    ),
    # Session 11's second probe (Q11): these constructors fail otherwise (AttributeError, KeyError): tracebacks.
    Fault(
        "date tag on text",
        _write("studies/tagged.yaml", b"id: tagged\nreports:\n  - year: !!timestamp 2022\n"),
        "fixtures/studies/tagged.yaml",
        "reports[0].year",
        "line 3: '2022' cannot be read as a date: it is not one",
    ),
    Fault(
        "a date as a key",
        _write("studies/keyed.yaml", b"id: keyed\nextra:\n  2024-01-01: x\n"),
        "fixtures/studies/keyed.yaml",
        "extra.2024-01-01",
        "the key '2024-01-01' is read as a YAML date, not text: quote it",
    ),
    Fault(
        "boolean tag on text",
        _write("studies/tagged.yaml", b"id: tagged\nn_enrolled: !!bool maybe\n"),
        "fixtures/studies/tagged.yaml",
        "n_enrolled",
        "line 2: 'maybe' cannot be read as a YAML bool: it is not one",
    ),
    # Session 10's probe (P8): YAML 1.1 read these as other numbers, silently (1:30 as 90).
    *(
        Fault(
            f"integer written {form}",
            _write("studies/form.yaml", b"id: form\nn_enrolled: " + written.encode() + b"\n"),
            "fixtures/studies/form.yaml",
            "n_enrolled",
            f"{written!r} (line 2) is a YAML 1.1 number form; write it in decimal digits",
        )
        for form, written in (("in base 60", "1:30"), ("in hex", "0x10"), ("in octal", "010"), ("with _", "1_0"))
    ),
    Fault(
        "integer of 5,000 digits",
        _write("studies/digits.yaml", b"id: digits\nn_enrolled: 1" + b"0" * 4999 + b"\n"),
        "fixtures/studies/digits.yaml",
        "n_enrolled",
        "cannot be read as an integer: Exceeds the limit (4300 digits) for integer string conversion",
    ),
    Fault(
        "nesting too deep",
        _write("studies/deep.yaml", b"id: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"),
        "fixtures/studies/deep.yaml",
        "",
        "nested too deeply",
    ),
    Fault(
        "not-a-number value",
        _edit_study(_set("characteristics", 0, "value", float("nan"))),
        BASE_FILE,
        "characteristics[0].value",
        "not a finite number",
    ),
    Fault(
        "infinite value",
        _edit_study(_set("outcomes", 1, "value", float("inf"))),
        BASE_FILE,
        "outcomes[1].value",
        "not a finite number",
    ),
    Fault(
        "integer too large for the database",
        _edit_study(_set("arms", 0, "n", 3_000_000_000)),
        BASE_FILE,
        "arms[0].n",
        "outside the range the database stores",
    ),
    Fault(
        "NUL character in text",
        _edit_study(_set("findings", 0, "statement", "before\x00after")),
        BASE_FILE,
        "findings[0].statement",
        "NUL character",
    ),
    Fault(
        "lone surrogate in text",
        _edit_text(("acronym: JPLSG T-11/JALSG T-ALL-211-U\n", 'acronym: "JPLSG \\ud800"\n')),
        BASE_FILE,
        "acronym",
        "lone surrogate",
    ),
    Fault(
        "negative duration",
        _edit_study(_outcome(measure="os", unit="months", value=-3.0)),
        BASE_FILE,
        "outcomes[4].value",
        "cannot be negative",
    ),
    # Consistency checks across figures: an unrecorded inconsistency is an error.
    Fault(
        "EFS above OS for the same arm and time point, unrecorded",
        _edit_study(_outcome(arm="nelarabine-l-asp", measure="efs", time_point="3y", value=99.0)),
        BASE_FILE,
        "outcomes[4]",
        "above OS",
    ),
    Fault(
        "same figure printed twice with different values, unrecorded",
        _edit_study(
            _outcome(arm="nelarabine-l-asp", report="ash2022-abstract-54", measure="os", time_point="3y", value=99.0)
        ),
        BASE_FILE,
        "outcomes[2]",
        "printed twice with different values",
    ),
    Fault(
        "second arm whose size does not add up to the enrolment",
        _edit_study(_second_arm(n=5)),
        BASE_FILE,
        "arms",
        "arm sizes add up to 67",
    ),
    Fault(
        "T-ALL and T-LBL subgroups that do not add up to the enrolment",
        _edit_study(_subgroup_sizes(50, 10)),
        BASE_FILE,
        "characteristics[2]",
        "add up to 60",
    ),
]


# --- every kind of fixture entry: an unknown field, a wrong enum value, a value of the wrong type ---
# Each entry type is reached where the curated data first hold one (a study file's lists, the seed
# registry, the conflicts and epidemiology files), so the corpus follows the data as it grows.

STUDY_LISTS = ("reports", "arms", "car_products", "outcomes", "adverse_events", "characteristics", "findings")
STUDY_LISTS += ("related_studies",)


def _first_study_with(section: str, nested: str | None = None) -> str:
    for path in sorted((PROJECT_ROOT / "fixtures" / "studies").glob("*.yaml")):
        data = read_yaml(path.read_text(encoding="utf-8"))
        if data.get(section) and (nested is None or data[section][0].get(nested)):
            return path.name
    raise AssertionError(f"no curated study has {section}{'.' + nested if nested else ''}")


def _set_entry(file: str, steps: tuple[str | int, ...], key: str, value: Any) -> Callable[[Path, Path], None]:
    """Set key on the entry reached by steps (keys and list indexes) in a fixture file or the registry."""

    def apply(fixtures: Path, registry: Path) -> None:
        path = registry if file == "seeds/sources.yaml" else fixtures / file
        data = read_yaml(path.read_text(encoding="utf-8"))
        entry = data
        for step in steps:
            entry = entry[step]
        entry[key] = value
        path.write_text(dump_yaml(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return apply


def _entry_path(steps: tuple[str | int, ...], key: str) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return f"{out}.{key}" if out else key


@dataclass(frozen=True)
class EntryType:
    name: str
    file: str  # relative to the project: fixtures/... or seeds/sources.yaml
    steps: tuple[str | int, ...]
    enum: tuple[str, str] | None  # (field, a value it does not take), when the entry has an enum field
    wrong_type: tuple[str, Any, str]  # (field, a value of another type, words of the error)


def _study(section: str, nested: str | None = None) -> tuple[str, tuple[str | int, ...]]:
    file = "fixtures/studies/" + _first_study_with(section, nested)
    return file, ((section, 0, nested, 0) if nested else (section, 0))


ENTRY_TYPES = [
    EntryType("study", BASE_FILE, (), ("design", "not_a_design"), ("n_enrolled", "many", "integer")),
    EntryType("report", *_study("reports"), None, ("year", "last year", "integer")),
    EntryType("arm", *_study("arms"), None, ("n", [3], "integer")),
    EntryType("intervention", *_study("arms", "interventions"), ("role", "hero"), ("schedule", ["x"], "string")),
    EntryType("CAR product", *_study("car_products"), ("cell_source", "moon"), ("name", {"a": 1}, "string")),
    EntryType("outcome", *_study("outcomes"), ("qualifier", "roughly"), ("occurrence", "first", "integer")),
    EntryType("adverse event", *_study("adverse_events"), ("term", "bad_day"), ("patients", "some", "integer")),
    EntryType("characteristic", *_study("characteristics"), ("qualifier", "roughly"), ("value", "high", "number")),
    EntryType("finding", *_study("findings"), ("category", "gossip"), ("statement", ["x"], "string")),
    EntryType("related study", *_study("related_studies"), ("relation", "cousin"), ("note", ["x"], "string")),
    EntryType("inference", *_study("outcomes"), None, ("reason", ["x"], "string")),
    EntryType("source", "seeds/sources.yaml", ("sources", 0), ("kind", "tweet"), ("year", "recent", "integer")),
    EntryType(
        "conflict", "fixtures/conflicts.yaml", ("conflicts", 0), ("kind", "feud"), ("description", [1], "string")
    ),
    EntryType(
        "epidemiology figure",
        "fixtures/epidemiology.yaml",
        ("figures", 0),
        ("disease", "flu"),
        ("derived", "yes", "boolean"),
    ),
    EntryType("seed registry", "seeds/sources.yaml", (), None, ("sources", "all of them", "array")),
    EntryType("conflicts file", "fixtures/conflicts.yaml", (), None, ("conflicts", "none", "array")),
    EntryType("epidemiology file", "fixtures/epidemiology.yaml", (), None, ("figures", "none", "array")),
]


def _entry_faults(entry: EntryType) -> list[Fault]:
    file_key = entry.file.removeprefix("fixtures/")
    steps = entry.steps
    faults = []
    base = None
    if entry.name == "inference":  # the first outcome's first `inferred` item, given one
        steps = (*steps, "inferred", 0)
        base = _set_entry(file_key, entry.steps, "inferred", [{"field": "value", "reason": "curators' reading"}])

    def with_base(change: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
        if base is None:
            return change

        def apply(fixtures: Path, registry: Path) -> None:
            base(fixtures, registry)
            change(fixtures, registry)

        return apply

    cases = [("unknown field", "zz_unknown", "text", "Extra inputs")]
    if entry.enum is not None:
        cases.append(("wrong enum", entry.enum[0], entry.enum[1], "Input should be"))
    cases.append(("wrong type", entry.wrong_type[0], entry.wrong_type[1], entry.wrong_type[2]))
    for fault, key, value, words in cases:
        faults.append(
            Fault(
                f"{entry.name}: {fault}",
                with_base(_set_entry(file_key, steps, key, value)),
                entry.file,
                _entry_path(steps, key),
                words,
            )
        )
    return faults


ENTRY_FAULTS = [fault for entry in ENTRY_TYPES for fault in _entry_faults(entry)]
FAULTS += ENTRY_FAULTS
