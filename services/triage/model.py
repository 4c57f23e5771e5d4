"""The plain data of triage: its policy, what it finds, and the rules' results. No behaviour here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Policy:
    version: str
    priority_sector_points: int
    priority_cap: int
    not_prioritised_points: int
    data_readiness_points: dict[str, int]
    stage_points: dict[str, int]
    company_points: dict[str, int]
    partner_focus_points: int
    partner_mention_points: int
    partner_text_only_focus_points: int
    partner_text_only_mention_points: int
    partner_generalist_points: int
    partner_same_country_points: int
    language_host_points: int
    language_consortium_points: int
    keywords: dict[str, list[str]] = field(default_factory=dict)  # the keyword classifier's (legacy policies)
    exclusions: dict[str, list[str]] = field(default_factory=dict)
    languages: dict[str, list[str]] = field(default_factory=dict)
    classifier: Classifier | None = None  # the layered classifier's settings; None: the keyword classifier
    home_link: tuple[str, ...] = ()  # places that tie a project to the home factory's country


@dataclass(frozen=True)
class Classifier:
    """How the lexical and semantic layers find sectors and combine (thresholds as data, in policy.yaml)."""

    layers: str = "both"  # "lexical", "semantic" or "both"
    strong_points: int = 2  # a strong term found
    weak_points: int = 1  # a weak term found
    title_factor: int = 2  # a term in the title says the purpose
    weak_alone_min: int = 2  # distinct weak terms that show a sector without a strong one
    keep_share: float = 0.5  # a sector is kept when its score reaches this share of the best one's
    confident_min: int = 4  # the lexical score of the best sector from which the model is not asked
    max_sectors: int = 3
    max_sentences: int = 8
    semantic_lift_min: float = 0.03  # how far a sector must stand above a sentence's average
    semantic_margin: float = 0.004  # a second sector is kept when its lift is within this of the best one's
    semantic_points: int = 2  # what the model's agreement adds to a lexical candidate
    semantic_confirm_rank: int = 3  # the model agrees with a lexical candidate it ranks this high
    semantic_weak_rank: int = 2  # ... and with one shown only by weak words when it ranks it this high
    semantic_alone_min: float = 0.05  # the lift from which the model alone, with no lexical candidate, shows a sector
    min_words: int = 6  # fewer words: too little to read
    military_decline_min: int = 3  # military cues (strong 2, weak 1, the model 1) that decline
    military_review_min: int = 2  # that send to staff as a possible dual use
    military_model_points: int = 1  # what the model reading a military purpose first adds to the cues


@dataclass(frozen=True)
class Finding:
    """A sector of the project, with the words of its text that point to it."""

    sector: str
    declared: bool
    evidence: tuple[str, ...]
    layer: str | None = None  # "declared", "lexical", "semantic" or "both"; None: the keyword classifier
    strong: bool = False  # the evidence suffices on its own (as a declared sector does)
    similarity: float | None = None  # the model's, for the sentence closest to the sector's description
    sentence: str | None = None


@dataclass(frozen=True)
class Signal:
    """Something the text shows that constrains routing: a military purpose, a possible dual use, a tie to the
    home country, a text too poor to read."""

    flag: str  # "military", "dual-use", "home-link", "unreadable"
    evidence: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Rule:
    rule: str
    points: int
    reason: str


@dataclass(frozen=True)
class Fit:
    factory_id: str
    score: int
    reasons: tuple[str, ...]
    focus_sectors: tuple[str, ...] = ()
    same_country: bool = False  # in, or tied to, the applicant's country (consortium, antenna)
    specialisation: float = 0.0  # the share of the factory's focus list the project's sectors make up


@dataclass(frozen=True)
class Scores:
    sectors: tuple[Finding, ...]
    priority: tuple[Rule, ...]
    readiness: tuple[Rule, ...]
    company: tuple[Rule, ...]
    partner_fit: tuple[Fit, ...]
    languages: tuple[str, ...] = ()  # countries whose national language the text names
    flags: tuple[str, ...] = ()
    signals: tuple[Signal, ...] = ()
    text_languages: tuple[str, ...] = ()  # the languages the text is written in

    @property
    def priority_score(self) -> int:
        return sum(rule.points for rule in self.priority)

    @property
    def readiness_score(self) -> int:
        return sum(rule.points for rule in self.readiness)

    @property
    def total_score(self) -> int:
        return self.priority_score + self.readiness_score + sum(rule.points for rule in self.company)
