"""The factory's catalogue of shared datasets (DATASETS_FILE; a labelled sample ships in the factory profile's
journey/), which an expert can attach to a project at the proof-of-concept step."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from contracts import profile, reference
from contracts.config_files import ConfigFileError, FileModel, Items, Label, load_yaml

DEFAULT_CATALOGUE = profile.selected().file("datasets")


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


class DatasetEntry(FileModel):
    id: str
    name: str
    sectors: Items[str] = ()
    description: str = ""
    licence: str = ""


class CatalogueFile(FileModel):
    """What DATASETS_FILE holds."""

    version: Label
    sample: bool = False
    datasets: list[DatasetEntry]


@cache
def _load(path: Path) -> Catalogue:
    raw = load_yaml(path, CatalogueFile)
    vocabulary = reference.load().sectors
    for entry in raw.datasets:
        if unknown := [s for s in entry.sectors if s not in vocabulary]:
            raise ConfigFileError(str(path), f"dataset {entry.id!r}: unknown sector(s) {', '.join(unknown)}")
    datasets = tuple(Dataset(e.id, e.name, e.sectors, e.description, e.licence) for e in raw.datasets)
    if len({d.id for d in datasets}) != len(datasets):
        raise ConfigFileError(str(path), "a dataset id appears twice")
    return Catalogue(raw.version, raw.sample, datasets)
