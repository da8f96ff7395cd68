"""Reading the verified code list and the codes each term carries; every problem names file and field."""

import csv
import io
from pathlib import Path

from api.loading.fixture_files import FixtureError, FixtureIssue, read_yaml_data, regular_file_bytes, utf8_text
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


def verified_codes(text: str, label: str) -> tuple[dict[str, str], list[FixtureIssue]]:
    """CURIE -> provenance of every code in the verified list (text: the CSV file's contents), and the
    rows that lack one; FixtureError when the file is no such list (the codes would all read as unverified)."""
    issues: list[FixtureIssue] = []
    found: dict[str, str] = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if tuple(reader.fieldnames or ()) != TERMINOLOGY_COLUMNS:
            raise FixtureError([FixtureIssue(label, "(header)", f"columns must be {', '.join(TERMINOLOGY_COLUMNS)}")])
        for row in reader:
            if not row["code"] or not row["system"] or not row["verified_from"]:
                issues.append(
                    FixtureIssue(label, f"line {reader.line_num}", "system, code and verified_from must be given")
                )
                continue
            prefix = PREFIXES.get(row["system"])
            if prefix is not None:
                found[prefix + row["code"]] = row["verified_from"]
    except csv.Error as error:  # e.g. a field over the csv module's limit, a NUL byte
        raise FixtureError([FixtureIssue(label, f"line {reader.line_num}", f"not valid CSV: {error}")]) from None
    return found, issues


def read_terminology(terminology_file: Path, term_codes_file: Path, *, max_bytes: int) -> Terminology:
    """The codes each term carries, checked: known vocabularies and terms, only verified CURIEs.

    Both files are read under the fixtures' guards (a regular file, at most max_bytes, UTF-8; the
    YAML without aliases, repeated keys or deep nesting); each problem names the file and its setting.
    """
    list_label = f"{terminology_file} (TALL_TERMINOLOGY_FILE)"
    map_label = f"{term_codes_file} (TALL_TERM_CODES_FILE)"
    # An unreadable list is reported alone: every code would otherwise be reported as unverified.
    text = utf8_text(regular_file_bytes(terminology_file, list_label, max_bytes=max_bytes), list_label)
    verified, issues = verified_codes(text, list_label)
    try:
        mapping = read_yaml_data(term_codes_file, map_label, max_bytes=max_bytes)
    except FixtureError as exc:
        raise FixtureError(issues + exc.issues) from None
    codes: dict[str, Codes] = {}
    for vocabulary, terms in mapping.items():
        enum = CODED_VOCABULARIES.get(str(vocabulary))
        if enum is None:
            issues.append(FixtureIssue(map_label, str(vocabulary), f"not one of {', '.join(CODED_VOCABULARIES)}"))
            continue
        if not isinstance(terms, dict | None):
            issues.append(FixtureIssue(map_label, str(vocabulary), "must map terms to lists of CURIEs"))
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
                    issues.append(FixtureIssue(map_label, where, f"not in {terminology_file}: {', '.join(unverified)}"))
                codes[vocabulary][str(term)] = [c for c in curies if c in verified]
    if issues:
        raise FixtureError(issues)
    used = {c for terms in codes.values() for curies in terms.values() for c in curies}
    return Terminology(codes=codes, verified_from={c: verified[c] for c in used})
