"""MirrorMaker 2's configuration for one factory: what it pulls from each partner's cluster, and nothing else."""

from __future__ import annotations

import re

from contracts import topics
from infra.federation import mirror_properties


def read_properties(text: str) -> dict[str, str]:
    """The file as java.util.Properties reads it (the subset written here: `key = value`, backslash escapes)."""
    entries = (line.split(" = ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: re.sub(r"\\(.)", r"\1", value) for key, value in entries}


def test_a_factory_pulls_from_each_partner_only_the_offers_and_answers_addressed_to_it():
    config = read_properties(mirror_properties("lux-aif", {"lux-aif": "a:9092", "pharos": "b:9092", "jaif": "c:9092"}))
    # One flow from each partner into home, none out of home
    assert {key for key in config if "->" in key and key.endswith(".enabled")} == {
        "pharos->lux-aif.enabled", "jaif->lux-aif.enabled"}
    addressed = re.compile(config["pharos->lux-aif.topics"])
    every_topic = [t.name for f in ("lux-aif", "pharos", "jaif", "lux-aif2")
                   for t in (topics.referrals_to(f), topics.replies_to(f))] + [t.name for t in topics.ALL]
    assert [name for name in every_topic if addressed.fullmatch(name)] == [
        "aif.referrals.to.lux-aif.v1", "aif.referrals.replies.to.lux-aif.v1"]
    # Same names on both sides, nothing written to a partner's cluster, each side's own topic configs
    assert config["replication.policy.class"].endswith("IdentityReplicationPolicy")
    assert config["offset-syncs.topic.location"] == "target"
    assert config["sync.topic.configs.enabled"] == "false"


def test_a_partners_cluster_is_reached_with_its_own_client_settings():
    config = read_properties(mirror_properties("pharos", {"pharos": "b:9092", "lux-aif": "a:9093"}, client_settings={
        "lux-aif": {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512"}}))
    assert config["lux-aif.security.protocol"] == "SASL_SSL"
    assert config["lux-aif.sasl.mechanism"] == "SCRAM-SHA-512"
    assert "pharos.security.protocol" not in config
