"""routing's two YAML files, its policy and its roster of experts, are read through the project's typed loader: a
value of the wrong type, or a key the file should not hold, stops routing at start-up with the file, the key and
what it expected, instead of passing unnoticed until the first decision or the first accepted project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from contracts.config_files import ConfigFileError
from services.routing.experts import DEFAULT_EXPERTS, load_experts, roster_version
from services.routing.handlers import DEFAULT_POLICY, load_policy

pytestmark = pytest.mark.unit


def edited(directory: Path, source: Path, slip: Callable[[dict], None]) -> Path:
    """A copy of `source` with the operator's `slip` made to its document."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    slip(document)
    copy = directory / source.name
    copy.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return copy


def test_the_files_as_shipped_load():
    assert load_policy().forward_min_score == 30 and load_policy().purpose_sectors == ("cybersecurity", "insurance")
    assert len(load_experts()) == 8 and roster_version().startswith("experts-")


def test_a_word_where_the_policy_wants_a_number_stops_routing_naming_the_file_the_key_and_the_type(tmp_path):
    # Given routing's policy with the forward threshold written in words
    policy = edited(tmp_path, DEFAULT_POLICY, lambda p: p.update(forward_min_score="thirty"))
    # Then loading it fails, naming the file, the key and the type it expected
    with pytest.raises(ConfigFileError) as refused:
        load_policy(policy)
    assert str(refused.value).startswith(f"{policy}: forward_min_score: Input should be a valid integer")
    assert "'thirty'" in str(refused.value)


def test_a_misspelt_policy_key_stops_routing_instead_of_taking_a_default(tmp_path):
    policy = edited(tmp_path, DEFAULT_POLICY, lambda p: p.update(tie_margins=p.pop("tie_margin")))
    with pytest.raises(ConfigFileError, match="tie_margins: Extra inputs are not permitted"):
        load_policy(policy)


def test_a_word_where_the_roster_wants_a_capacity_stops_routing_naming_the_file_the_expert_and_the_type(tmp_path):
    # Given the roster with Sofia Rossi's capacity written in words
    roster = edited(tmp_path, DEFAULT_EXPERTS, lambda r: r["experts"][2].update(max_active="three"))
    # Then loading it fails, naming the file, the third expert's key and the type it expected
    with pytest.raises(ConfigFileError) as refused:
        load_experts(roster)
    assert str(refused.value).startswith(f"{roster}: experts.2.max_active: Input should be a valid integer")
    # And so does asking for the roster's version (GET /v1/experts)
    with pytest.raises(ConfigFileError):
        roster_version(roster)


def test_skills_written_as_one_word_instead_of_a_list_stop_routing(tmp_path):
    roster = edited(tmp_path, DEFAULT_EXPERTS, lambda r: r["experts"][2].update(skills="cybersecurity"))
    with pytest.raises(ConfigFileError, match=r"experts\.2\.skills: Input should be a valid list"):
        load_experts(roster)
