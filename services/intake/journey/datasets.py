"""The factory's catalogue of shared datasets (DATASETS_FILE; a labelled sample ships in data/), which an expert
can attach to a project at the proof-of-concept step."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from contracts import reference

DEFAULT_CATALOGUE = Path(__file__).parent / "data" / "datasets.sample.yaml"


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    sectors: tuple[str, ...]
    description: str
    licence: str


@dataclass(frozen=True)
class Catalogue:
    version: str
    sample: bool
    datasets: tuple[Dataset, ...]

    def get(self, dataset_id: str) -> Dataset:
        for dataset in self.datasets:
            if dataset.id == dataset_id:
                return dataset
        raise KeyError(f"no dataset {dataset_id!r} in the catalogue {self.version}")

    def for_sectors(self, sectors: list[str]) -> list[Dataset]:
        """The datasets of the project's sectors first, then the others."""
        return sorted(self.datasets, key=lambda d: (not set(d.sectors) & set(sectors), d.name))


def load(path: Path | None = None) -> Catalogue:
    """The file given, else DATASETS_FILE, else the sample; each file is read once (the console's pages and
    forms use it on every request)."""
    return _load(path or Path(os.environ.get("DATASETS_FILE") or DEFAULT_CATALOGUE))


@cache
def _load(path: Path) -> Catalogue:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    vocabulary = reference.load().sectors
    datasets = []
    for entry in raw["datasets"]:
        if unknown := [s for s in entry.get("sectors", []) if s not in vocabulary]:
            raise ValueError(f"{path.name}: dataset {entry['id']!r}: unknown sector(s) {', '.join(unknown)}")
        datasets.append(Dataset(entry["id"], entry["name"], tuple(entry.get("sectors", [])),
                                entry.get("description", ""), entry.get("licence", "")))
    if len({d.id for d in datasets}) != len(datasets):
        raise ValueError(f"{path.name}: a dataset id appears twice")
    return Catalogue(str(raw["version"]), bool(raw.get("sample", False)), tuple(datasets))
