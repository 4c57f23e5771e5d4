"""Accepted projects go to the best-matching expert with room; with nobody free they wait, first come first
served. The roster is data (services/routing/experts.yaml)."""

from __future__ import annotations

from pathlib import Path

from services.routing.experts import Expert, assign, load_experts

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
