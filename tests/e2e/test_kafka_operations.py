"""The operator's Kafka commands against the broker as production runs it (TLS, SASL/SCRAM, ACLs): the dead
letters are listed and replayed, the topics keep their records as long as the plan says and existing topics are
brought to it, and a partner that leaves loses its access.

The commands run as the operator runs them, processes of their own, with the services' settings from the
environment. One broker for the module; no services (test_broker_security.py runs the system on such a broker).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError

from contracts import topics
from infra import acls, credentials, tls
from infra.credentials import sasl
from infra.dead_letters import REPLAYED_FROM
from infra.kafka.local_kafka import SecuredKafka, ensure_libs
from infra.localnet import free_ports
from infra.topics import DAY_MS, provision
from services.runtime import dead_letter as dlq
from tests.support.kafka import ROOT, read_topic

# The partner that leaves Luxembourg's network in these tests, and one that stays.
LEAVING, STAYING = "nlaif", "jaif"
# How the broker refuses a write: an idempotent producer with no Write on any topic is refused its producer id
# (a cluster authorization), one with Write elsewhere is refused the topic.
REFUSED = (ClusterAuthorizationFailedError, TopicAuthorizationFailedError)


@dataclass
class Broker:
    kafka: SecuredKafka
    var_dir: Path
    users: dict[str, str]

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap

    def as_user(self, user: str) -> dict:
        return sasl(user, self.users[user], self.kafka.tls.ca_file)

    def run(self, module: str, *args: str, **settings: str) -> str:
        """Run `python -m <module> *args --bootstrap <broker>` with `settings` as environment variables (and no
        Kafka settings of the test runner's own); returns its output, failing the test if it fails."""
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("KAFKA_") and name not in ("VAR_DIR", "DLQ_RETENTION_DAYS",
                                                                 "EVENT_RETENTION_DAYS")}
        run = subprocess.run([sys.executable, "-m", module, *args, "--bootstrap", self.bootstrap], cwd=ROOT,
                             env={**env, "PYTHONPATH": str(ROOT), **settings}, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, f"{module} {' '.join(args)} failed:\n{run.stdout}{run.stderr}"
        return run.stdout

    def as_local_operator(self) -> dict[str, str]:
        """The settings `KAFKA_AUTH=scram make ...` gives the operator's commands."""
        return {"KAFKA_AUTH": "scram", "VAR_DIR": str(self.var_dir)}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory):
    """A broker with TLS, SCRAM users for the operator, the services and the partners, the topics and ACLs."""
    var_dir = tmp_path_factory.mktemp("operations-var")
    users = credentials.ensure(var_dir).kafka_passwords()
    port, controller_port, partner_port = free_ports(3)
    kafka = SecuredKafka(tmp_path_factory.mktemp("operations-kafka"), port, controller_port, users=users,
                         tls=tls.ensure(var_dir / "secrets"), partner_port=partner_port,
                         libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
    kafka.start()
    try:
        broker = Broker(kafka, var_dir, users)
        asyncio.run(provision(kafka.bootstrap, **broker.as_user("admin")))
        asyncio.run(acls.apply(kafka.bootstrap, broker.as_user("admin")))
        yield broker
    finally:
        kafka.stop()


async def write_as(broker: Broker, user: str, topic: str, value: bytes, headers=()):
    """Write one record signed in as `user` with a fresh client (no metadata from before an ACL change)."""
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=True,
                                request_timeout_ms=10000, **broker.as_user(user))
    try:
        await producer.start()
        return await producer.send_and_wait(topic, value, key=b"ops-test", headers=list(headers))
    finally:
        await producer.stop()


async def configs(broker: Broker, *names: str) -> dict[str, dict[str, str]]:
    """The configs the broker describes for each topic, as an operator's kafka-configs.sh --describe shows them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, **broker.as_user("admin"))
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
        return {name: {entry[0]: entry[1] for entry in entries} for _, _, _, name, entries in response.resources}
    finally:
        await admin.close()


async def test_the_dead_letters_are_listed_and_replayed_over_tls_as_the_operator(broker):
    # Given a decision routing dead-lettered on the secured broker
    value = json.dumps({"decision": "ops-test"}).encode()
    await write_as(broker, "admin", topics.DECISION_MADE.dlq, value,
                   [(dlq.HEADER_SERVICE, b"notify"), (dlq.HEADER_ERROR_TYPE, b"SMTPDataError"),
                    (dlq.HEADER_ERROR, b"the relay refused the message"), (dlq.HEADER_ATTEMPTS, b"3")])

    # When the operator lists the dead letters, as `KAFKA_AUTH=scram make dead-letters` does
    listing = broker.run("infra.dead_letters", "list", "--topic", topics.DECISION_MADE.name,
                         **broker.as_local_operator())
    # Then the dead letter is there, with why it failed
    (record_id,) = re.findall(rf"^{re.escape(topics.DECISION_MADE.dlq)}:\d+:\d+$", listing, re.M)
    assert "SMTPDataError: the relay refused the message" in listing
    assert f"{topics.DECISION_MADE.dlq}: 1 record" in listing.splitlines()

    # When the operator replays it with the services' own settings (user, password, CA file)
    replayed = broker.run("infra.dead_letters", "replay", record_id, KAFKA_USERNAME="admin",
                          KAFKA_PASSWORD=broker.users["admin"], KAFKA_SSL_CAFILE=str(broker.kafka.tls.ca_file))
    # Then it is back on the decisions topic, saying where it came from
    assert f"replayed {record_id} -> {topics.DECISION_MADE.name}:" in replayed
    back = [r for r in await read_topic(broker.bootstrap, topics.DECISION_MADE.name, **broker.as_user("admin"))
            if r.value == value]
    assert [dict(r.headers)[REPLAYED_FROM] for r in back] == [record_id.encode()]


async def test_topics_keep_personal_data_a_month_the_erasure_registry_for_ever_and_other_dead_letters_a_year(
        broker):
    # Given the topics as the operator's provisioning created them
    registry = topics.ERASURE_REQUESTED
    found = await configs(broker, topics.APPLICATION_SUBMITTED.name, topics.DECISION_MADE.dlq,
                          topics.referrals_to(STAYING).name, registry.name, registry.dlq)
    # Then a topic with personal data, and its dead letters, keep them 30 days (PRIVACY.md), not the broker's 7
    for name in (topics.APPLICATION_SUBMITTED.name, topics.referrals_to(STAYING).name, topics.DECISION_MADE.dlq):
        assert found[name]["retention.ms"] == str(30 * DAY_MS), name
    # And the registry of erased applications, which names no one, is compacted and never deleted; its dead
    # letters wait a year for an operator
    assert (found[registry.name]["retention.ms"], found[registry.name]["cleanup.policy"]) == ("-1", "compact")
    assert found[registry.dlq]["retention.ms"] == str(365 * DAY_MS)


async def test_existing_topics_are_brought_to_the_plan_and_keep_their_other_configs(broker):
    # Given a topic created before the plan had retention (the broker's 7 days), with a setting of its own
    topic, registry = topics.EMAIL_SENT.name, topics.ERASURE_REQUESTED
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap, **broker.as_user("admin"))
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                                  {"retention.ms": str(7 * DAY_MS), "max.message.bytes": "524288"}),
                                   ConfigResource(ConfigResourceType.TOPIC, registry.dlq,
                                                  {"retention.ms": str(365 * DAY_MS)})])
    finally:
        await admin.close()

    # When the operator runs the topics command, with personal data kept 14 days and dead letters 90 on this cluster
    settings = {"PERSONAL_DATA_RETENTION_DAYS": "14", "DLQ_RETENTION_DAYS": "90"}
    output = broker.run("infra.topics", **settings, **broker.as_local_operator())

    # Then it says what it changed, and the broker now keeps them as this cluster's settings say
    assert f"changed {topic}: retention.ms {7 * DAY_MS} -> {14 * DAY_MS}" in output.splitlines()
    assert f"changed {registry.dlq}: retention.ms {365 * DAY_MS} -> {90 * DAY_MS}" in output.splitlines()
    found = await configs(broker, topic, registry.dlq)
    assert found[topic]["retention.ms"] == str(14 * DAY_MS)
    assert found[registry.dlq]["retention.ms"] == str(90 * DAY_MS)
    # And what the plan does not name is left as it was
    assert found[topic]["max.message.bytes"] == "524288"
    # And a second run finds nothing to change
    assert "0 configs changed" in broker.run("infra.topics", **settings, **broker.as_local_operator())


async def test_a_partner_taken_out_of_the_key_file_can_no_longer_write_to_luxembourg(broker, tmp_path):
    # Given a partner that may send replies and referrals to Luxembourg
    await write_as(broker, LEAVING, topics.REFERRALS_INCOMING.name, b'{"before": "leaving"}')
    # And the operator's secrets without its key: it left the network
    secrets = tmp_path / "secrets"
    shutil.copytree(broker.var_dir / "secrets", secrets)
    keys = json.loads((secrets / "partner-keys.json").read_text())
    del keys[LEAVING]
    (secrets / "partner-keys.json").write_text(json.dumps(keys))

    # When the operator applies the ACLs
    output = broker.run("infra.acls", "apply", "--secrets", str(secrets), **broker.as_local_operator())

    # Then the command names what it revoked: the leaving partner's bindings and nothing of anyone else's
    revoked = [line.removeprefix("revoked ") for line in output.splitlines() if line.startswith("revoked ")]
    assert f"User:{LEAVING} Write topic {topics.REFERRALS_INCOMING.name}" in revoked
    assert all(line.startswith(f"User:{LEAVING} ") for line in revoked) and len(revoked) == len(acls.partner_acls(LEAVING))
    # And the broker refuses its writes, while a partner that stays still writes
    for topic in (topics.REFERRALS_INCOMING.name, topics.REFERRAL_REPLIES.name):
        with pytest.raises(REFUSED):
            await write_as(broker, LEAVING, topic, b'{"after": "leaving"}')
    await write_as(broker, STAYING, topics.REFERRALS_INCOMING.name, b'{"staying": true}')
    incoming = await read_topic(broker.bootstrap, topics.REFERRALS_INCOMING.name, **broker.as_user("admin"))
    assert b'{"after": "leaving"}' not in [r.value for r in incoming]


async def test_a_partner_revoked_by_name_loses_its_access_at_once(broker):
    # Given a partner that may send replies to Luxembourg
    await write_as(broker, STAYING, topics.REFERRAL_REPLIES.name, b'{"before": "revoked"}')

    # When the operator revokes it by name (a leaked password, a partner gone before the key file is changed)
    output = broker.run("infra.acls", "revoke", STAYING, **broker.as_local_operator())

    # Then it can no longer write; and the next `apply` from the unchanged key file grants it again
    assert f"revoked User:{STAYING} Write topic {topics.REFERRAL_REPLIES.name}" in output.splitlines()
    with pytest.raises(REFUSED):
        await write_as(broker, STAYING, topics.REFERRAL_REPLIES.name, b'{"after": "revoked"}')
    broker.run("infra.acls", "apply", **broker.as_local_operator())
    await write_as(broker, STAYING, topics.REFERRAL_REPLIES.name, b'{"after": "granted again"}')
