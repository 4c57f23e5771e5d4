"""The layered classifier: the sectors of a project from its declared sectors and its text, in any language of the
network, each with the evidence staff read and the layer that found it.

- The lexical layer finds the vocabulary's terms (`lexicon.py`) in the text's language and in English. A strong
  term shows its sector alone; a weak one ('space', 'claims', 'vulnerability') only beside another cue of the same
  sector. A phrase the vocabulary lists as not the sector ('latent space', 'quality assurance') hides its words
  from that sector. Terms in the title count more: the title says the purpose.
- The semantic layer (`semantic.py`) compares each sentence with descriptions of each sector.
- The policy (`classifier` in policy.yaml) says how they combine. With `both`, the model is asked only when the
  lexical layer is unsure (no sector clearly ahead, only weak cues, or a military cue to check): then a lexical
  candidate the model ranks high is confirmed (layer 'both'), a weak one it does not is dropped, and a sector the
  model alone sees clearly is added (layer 'semantic').
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from services.triage import lexicon
from services.triage.language import Text, normalise, read, sentences, words
from services.triage.military import MILITARY_SECTOR, military_signal
from services.triage.model import Classifier, Finding, Signal


class Semantic(Protocol):
    def rank(self, sentences: list[str]): ...


@dataclass
class Candidate:
    sector: str
    score: int = 0
    strong_terms: list[str] = field(default_factory=list)
    weak_terms: list[str] = field(default_factory=list)

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.strong_terms, *self.weak_terms]))

    @property
    def shown(self) -> bool:
        return bool(self.strong_terms)

    def shown_by_weak(self, settings: Classifier) -> bool:
        return len(set(map(normalise, self.weak_terms))) >= settings.weak_alone_min


@dataclass(frozen=True)
class Classification:
    findings: tuple[Finding, ...]
    signals: tuple[Signal, ...]
    text_languages: tuple[str, ...]
    asked_model: bool


def tokens_of(text: Text) -> list[tuple[str, bool]]:
    """The words of the title (marked) then of the summary, hyphenated words also split into their parts."""
    found = []
    for part, in_title in ((text.title, True), (text.summary, False)):
        for word in words(part):
            found.append((word, in_title))
            if "-" in word:
                found += [(piece, in_title) for piece in word.split("-") if piece]
    return found


ENGLISH_ELSEWHERE_MIN = 4  # in a text of another language, an English term is read only from this length on


def lexical_hits(text: Text) -> list[lexicon.Hit]:
    """The vocabulary's terms in the text's languages, and in English (applicants of every language use English
    technical terms); in a text of another language, short English words are not read ('die', 'art', 'gift')."""
    tokens = tokens_of(text)
    hits = []
    for language in dict.fromkeys([*text.languages, "en"]):
        matcher = lexicon.matcher(language)
        if matcher:
            found = matcher.find(tokens)
            if language == "en" and "en" not in text.languages:
                found = [h for h in found if len(h.term.keys) > 1 or len(h.term.keys[0]) >= ENGLISH_ELSEWHERE_MIN]
            hits += found
    return hits


def _hidden(hits: list[lexicon.Hit]) -> dict[str, set[int]]:
    """The word positions each sector must not read: those of phrases that are not that sector."""
    hidden: dict[str, set[int]] = defaultdict(set)
    for hit in hits:
        if hit.term.kind == "not":
            hidden[hit.term.sector].update(range(hit.start, hit.end))
    return hidden


def lexical_candidates(hits: list[lexicon.Hit], settings: Classifier) -> dict[str, Candidate]:
    hidden = _hidden(hits)
    candidates: dict[str, Candidate] = {}
    counted: set[tuple[str, str]] = set()
    for hit in sorted(hits, key=lambda h: (not h.in_title, h.start)):
        if hit.term.kind not in ("strong", "weak") or set(range(hit.start, hit.end)) & hidden[hit.term.sector]:
            continue
        # The longest term wins: a phrase hides the words it is made of, for its own sector and any other ('wind
        # farm' is no farm; 'autonomous vehicle' is autonomous systems, not a vehicle as transport).
        if any(other.end - other.start > hit.end - hit.start and other.start <= hit.start and hit.end <= other.end
               for other in hits if other.term.kind in ("strong", "weak")):
            continue
        # A word of the text counts once per sector, and a term once (however often it is repeated).
        key, where = (hit.term.sector, normalise(hit.term.text)), (hit.term.sector, hit.start)
        if key in counted or where in counted:
            continue
        counted.update((key, where))
        candidate = candidates.setdefault(hit.term.sector, Candidate(hit.term.sector))
        strong = hit.term.kind == "strong"
        (candidate.strong_terms if strong else candidate.weak_terms).append(hit.surface)
        points = settings.strong_points if strong else settings.weak_points
        candidate.score += points * (settings.title_factor if hit.in_title else 1)
    return candidates


def _kept(scores: dict[str, float], share: float, limit: int) -> list[str]:
    if not scores:
        return []
    best = max(scores.values())
    ranked = sorted((s for s in scores if scores[s] >= share * best and scores[s] > 0), key=lambda s: (-scores[s], s))
    return ranked[:limit]


def _semantic_evidence(similar) -> tuple[str, ...]:
    return (f"“{similar.sentence}” is closest to the description of {similar.sector} "
            f"(similarity {similar.similarity:.2f})",)


def classify(declared: list[str], title: str, summary: str, settings: Classifier, semantic: Semantic | None,
             home_link: tuple[str, ...] = (), home_place: str = "the home country") -> Classification:
    text = read(title, summary, min_words=settings.min_words)
    hits = lexical_hits(text)
    candidates = lexical_candidates(hits, settings)
    civilian_hits = [h for h in hits if h.term.kind == "civilian"]
    civilian = tuple(dict.fromkeys(h.surface for h in civilian_hits))
    military_cues = candidates.pop(MILITARY_SECTOR, None)
    shown = {s: c for s, c in candidates.items() if c.shown or c.shown_by_weak(settings)}
    strongest = max((c.score for c in shown.values() if c.shown), default=0)
    # Beside a sector shown by strong terms, weak cues alone count only when they weigh as much.
    shown = {s: c for s, c in shown.items() if c.shown or c.score >= strongest}
    best = max((c.score for c in shown.values()), default=0)
    leaders = [c for c in shown.values() if c.score == best]
    # Sure: one sector clearly ahead on strong evidence, and no other close enough to be kept beside it.
    close = [c for c in shown.values() if c.score >= settings.keep_share * best]
    unsure = best < settings.confident_min or len(close) > 1 or not any(c.shown for c in leaders)
    # A military cue needs the model's check only when it could lead somewhere (a strong one, or two weak ones).
    military_doubt = military_cues is not None and (military_cues.shown or military_cues.shown_by_weak(settings))
    use_model = semantic is not None and settings.layers != "lexical" and (
        settings.layers == "semantic" or unsure or military_doubt)
    ranked = semantic.rank(sentences(text.whole, settings.max_sentences)) if use_model else []
    findings: list[Finding] = [Finding(s, True, shown[s].evidence if s in shown else (), "declared", True)
                               for s in declared]
    if settings.layers == "semantic":
        chosen = _semantic_choice(ranked, settings)
        findings += [Finding(s.sector, False, _semantic_evidence(s), "semantic", True, round(s.similarity, 3),
                             s.sentence) for s in chosen if s.sector not in declared and s.sector != MILITARY_SECTOR]
    else:
        findings += _combined(candidates, shown, ranked, settings, declared, use_model)
    signals = []
    if text.problems and not findings:
        signals.append(Signal("unreadable", (), "The description cannot be read for sectors: "
                              + "; ".join(text.problems) + "."))
    if MILITARY_SECTOR in declared:  # the applicant says so: a strong cue of its own
        military_cues = military_cues or Candidate(MILITARY_SECTOR)
        military_cues.strong_terms.insert(0, "declared: defence")
        military_cues.score += settings.strong_points
    signal = military_signal(military_cues, civilian, any(h.in_title for h in civilian_hits),
                             max((c.score for c in candidates.values() if c.shown), default=0), ranked, settings)
    if signal:
        signals.append(signal)
        found = Finding(MILITARY_SECTOR, MILITARY_SECTOR in declared, signal.evidence,
                        "declared" if MILITARY_SECTOR in declared else "both" if ranked else "lexical",
                        signal.flag == "military")
        findings = [f for f in findings if f.sector != MILITARY_SECTOR] + [found]
    link = _home_link(text, home_link)
    if link:
        signals.append(Signal("home-link", link, f"The project is tied to {home_place}: {', '.join(link)}."))
    return Classification(tuple(findings), tuple(signals), text.languages, bool(ranked))


def _semantic_choice(ranked, settings: Classifier, lift_min: float | None = None):
    civil = [s for s in ranked if s.sector != MILITARY_SECTOR]
    if not civil or civil[0].lift < (settings.semantic_lift_min if lift_min is None else lift_min):
        return []
    return [s for s in civil if s.lift >= civil[0].lift - settings.semantic_margin][:settings.max_sectors]


def _combined(candidates: dict[str, Candidate], shown: dict[str, Candidate], ranked, settings: Classifier,
              declared: list[str], used_model: bool) -> list[Finding]:
    """The lexical layer's sectors, checked by the model when it was asked: a candidate it ranks high is confirmed
    (layer 'both'); one it does not is kept only on strong evidence of its own (`confident_min`); a weak candidate
    it confirms counts; and when no candidate stands, the model's clear first choice does (layer 'semantic')."""
    if not used_model:
        chosen = _kept({s: c.score for s, c in shown.items()}, settings.keep_share, settings.max_sectors)
        return [Finding(s, False, shown[s].evidence, "lexical", shown[s].shown) for s in chosen if s not in declared]
    civil = [r for r in ranked if r.sector != MILITARY_SECTOR]
    rank = {s.sector: i for i, s in enumerate(civil)}
    similar = {s.sector: s for s in ranked}
    scores: dict[str, float] = {}
    layers: dict[str, str] = {}
    for sector, candidate in candidates.items():
        place = rank.get(sector, 99)
        if place < settings.semantic_confirm_rank and sector in shown or place < settings.semantic_weak_rank:
            scores[sector], layers[sector] = candidate.score + settings.semantic_points, "both"
        elif sector in shown and candidate.score >= settings.confident_min:
            scores[sector], layers[sector] = candidate.score, "lexical"
    if not scores:
        for s in _semantic_choice(ranked, settings, settings.semantic_alone_min):
            scores[s.sector], layers[s.sector] = settings.semantic_points, "semantic"
    chosen = _kept(scores, settings.keep_share, settings.max_sectors)
    findings = []
    for sector in chosen:
        if sector in declared:
            continue
        lexical = candidates[sector].evidence if sector in candidates else ()
        semantic = _semantic_evidence(similar[sector]) if layers[sector] != "lexical" else ()
        findings.append(Finding(sector, False, (*lexical, *semantic), layers[sector],
                                layers[sector] == "both" or candidates.get(sector, Candidate(sector)).shown,
                                round(similar[sector].similarity, 3) if sector in similar else None,
                                similar[sector].sentence if sector in similar else None))
    return findings


def _home_link(text: Text, places: tuple[str, ...]) -> tuple[str, ...]:
    plain = normalise(text.whole)
    return tuple(place for place, pattern in _place_patterns(places) if pattern.search(plain))


@lru_cache(maxsize=4)
def _place_patterns(places: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((place, re.compile(rf"\b{re.escape(normalise(place))}")) for place in places)


class Layers:
    """What a triage process loads before it takes its first application: the compiled vocabulary, the language
    detector and, when the policy uses it, the model. `load` says what it loaded, or raises: triage never runs
    with a layer missing."""

    def __init__(self, policy):
        self.policy = policy
        self.semantic: Semantic | None = None

    def load(self) -> str:
        settings = self.policy.classifier
        if settings is None:
            return f"the keyword classifier of {self.policy.version}"
        loaded = lexicon.load()
        said = [f"vocabulary of {len(loaded)} languages"]
        if settings.layers != "lexical":
            from services.triage import semantic

            self.semantic = semantic.layer()
            said.append(f"model {self.semantic.encoder.name}")
        classify([], "Warm-up", "Ein Text, um die Spracherkennung zu laden, une phrase en plus.", settings,
                 self.semantic)
        return ", ".join(said)
