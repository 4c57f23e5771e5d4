"""Accepted projects go to the best-matching expert with room; with nobody free they wait, first come first
served: a freed place goes to the oldest waiting project an expert can take. The roster is data
(profiles/lux-aif/routing/experts.yaml)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.routing.experts import Expert, Waiting, assign, in_turn, load_experts, next_from_queue

SOFIA = Expert("sofia-rossi", "Sofia Rossi", ("cybersecurity",), 2)
TOM = Expert("tom-schmit", "Tom Schmit", ("cybersecurity", "finance"), 2)
NORA = Expert("nora-wagner", "Nora Wagner", ("energy",), 2)
TEAM = (SOFIA, TOM, NORA)


def test_the_roster_has_eight_experts_with_skills_and_a_capacity():
    experts = load_experts()
    assert len(experts) == 8
    assert all(e.skills and e.max_active > 0 for e in experts)


def test_the_capacity_can_be_set_for_the_whole_team(tmp_path: Path):
    assert {e.max_active for e in load_experts(max_active=1)} == {1}


def test_the_expert_with_the_most_matching_skills_gets_the_project():
    # Given a bank's fraud detection: finance and cybersecurity
    assignment = assign(TEAM, ["finance", "cybersecurity"], {})
    # Then Tom, who knows both, takes it, and the reason says so
    assert assignment.expert == TOM
    assert assignment.reason == "Assigned to Tom Schmit (skills: cybersecurity, finance), who now carries 1 of 2 projects."


def test_among_equally_skilled_experts_the_least_busy_one_gets_it():
    assignment = assign(TEAM, ["cybersecurity"], {"sofia-rossi": 1, "tom-schmit": 0})
    assert assignment.expert == TOM


def test_a_full_expert_is_passed_over_for_one_with_room():
    assignment = assign(TEAM, ["finance", "cybersecurity"], {"tom-schmit": 2})
    assert assignment.expert == SOFIA


def test_with_every_fitting_expert_full_the_project_waits_instead_of_being_dropped():
    # Given both cybersecurity experts at their maximum of 2
    assignment = assign(TEAM, ["cybersecurity"], {"sofia-rossi": 2, "tom-schmit": 2})
    # Then nobody is assigned (Nora, an energy expert, is not given a cyber project) and the reason says it waits
    assert assignment.expert is None
    assert "at capacity: the application waits in the queue" in assignment.reason


def test_a_project_no_skill_matches_goes_to_anyone_with_room():
    assert assign(TEAM, ["quantum"], {"nora-wagner": 2}).expert == SOFIA


# The waiting queue, oldest first: a bank's fraud detection, a wind farm's forecasts, a SOC's alert triage.
BANQUE_DU_NORD = Waiting("BANQUE-DU-NORD", ("finance", "cybersecurity"), datetime(2026, 11, 2, 9, tzinfo=UTC))
EOLE_VENT = Waiting("EOLE-VENT", ("energy",), datetime(2026, 11, 3, 9, tzinfo=UTC))
CYBER_OWL = Waiting("CYBER-OWL", ("cybersecurity",), datetime(2026, 11, 4, 9, tzinfo=UTC))
QUEUE = (BANQUE_DU_NORD, EOLE_VENT, CYBER_OWL)
EVERYONE_FULL = {"sofia-rossi": 2, "tom-schmit": 2, "nora-wagner": 2}


def test_a_freed_place_goes_to_the_oldest_waiting_project_the_expert_can_take():
    # Given everyone full, then Tom's place comes free
    active = {**EVERYONE_FULL, "tom-schmit": 1}
    # When the queue is looked at
    waiting, assignment = next_from_queue(QUEUE, TEAM, active)
    # Then the bank's project, the oldest, goes to Tom, and the reason counts his new load
    assert (waiting, assignment.expert) == (BANQUE_DU_NORD, TOM)
    assert assignment.reason.endswith("who now carries 2 of 2 projects.")


def test_an_older_project_nobody_can_take_yet_does_not_hold_back_a_younger_one():
    # Given everyone full but Nora, the energy expert, who has a place again
    active = {**EVERYONE_FULL, "nora-wagner": 1}
    # Then the wind farm goes to her, although the bank's project waited longer (its experts are still full)
    waiting, assignment = next_from_queue(QUEUE, TEAM, active)
    assert (waiting, assignment.expert) == (EOLE_VENT, NORA)


def test_the_queue_is_first_come_first_served_whatever_order_it_is_read_in():
    # Given the queue read back in another order, and a SOC's second project queued at the same moment as the first
    CYBER_OWL_TWO = Waiting("CYBER-OWL-TWO", ("cybersecurity",), CYBER_OWL.queued_at)
    # Then it is in the order the projects came, those of one moment by their id
    assert in_turn((CYBER_OWL_TWO, CYBER_OWL, EOLE_VENT, BANQUE_DU_NORD)) == [*QUEUE, CYBER_OWL_TWO]
    # And a freed place goes to the oldest the expert can take, not to the first read
    active = {**EVERYONE_FULL, "tom-schmit": 1}
    assert next_from_queue((CYBER_OWL, BANQUE_DU_NORD), TEAM, active)[0] == BANQUE_DU_NORD


def test_with_no_place_free_nobody_leaves_the_queue():
    assert next_from_queue(QUEUE, TEAM, EVERYONE_FULL) is None
    assert next_from_queue((), TEAM, {}) is None
