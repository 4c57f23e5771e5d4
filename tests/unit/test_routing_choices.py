"""Routing decides instead of parking: ties among partners broken by country, region and specialisation; a sector
the text shows strongly forwards; antennas and consortia tie a country; a Luxembourg link keeps a priority
project; dual use and unreadable texts go to staff with the reason. Given / When / Then, with the expected
decision next to each case."""

from __future__ import annotations

from services.routing.domain import Candidate, Case, Policy, Scope, Sector, decide

POLICY = Policy(version="test", accept_readiness_min=10, forward_min_score=30, tie_margin=0,
                purpose_sectors=("cybersecurity", "insurance"))
SCOPE = Scope("lux-aif", "LU", ("finance", "insurance", "cybersecurity", "space", "earth-observation", "energy",
                                "mobility", "environment"), ("health", "life-sciences"), "L-AIF")


def case(*sectors: str, candidates: tuple[Candidate, ...] = (), readiness: int = 30, flags: tuple[str, ...] = (),
         signals: dict[str, str] | None = None) -> Case:
    return Case(sectors=tuple(Sector(s, False, 2) for s in sectors), readiness=readiness, candidates=candidates,
                flags=flags, signals=signals or {})


def test_partners_that_fit_equally_go_to_the_more_specialised():
    # Given a Croatian vineyard project that IT4LIA (4 focus sectors) and BSC (9) both fit at 30
    it4lia = Candidate("it4lia", "IT4LIA", 30, ("agrifood",), specialisation=0.25, standing=(2, "2024-12-10"))
    bsc = Candidate("bsc-aif", "BSC AIF", 30, ("agrifood",), specialisation=0.111, standing=(1, "2024-12-10"))
    decision = decide(case("agrifood", candidates=(bsc, it4lia)), SCOPE, POLICY)
    # Then IT4LIA takes it, and the reason says it is the more specialised
    assert (decision.outcome, decision.factory_id, decision.rule) == ("forward", "it4lia", "most-specialised-partner")
    assert "more specialised" in decision.reasons[0]


def test_of_partners_that_fit_equally_the_one_in_the_applicants_country_takes_it():
    # Given a Polish warehouse robot that PIAST-AI (Poland) and BRAIN++ fit at 45
    piast = Candidate("piast-ai", "PIAST", 45, ("robotics",), same_country=True, specialisation=0.1)
    brain = Candidate("brainpp", "BRAIN++", 45, ("robotics",), specialisation=0.2)
    decision = decide(case("robotics", candidates=(brain, piast)), SCOPE, POLICY)
    assert (decision.outcome, decision.factory_id) == ("forward", "piast-ai")


def test_with_no_specialised_factory_standing_out_the_regions_generalist_takes_it():
    # Given a Finnish blood bank's project: two health factories far away fit equally and are as specialised,
    # LUMI (in Finland) serves every sector
    ro = Candidate("gaia-aif", "Gaia", 30, ("health",), specialisation=0.333)
    jaif = Candidate("nlaif", "NLAIF", 30, ("health",), specialisation=0.333)
    lumi = Candidate("lumi-aif", "LUMI AIF", 20, (), same_country=True, generalist=True)
    decision = decide(case("health", candidates=(ro, jaif, lumi)), SCOPE, POLICY)
    assert (decision.outcome, decision.factory_id, decision.rule) == ("forward", "lumi-aif", "home-region-generalist")


def test_partners_alike_in_everything_go_to_staff():
    a = Candidate("gaia-aif", "Gaia", 30, ("health",), specialisation=0.333, standing=(2, "2025-10-10"))
    b = Candidate("nlaif", "NLAIF", 30, ("health",), specialisation=0.333, standing=(2, "2025-10-10"))
    assert decide(case("health", candidates=(a, b)), SCOPE, POLICY).rule == "partners-tied"


def test_a_priority_project_tied_to_luxembourg_stays_although_its_countrys_factory_shares_the_sector():
    # Given a German grid operator's project for the Greater Region (Saarland, Lorraine, Luxembourg)
    jaif = Candidate("jaif", "JAIF", 45, ("energy",), same_country=True)
    tied = case("energy", candidates=(jaif,), flags=("home-link",),
                signals={"home-link": "The project is tied to Luxembourg: Greater Region."})
    # Then the L-AIF accepts it, saying why; without the link it would go to the German factory
    decision = decide(tied, SCOPE, POLICY)
    assert (decision.outcome, decision.factory_id) == ("accept_local", "lux-aif")
    assert "Greater Region" in decision.reasons[-1]
    assert decide(case("energy", candidates=(jaif,)), SCOPE, POLICY).factory_id == "jaif"


def test_a_possible_dual_use_goes_to_staff_with_the_cue_named():
    signals = {"dual-use": "Cues of a military use ('armed forces'): an intake expert checks who the end users are."}
    decision = decide(case("aerospace", flags=("dual-use",), signals=signals), SCOPE, POLICY)
    assert (decision.outcome, decision.rule) == ("review", "possible-dual-use")
    assert "'armed forces'" in decision.reasons[0]


def test_a_military_decline_names_its_words():
    signals = {"military": "The project describes a military purpose ('artillery', 'armed forces')."}
    decision = decide(case("defence", flags=("military",), signals=signals), SCOPE, POLICY)
    assert decision.outcome == "decline" and "'artillery'" in decision.reasons[-1]


def test_an_unreadable_text_goes_to_staff_saying_why():
    signals = {"unreadable": "The description cannot be read for sectors: the description has only 1 word."}
    decision = decide(case(flags=("unreadable",), signals=signals), SCOPE, POLICY)
    assert (decision.outcome, decision.rule) == ("review", "unreadable-text")
    assert "only 1 word" in decision.reasons[0]
