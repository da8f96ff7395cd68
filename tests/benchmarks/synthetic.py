"""Deterministic synthetic fixtures: the curated data copied N times, every reference kept consistent.

Copy 0 is the curated data as it is; copy k gives every study, conflict and epidemiology
figure the suffix `-x<k>` and rewrites what points at them (related studies, conflict ids),
so each copy is a self-contained replica and the whole set validates like the original.
Local ids inside a study (arms, outcomes...) need no change: they are global only under
their study's id. The seed registry is reused as it is: copies cite the same documents.
The conflicts and epidemiology files hold every copy's records, so at 1000x they outgrow
the per-file size guard; the settings returned raise it to the largest file written.

    python tests/benchmarks/synthetic.py 100 /tmp/fixtures-100x
"""

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from api.loading.fixture_files import CONFLICTS_FILE, EPIDEMIOLOGY_FILE, STUDIES_DIR
from api.loading.yaml_parser import SAFE_LOADER
from api.settings import PROJECT_ROOT, Settings

CURATED = PROJECT_ROOT / "fixtures"
REGISTRY = PROJECT_ROOT / "seeds" / "sources.yaml"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
FIGURE_LISTS = ("outcomes", "adverse_events", "characteristics")


def suffix(copy: int) -> str:
    return "" if copy == 0 else f"-x{copy}"


def _read(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def _write(path: Path, data: dict[str, Any]) -> int:
    text = yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False).encode()
    path.write_bytes(text)
    return len(text)


def _with_conflicts(figure: dict[str, Any], tail: str) -> dict[str, Any]:
    if not figure.get("conflict_ids"):
        return figure
    return {**figure, "conflict_ids": [c + tail for c in figure["conflict_ids"]]}


def copy_study(study: dict[str, Any], copy: int) -> dict[str, Any]:
    tail = suffix(copy)
    out = {**study, "id": study["id"] + tail}
    if study.get("related_studies"):
        out["related_studies"] = [{**link, "study": link["study"] + tail} for link in study["related_studies"]]
    for name in FIGURE_LISTS:
        if study.get(name):
            out[name] = [_with_conflicts(fig, tail) for fig in study[name]]
    return out


def write_scaled_fixtures(factor: int, out_dir: Path, curated: Path = CURATED) -> Settings:
    """Write `factor` copies of the curated fixtures under out_dir/fixtures; settings that serve them."""
    if factor < 1:
        raise ValueError("factor must be at least 1")
    fixtures = out_dir / "fixtures"
    if fixtures.exists():
        shutil.rmtree(fixtures)
    (fixtures / STUDIES_DIR).mkdir(parents=True)
    studies = [_read(p) for p in sorted((curated / STUDIES_DIR).glob("*.yaml"))]
    conflicts = _read(curated / CONFLICTS_FILE).get("conflicts", [])
    figures = _read(curated / EPIDEMIOLOGY_FILE).get("figures", [])
    largest = 0
    for copy in range(factor):
        for study in studies:
            scaled = copy_study(study, copy)
            largest = max(largest, _write(fixtures / STUDIES_DIR / f"{scaled['id']}.yaml", scaled))
    tails = [suffix(copy) for copy in range(factor)]
    conflicts_file = {"conflicts": [{**c, "id": c["id"] + t} for t in tails for c in conflicts]}
    figures_file = {"figures": [{**_with_conflicts(f, t), "id": f["id"] + t} for t in tails for f in figures]}
    largest = max(largest, _write(fixtures / CONFLICTS_FILE, conflicts_file))
    largest = max(largest, _write(fixtures / EPIDEMIOLOGY_FILE, figures_file))
    default = Settings.model_fields["max_fixture_bytes"].default
    return Settings(fixtures_dir=fixtures, sources_registry=REGISTRY, max_fixture_bytes=max(default, largest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("factor", type=int, help="how many copies of the curated data (1 = the data itself)")
    parser.add_argument("out_dir", type=Path, help="directory to write fixtures/ into")
    args = parser.parse_args(argv)
    settings = write_scaled_fixtures(args.factor, args.out_dir)
    print(f"wrote {args.factor}x fixtures to {settings.fixtures_dir} (registry {settings.sources_registry})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
