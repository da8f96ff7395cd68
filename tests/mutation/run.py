"""Mutation testing of the modules users depend on most, with mutmut 3, one group at a time.

    python -m tests.mutation.run [GROUP ...] [--changed-since REF] [--budget SECONDS] [--max-children N]

Each group names the modules to mutate and the few fast test files that cover them, so a mutant
runs those tests (in a fork of an already warm process) instead of the whole suite. mutmut runs in
a scratch directory per group (.mutation/GROUP, ignored by git): it copies the code there, mutates
it, runs the group's tests once to learn which test reaches which function, then runs only those
tests against each mutant. The scratch directory remembers results, so a second run only tests
the functions that changed.

Every surviving mutant is in tests/mutation/survivors.toml, matched by module, function and the
lines it changes: `equivalent` (the same behaviour whatever the input, with the reason),
`unreachable` (code that runs only at import, before mutmut switches a mutant on; the reason names
what checks that code), or `open` (a test that kills it is still to be written). A survivor the file does not list fails
the run; `--record` rewrites the open entries of the modules run from what survived. Scores
(killed / every mutant neither equivalent nor unreachable) go to tests/mutation/scores.json; docs/testing-mutation.md
quotes them.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RECORD = HERE / "survivors.toml"
SCORES = HERE / "scores.json"
SCRATCH = ROOT / ".mutation"


@dataclass(frozen=True)
class Group:
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    timeout_multiplier: float = 3.0
    """mutmut stops a mutant after (timeout_constant + its tests' call time) x this, in wall-clock seconds, and
    counts it killed: a group whose surviving mutants run many tests on a shared machine needs more."""
    timeout_constant: float = 20.0
    """Seconds added to the tests' call time before the multiplier: 20 s covers the set-up the call time leaves
    out (an app built per test); a group whose tests build nothing can stop a looping mutant sooner."""
    exclude: tuple[str, ...] = ()
    """Modules the patterns match that another group mutates with tests of its own."""

    def module_paths(self) -> list[str]:
        return [m for m in existing(self.modules) if m not in self.exclude]

    def covers(self, path: str) -> bool:
        return path not in self.exclude and any(Path(path).match(p) or path == p for p in self.modules)


# The tests that check what the FHIR mapping says exactly: pure functions, or the index built afresh per
# test from the session's app (1 s once, then 0.2 s a test), none of the fhir group's search and HTTP tests.
FHIR_MAPPING_TESTS = (
    "tests/render/test_fhir.py",
    "tests/fhir/test_mapping_exact.py",
    "tests/fhir/test_ebm_profiles.py",
    "tests/fhir/test_inferred_study_fields.py",
    "tests/fhir/test_search_index.py",
    "tests/fhir/test_pooled_evidence.py",
    "tests/routes/test_fhir_source_figure.py",
)

GROUPS: dict[str, Group] = {
    "provenance": Group(
        modules=("api/provenance/*.py",),
        tests=(
            "tests/provenance/test_provenance.py",
            "tests/provenance/test_locators.py",
            "tests/provenance/test_documents.py",
            "tests/provenance/test_printed_literal.py",
            "tests/provenance/test_check.py",
        ),
        exclude=("api/provenance/documents.py",),
    ),
    # Apart: here every parsing function was mapped to each test that calls verify or read_documents, which
    # read all five documents and check every record (45 s a surviving mutant). These tests each read the
    # one text they check, the real document or a few lines written for the test.
    "documents": Group(
        modules=("api/provenance/documents.py",),
        tests=(
            "tests/provenance/test_documents.py",
            "tests/provenance/test_document_reading.py",
            "tests/provenance/test_locators.py",
        ),
        # Its tests take milliseconds and build no app: a mutant that loops (an index that no longer moves on)
        # is stopped after about 15 s instead of 61 s; a surviving mutant took at most 3.5 s on a loaded machine.
        timeout_constant=5.0,
    ),
    "consistency": Group(
        modules=("api/loading/consistency.py",),
        tests=("tests/loading/test_consistency.py", "tests/loading/test_consistency_cases.py"),
    ),
    "export": Group(
        modules=("api/render/formats.py",),
        tests=(
            "tests/render/test_formats.py",
            "tests/render/test_csv_formula_triggers.py",
            "tests/render/test_format_negotiation.py",
            "tests/routes/test_csv_columns.py::test_a_repeated_column_is_refused_before_it_is_written",
        ),
    ),
    # Apart: every request passes through both layers, so together each ETag mutant ran the response
    # cache's 150 tests too (two minutes a survivor).
    "cache": Group(
        modules=("api/middleware/response_cache.py",),
        tests=("tests/middleware/test_response_cache.py", "tests/middleware/test_cache_edges.py"),
    ),
    "etags": Group(
        modules=("api/middleware/etags.py",),
        tests=("tests/middleware/test_etags.py", "tests/middleware/test_cache_edges.py"),
    ),
    "comparison": Group(
        modules=("api/queries/comparison.py",),
        tests=(
            "tests/queries/test_pooling.py",
            "tests/queries/test_statistics.py",
            "tests/queries/test_comparison_edges.py",
            "tests/pooled/test_pooled_faces.py",
            "tests/pooled/test_treatment_and_time_pool.py",
        ),
    ),
    "filters": Group(
        modules=("api/queries/filters.py", "api/queries/sorting.py", "api/queries/pages.py"),
        # The drawn property tests take minutes a mutant; each filter alone, each sort and each
        # time point are fixed cases of the same checks.
        tests=(
            "tests/queries/test_filters.py",
            "tests/queries/test_order.py",
            "tests/queries/test_pages.py",
            "tests/claims/test_claims.py::test_a_time_point_is_looked_up_under_its_equivalents_written_out",
            "tests/pooled/test_treatment_and_time_pool.py::test_a_time_point_filter_finds_the_figures_at_the_same_time_however_written",
            "tests/properties/test_query_properties.py::test_each_filter_alone_selects_exactly_its_items",
            "tests/properties/test_query_properties.py::test_each_time_point_filter_returns_exactly_its_figures",
        ),
    ),
    "limits": Group(
        modules=("api/middleware/limits.py",),
        # The behavioural limit tests start a server process of their own, which mutants do not reach.
        tests=("tests/middleware/test_limits.py", "tests/middleware/test_limits_edges.py"),
    ),
    "fixtures": Group(
        modules=("models/fixture.py", "api/loading/fixture_files.py"),
        # The corpus through validation only: start-up and the command line repeat it (the latter in a
        # child process, which mutants do not reach).
        tests=(
            "tests/loading/test_fixture_files.py",
            "tests/loading/test_fixture_faults.py::test_validation_names_file_and_field",
            "tests/loading/test_fixture_faults.py::test_the_unbroken_copy_is_valid",
            "tests/loading/test_fixture_faults.py::test_dataset_version_changes_exactly_when_fixtures_change",
        ),
    ),
    # Apart: in the fhir group every function of these was mapped to the tests that build an app or the
    # index (5 to 80 s a mutant on a shared machine). Each is built by a pure function these tests call
    # directly and compare whole, in milliseconds.
    "fhir-definitions": Group(
        modules=("api/fhir/definitions.py",),
        tests=("tests/fhir/test_definitions.py::test_each_definition_is_exactly_the_fhir_definition_of_what_it_names",),
        timeout_constant=5.0,
    ),
    "fhir-search-index": Group(
        modules=("api/fhir/search_index.py",),
        tests=(
            "tests/fhir/test_search_index.py",
            "tests/render/test_fhir.py",
            "tests/fhir/test_pooled_evidence.py",
        ),
        timeout_constant=5.0,
    ),
    # The pieces every FHIR resource is built from, through the tests that check the mapping exactly.
    "fhir-elements": Group(
        modules=("api/fhir/elements.py",),
        tests=(
            "tests/fhir/test_elements.py",
            *FHIR_MAPPING_TESTS,
            "tests/fhir/test_definitions.py::test_each_definition_is_exactly_the_fhir_definition_of_what_it_names",
        ),
    ),
    # Apart: the FHIR routes through the tests that send requests to them in process (the fhir group
    # ran each of its mutants against the mapping's tests too). FhirRoute.get_route_handler runs when a
    # route is made, at import for the module-level router: test_routes.py makes routes of its own.
    "fhir-routes": Group(
        modules=("api/fhir/routes.py",),
        tests=(
            "tests/fhir/test_routes.py",
            "tests/fhir/test_form_type.py",
            "tests/fhir/test_search.py",
            "tests/routes/test_fhir.py",
            "tests/routes/test_fhir_source_figure.py",
        ),
        timeout_multiplier=15.0,
    ),
    # The mapping itself, through the same tests and the resources built from records made for the test
    # (in the fhir group each of its mutants ran the search and HTTP tests too).
    "fhir-resources": Group(
        modules=("api/fhir/resources.py",),
        tests=("tests/fhir/test_resources.py", *FHIR_MAPPING_TESTS),
    ),
    "fhir": Group(
        modules=("api/fhir/*.py",),
        tests=(
            "tests/render/test_fhir.py",
            "tests/routes/test_fhir.py",
            "tests/fhir/test_*.py",
            "tests/routes/test_fhir_source_figure.py",
            "tests/pooled/test_pooled_faces.py",
            "tests/pooled/test_time_written_two_ways.py",
        ),
        # A mutant of the mapping or the search runs up to a hundred tests, each building an app or
        # the index; with 3 x, surviving ones ran out of wall-clock time on a busy machine and were
        # counted killed.
        timeout_multiplier=15.0,
        exclude=(
            "api/fhir/definitions.py",
            "api/fhir/search_index.py",
            "api/fhir/elements.py",
            "api/fhir/routes.py",
            "api/fhir/resources.py",
        ),
    ),
}

# Everything the tests read besides the code: copied next to the mutated code.
ALSO_COPY = ("fixtures", "seeds", "README.md", "CITATION.cff", "LICENSE", "LICENSE-DATA", "Dockerfile", ".ci", "docs")
KILLED = {"killed", "timeout", "caught by type check"}
SETTLED = {"equivalent", "unreachable"}
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped"}
STATUS |= {36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", 37: "caught by type check"}


def existing(paths: tuple[str, ...]) -> list[str]:
    """The group's paths that exist here (a test file or module may not exist on every branch yet).
    A test may be named by its pytest node id (file::test)."""
    found = []
    for entry in paths:
        pattern, node = entry.partition("::")[::2]
        found += [str(p.relative_to(ROOT)) + (f"::{node}" if node else "") for p in sorted(ROOT.glob(pattern))]
    return found


def prepare(name: str, group: Group) -> Path:
    work = SCRATCH / name
    work.mkdir(parents=True, exist_ok=True)
    for entry in ("api", "models", "tests", *ALSO_COPY):
        link = work / entry
        if (ROOT / entry).exists() and not link.is_symlink():
            link.symlink_to(ROOT / entry)
    config = {
        "source_paths": ["api", "models"],
        "only_mutate": group.module_paths(),
        "pytest_add_cli_args_test_selection": existing(group.tests),
        # One process: xdist's workers (addopts' -n auto) would start cold for every mutant.
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-n", "0"],
        "also_copy": [e for e in ALSO_COPY if (ROOT / e).exists()],
        # mutmut limits a mutant's CPU time to (timeout_constant + the tests' call time) x multiplier x 2,
        # its wall-clock time to half that, and a timeout counts as killed. The call time leaves out fixture
        # set-up (an app built per test), so with the default constant of 1 s a surviving mutant that runs
        # every test ran out of time and was counted killed; 20 s covers the set-up, and a mutant that
        # loops still stops.
        "timeout_multiplier": group.timeout_multiplier,
        "timeout_constant": group.timeout_constant,
    }
    body = (ROOT / "pyproject.toml").read_text(encoding="utf-8") + "\n[tool.mutmut]\n"
    body += "".join(f"{key} = {json.dumps(value)}\n" for key, value in config.items())
    pyproject = work / "pyproject.toml"
    old = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    stamp = work / "code.sha256"
    code = code_fingerprint(config["only_mutate"])
    same_code = stamp.exists() and stamp.read_text() == code
    if f"only_mutate = {json.dumps(config['only_mutate'])}" not in old or not same_code:
        # Other modules to mutate, or other code around them: mutmut's copy no longer applies. (New
        # test files need no reset: mutmut finds new tests itself, and survivors are re-run below.)
        shutil.rmtree(work / "mutants", ignore_errors=True)
    pyproject.write_text(body, encoding="utf-8")
    stamp.write_text(code)
    return work


def code_fingerprint(mutated: list[str]) -> str:
    """The code besides the mutated modules: mutmut re-copies only what it mutates, so any other change
    (a merge, a moved module) must start the scratch copy afresh."""
    digest = hashlib.sha256()
    for root in ("api", "models"):
        for path in sorted((ROOT / root).rglob("*")):
            relative = str(path.relative_to(ROOT))
            if path.is_file() and "__pycache__" not in path.parts and relative not in mutated:
                digest.update(relative.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def not_killed(work: Path, modules: list[str], record: list[dict[str, str]]) -> list[str]:
    """Mutants a previous run left alive, save those recorded as equivalent or unreachable (no test can
    kill them, and each would run every test again): re-run explicitly, since mutmut lets a result stand."""
    names = []
    for module in modules:
        meta_path = work / "mutants" / (module + ".meta")
        if meta_path.exists():
            codes = json.loads(meta_path.read_text(encoding="utf-8"))["exit_code_by_key"]
            alive = [m for m, code in codes.items() if code is not None and STATUS.get(code) not in KILLED]
            names += [
                m for m in alive if verdict(module, function_of(m), mutant_diff(work, m, module), record) not in SETTLED
            ]
    return names


def run_mutmut(work: Path, *, max_children: int, budget: float | None, patterns: list[str]) -> bool:
    """Run mutmut in work; False when the budget ran out first (results so far are kept)."""
    env = dict(os.environ)
    env.setdefault("TALL_SEEDS_TEXT_DIR", str(ROOT.parent / "shared" / "seeds"))
    command = [str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(max_children), *patterns]
    process = subprocess.Popen(command, cwd=work, env=env, start_new_session=True)
    try:
        process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return False
    return True


def function_of(mutant: str) -> str:
    """api.loading.consistency.x_counts_match__mutmut_3 -> counts_match; xǁ_FinderǁaddǁNN -> _Finder.add."""
    stem = mutant.rsplit(".", 1)[-1]
    stem = re.sub(r"__mutmut_\d+$", "", stem)
    if stem.startswith("xǁ"):
        return ".".join(part for part in stem[2:].split("ǁ") if part)
    return stem.removeprefix("x_")


def changed_lines(diff: str) -> tuple[str, str]:
    """The lines a mutant removed and added, whitespace-trimmed: what equivalents.toml matches on."""
    lines = diff.splitlines()[2:]
    removed = "\n".join(line[1:].strip() for line in lines if line.startswith("-"))
    added = "\n".join(line[1:].strip() for line in lines if line.startswith("+"))
    return removed, added


def load_record() -> list[dict[str, str]]:
    if not RECORD.exists():
        return []
    return list(tomllib.loads(RECORD.read_text(encoding="utf-8")).get("survivor", []))


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_record(entries: list[dict[str, str]]) -> None:
    lines = [
        "# Surviving mutants (tests/mutation/run.py): `equivalent` ones behave as the code does for every",
        "# input (the reason says why); `unreachable` ones change code that runs only at import, before",
        "# mutmut switches a mutant on, so no test can see them (the reason names what checks that code);",
        "# `open` ones still need a test that kills them. Matched by module, function and the lines the",
        "# mutant removes and adds.",
    ]
    order = {"equivalent": 0, "unreachable": 1, "open": 2}
    for entry in sorted(
        entries, key=lambda e: (e["module"], order[e["verdict"]], e["function"], e["before"], e["after"])
    ):
        lines += ["", "[[survivor]]"]
        lines += [f"{key} = {_toml(entry[key])}" for key in ("module", "function", "verdict", "before", "after")]
        if entry.get("reason"):
            lines.append(f"reason = {_toml(entry['reason'])}")
    RECORD.write_text("\n".join(lines) + "\n", encoding="utf-8")


def verdict(module: str, function: str, diff: str, record: list[dict[str, str]]) -> str | None:
    """equivalent, unreachable or open when the record lists this survivor, else None (a new survivor)."""
    removed, added = changed_lines(diff)
    for entry in record:
        if (entry["module"], entry["function"]) != (module, function):
            continue
        if entry["before"].strip() == removed and entry["after"].strip() == added:
            return entry["verdict"]
    return None


def mutant_diff(work: Path, mutant: str, module: str) -> str:
    """The mutant as a diff of its function, read in this process (a `mutmut show` each is slow)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = Path.cwd()
    os.chdir(work)
    try:
        return str(get_diff_for_mutant(mutant, path=module))
    finally:
        os.chdir(here)


def collect(name: str, work: Path, record: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Per module: how many mutants were killed, equivalent, open, new or not checked; and the survivors."""
    summary: dict[str, dict[str, Any]] = {}
    for module in GROUPS[name].module_paths():
        meta_path = work / "mutants" / (module + ".meta")
        if not meta_path.exists():
            continue
        codes: dict[str, int | None] = json.loads(meta_path.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts = {"killed": 0, "equivalent": 0, "unreachable": 0, "open": 0, "new": 0, "not checked": 0}
        survivors = []
        for mutant, code in sorted(codes.items()):
            status = "not checked" if code is None else STATUS.get(code, "suspicious")
            if status in KILLED:
                counts["killed"] += 1
                continue
            if status not in ("survived", "no tests"):
                # Interrupted, suspicious or crashed: no verdict either way; run it again.
                counts["not checked"] += 1
                continue
            diff = mutant_diff(work, mutant, module)
            function = function_of(mutant)
            found = verdict(module, function, diff, record) or "new"
            counts[found] += 1
            removed, added = changed_lines(diff)
            survivors.append(
                {"mutant": mutant, "status": status, "diff": diff, "verdict": found, "module": module,
                 "function": function, "before": removed, "after": added}
            )  # fmt: skip
        alive = counts["open"] + counts["new"]
        summary[module] = {
            **counts,
            "score": round(100 * counts["killed"] / (counts["killed"] + alive), 1)
            if counts["killed"] + alive
            else None,
            "survivors": survivors,
        }
    return summary


def changed_groups(ref: str) -> list[str]:
    """Groups whose modules a change since ref touches (git diff --name-only)."""
    names = subprocess.run(
        ["git", "diff", "--name-only", ref, "--"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [name for name, group in GROUPS.items() if any(group.covers(changed) for changed in names)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run (default all): {', '.join(GROUPS)}")
    parser.add_argument("--changed-since", metavar="REF", help="only the groups whose modules changed since REF")
    parser.add_argument("--budget", type=float, help="seconds for the whole run; mutants not reached are reported")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--mutants", nargs="*", default=[], help="mutmut name patterns to (re)run")
    parser.add_argument("--no-run", action="store_true", help="only read the results a previous run left")
    parser.add_argument("--record", action="store_true", help="list this run's survivors as open in survivors.toml")
    parser.add_argument("--no-write", action="store_true", help="do not update tests/mutation/scores.json")
    args = parser.parse_args(argv)

    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; known: {', '.join(GROUPS)}")
    groups = args.groups or list(GROUPS)
    if args.changed_since:
        touched = changed_groups(args.changed_since)
        groups = [g for g in groups if g in touched]
        print(f"mutation: groups touched since {args.changed_since}: {', '.join(groups) or 'none'}")

    record = load_record()
    scores = json.loads(SCORES.read_text(encoding="utf-8")) if SCORES.exists() else {}
    deadline = None if args.budget is None else time.monotonic() + args.budget
    new = 0
    for name in groups:
        if not GROUPS[name].module_paths():
            print(f"mutation: {name}: none of {GROUPS[name].modules} exists here; skipped")
            continue
        work = SCRATCH / name if args.no_run else prepare(name, GROUPS[name])
        started = time.monotonic()
        alive = [] if args.mutants else not_killed(work, GROUPS[name].module_paths(), record)

        def left() -> float | None:
            return None if deadline is None else max(1.0, deadline - time.monotonic())

        finished = args.no_run or run_mutmut(work, max_children=args.max_children, budget=left(), patterns=args.mutants)
        if finished and alive and not args.no_run:
            finished = run_mutmut(work, max_children=args.max_children, budget=left(), patterns=alive)
        summary = collect(name, work, record)
        for module, result in summary.items():
            survivors = result.pop("survivors")
            print(
                f"mutation: {module}: {result['killed']} killed, {result['open'] + result['new']} survived "
                f"({result['new']} not in survivors.toml), {result['equivalent']} equivalent, "
                f"{result['unreachable']} unreachable at import, "
                f"{result['not checked']} not checked; score {result['score']}%"
            )
            for survivor in survivors:
                if survivor["verdict"] == "new":
                    print(f"  new survivor: {survivor['mutant']} ({survivor['status']})\n{survivor['diff']}\n")
            if module in scores:
                new += result["new"]
            elif result["new"]:
                print(f"  {module} has no recorded baseline yet (run with --record): its survivors do not fail")
            # Only a module every mutant of which was checked becomes a baseline (its survivors then fail).
            # (A module with no mutant at all, such as a package's __init__.py, has nothing to record.)
            complete = finished and not args.mutants and not result["not checked"]
            complete = complete and any(result[key] for key in ("killed", "equivalent", "unreachable", "open", "new"))
            if complete:
                scores[module] = result
            if args.record and complete:
                record = [e for e in record if e["module"] != module or e["verdict"] != "open"]
                record += [
                    {key: s[key] for key in ("module", "function", "before", "after")} | {"verdict": "open"}
                    for s in survivors
                    if s["verdict"] in ("open", "new")
                ]
        print(f"mutation: {name} took {time.monotonic() - started:.0f}s{'' if finished else ' (budget ran out)'}")
        if deadline is not None and time.monotonic() >= deadline:
            print("mutation: budget spent; the remaining groups were not run")
            break
    if args.record:
        write_record(record)
        new = 0
    if not args.no_write:
        SCORES.write_text(json.dumps(scores, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"mutation: {new} survivor(s) not recorded in {RECORD.relative_to(ROOT)}")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
