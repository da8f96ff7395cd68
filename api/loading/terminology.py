"""Reading the verified code list and the codes each term carries; every problem names file and field."""

import csv
from pathlib import Path

import yaml

from api.loading.fixture_files import FixtureError, FixtureIssue
from models.terminology import CODED_VOCABULARIES, Codes, Terminology

TERMINOLOGY_COLUMNS = ("concept", "category", "system", "code", "label_in_source", "verified_from")

# The code systems of terminology.csv that become CURIEs, and their prefix. MONDO, HGNC ID and
# ChEBI codes are written as CURIEs already; ICD-O, OncoTree, HGNC symbols and grading schemes
# are left out (shared by several concepts, or not identifiers).
PREFIXES = {
    "NCIt": "NCIT:",
    "MONDO": "",
    "HGNC ID": "",
    "ChEBI": "",
    "DrugBank": "DRUGBANK:",
    "RxNorm": "RXNORM:",
    "MedDRA": "MEDDRA:",
    "CTCAE v5.0 term / MedDRA code": "MEDDRA:",
    "CTCAE v6.0 term / MedDRA 28.0 LLT": "MEDDRA:",
}


def verified_codes(path: Path, label: str) -> tuple[dict[str, str], list[FixtureIssue]]:
    """CURIE -> provenance of every code in the verified list."""
    issues: list[FixtureIssue] = []
    found: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if tuple(reader.fieldnames or ()) != TERMINOLOGY_COLUMNS:
            return {}, [FixtureIssue(label, "(header)", f"columns must be {', '.join(TERMINOLOGY_COLUMNS)}")]
        for line, row in enumerate(reader, start=2):
            if not row["code"] or not row["system"] or not row["verified_from"]:
                issues.append(FixtureIssue(label, f"line {line}", "system, code and verified_from must be given"))
                continue
            prefix = PREFIXES.get(row["system"])
            if prefix is not None:
                found[prefix + row["code"]] = row["verified_from"]
    return found, issues


def read_terminology(terminology_file: Path, term_codes_file: Path) -> Terminology:
    """The codes each term carries, checked: known vocabularies and terms, only verified CURIEs."""
    list_label, map_label = f"seeds/{terminology_file.name}", f"seeds/{term_codes_file.name}"
    missing = [FixtureIssue(str(p), "", "not found") for p in (terminology_file, term_codes_file) if not p.is_file()]
    if missing:
        raise FixtureError(missing)
    verified, issues = verified_codes(terminology_file, list_label)
    try:
        mapping = yaml.safe_load(term_codes_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise FixtureError([FixtureIssue(map_label, "", f"not valid YAML: {error}")]) from None
    codes: dict[str, Codes] = {}
    if not isinstance(mapping, dict):
        raise FixtureError([FixtureIssue(map_label, "", "must map vocabularies to terms to lists of codes")])
    for vocabulary, terms in mapping.items():
        enum = CODED_VOCABULARIES.get(str(vocabulary))
        if enum is None:
            issues.append(FixtureIssue(map_label, str(vocabulary), f"not one of {', '.join(CODED_VOCABULARIES)}"))
            continue
        codes[vocabulary] = {}
        for term, curies in (terms or {}).items():
            where = f"{vocabulary}.{term}"
            if str(term) not in {e.value for e in enum}:
                issues.append(FixtureIssue(map_label, where, f"not a {vocabulary} of the vocabulary"))
            elif not isinstance(curies, list) or not all(isinstance(c, str) for c in curies):
                issues.append(FixtureIssue(map_label, where, "must be a list of CURIEs"))
            else:
                unverified = [c for c in curies if c not in verified]
                if unverified:
                    issues.append(FixtureIssue(map_label, where, f"not in {list_label}: {', '.join(unverified)}"))
                codes[vocabulary][str(term)] = [c for c in curies if c in verified]
    if issues:
        raise FixtureError(issues)
    used = {c for terms in codes.values() for curies in terms.values() for c in curies}
    return Terminology(codes=codes, verified_from={c: verified[c] for c in used})
