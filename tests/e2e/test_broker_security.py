"""Security on the broker, as production runs it: every client connects over TLS, checking the broker's
certificate against the installation's CA, signs in with its own SASL/SCRAM user, and ACLs say what it may read
and write. A partner factory reads only its own offer topic and writes only replies and incoming referrals; what
it writes must be signed in its own name. The services run on the same broker with their own users, so the ACLs
of infra/acls.py are proven sufficient as well as tight, and the services' TLS settings as working."""

from __future__ import annotations

import asyncio
import json
import ssl
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError

from contracts import signing, topics
from contracts.envelope import Envelope
from contracts.events import ReferralOffered
from infra import acls, credentials, tls
from infra.credentials import sasl
from infra.kafka.local_kafka import SecuredKafka, ensure_libs
from infra.localnet import free_ports
from infra.partner_simulator import Partner, reply_to
from infra.stack import scram_env
from infra.topics import create_topics
from tests.e2e.test_kcat_partner import jaif_referral, kcat, kcat_produce, kcat_send, openssl_ed25519
from tests.support.kafka import ROOT, read_topic
from tests.support.partners import consenting_rhein_radiologie, error_of, wait_for
from tests.support.system import System, running_system

@pytest.fixture(scope="module")
def secured(database, tmp_path_factory: pytest.TempPathFactory):
    """A broker with SCRAM users for the operator, the services and the 12 partners, the project's ACLs
    applied, and the whole system running on it, each service as its own user."""
    var_dir = tmp_path_factory.mktemp("secured-var")
    users = credentials.ensure(var_dir).kafka_passwords()
    broker_tls = tls.ensure(var_dir / "secrets")
    port, controller_port, partner_port = free_ports(3)
    kafka = SecuredKafka(tmp_path_factory.mktemp("secured-kafka"), port, controller_port, users=users,
                         tls=broker_tls, partner_port=partner_port,
                         libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
    kafka.start()
    try:
        operator = sasl("admin", users["admin"], broker_tls.ca_file)
        asyncio.run(create_topics(kafka.bootstrap, **operator))
        asyncio.run(acls.apply(kafka.bootstrap, operator))
        with running_system(kafka.bootstrap, database, var_dir, "secured",
                            **scram_env(users, broker_tls.ca_file)) as system:
            yield Secured(kafka, system, users)
    finally:
        kafka.stop()


class Secured:
    def __init__(self, kafka: SecuredKafka, system: System, users: dict[str, str]) -> None:
        self.kafka, self.system, self.users = kafka, system, users

    def as_user(self, user: str) -> dict:
        return sasl(user, self.users[user], self.kafka.tls.ca_file)

    def partner(self, factory_id: str) -> Partner:
        """Partner `factory_id`, signed in to the broker and signing as itself."""
        keys = credentials.Credentials(self.system.stack.var_dir / "secrets")
        return Partner(factory_id, keys.signing_key(factory_id), self.kafka.bootstrap, self.users[factory_id],
                       self.kafka.tls.ca_file)

    async def read(self, topic: str) -> list:
        return await read_topic(self.kafka.bootstrap, topic, **self.as_user("admin"))

    def denials(self, principal: str) -> list[str]:
        """The broker's log lines of the operations it denied `principal`."""
        log = self.kafka.log_file.read_text(errors="replace")
        return [line for line in log.splitlines() if f"Principal = User:{principal} is Denied" in line]


async def read_as(secured: Secured, user: str, topic: str, group: str | None = None) -> list:
    """What `user` reads of `topic` in consumer group `group` (by default the one named after it)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=secured.kafka.bootstrap, group_id=group or user,
                                auto_offset_reset="earliest", enable_auto_commit=False, **secured.as_user(user))
    try:
        await consumer.start()
        batches = await consumer.getmany(timeout_ms=3000)
        return [record for records in batches.values() for record in records]
    finally:
        await consumer.stop()




async def refused_at_start(bootstrap: str, options: dict) -> None:
    """Assert that a consumer of JAIF's offers with the client settings `options` cannot even start."""
    consumer = AIOKafkaConsumer(topics.referrals_to("jaif").name, bootstrap_servers=bootstrap,
                                request_timeout_ms=5000, **options)
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(consumer.start(), timeout=20)
    finally:
        await consumer.stop()


async def offered(secured: Secured, factory_id: str, application_id: str) -> list[Envelope[ReferralOffered]]:
    return [Envelope[ReferralOffered].model_validate_json(r.value)
            for r in await secured.read(topics.referrals_to(factory_id).name) if r.key == application_id.encode()]


async def test_the_referral_exchange_works_on_the_secured_broker_and_a_partner_reads_only_its_own_offers(secured):
    # Given an application forwarded with consent: routing, signed in as itself, offers it to JAIF
    response = await secured.system.submit(consenting_rhein_radiologie("Dr. Ida Roth"))
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    (offer,) = await wait_for(lambda: offered(secured, "jaif", application_id), lambda found: len(found) == 1)

    # When JAIF reads its own topic, signed in as itself, it finds the offer
    mine = await read_as(secured, "jaif", topics.referrals_to("jaif").name)
    assert application_id.encode() in [record.key for record in mine]
    # But AI Factory France, signed in as itself, is refused JAIF's topic, and the broker logs the denial
    with pytest.raises(TopicAuthorizationFailedError):
        await read_as(secured, "ai2f", topics.referrals_to("jaif").name)
    assert any(f"Topic:LITERAL:{topics.referrals_to('jaif').name} " in line for line in secured.denials("ai2f"))

    # When AI Factory France answers in JAIF's name (it may write the replies topic, but has only its own key)
    async with secured.partner("ai2f") as ai2f:
        await ai2f.send(topics.REFERRAL_REPLIES, reply_to(offer, "decline"))
    # Then routing dead-letters it with the reason, and the offer still waits for JAIF
    (refused,) = await wait_for(
        lambda: secured.read(topics.REFERRAL_REPLIES.dlq), lambda found: len(found) == 1)
    assert error_of(refused).startswith("the signature is not partner jaif's")

    # When JAIF accepts, signed in and signing as itself
    async with secured.partner("jaif") as jaif:
        await jaif.send(topics.REFERRAL_REPLIES, reply_to(offer, "accept"))
    # Then the applicant sees the acceptance and gets its email: nothing was lost on the way
    await secured.system.wait_until(
        status_url, lambda s: any("accepted the referral" in e["summary"] for e in s["timeline"]))
    emails = await secured.system.wait_for_emails(application_id, count=2)
    assert sorted(email["X-Notice-Kind"] for email in emails) == ["decision:forward:jaif", "referral-accepted:jaif"]


@pytest.mark.parametrize("topic", [topics.DECISION_MADE.name, topics.referrals_to("jaif").name,
                                   topics.APPLICATION_SUBMITTED.name])
async def test_a_partner_cannot_write_where_only_the_services_write(secured, topic):
    # Given JAIF, signed in as itself
    producer = AIOKafkaProducer(bootstrap_servers=secured.kafka.bootstrap, acks="all", enable_idempotence=True,
                                request_timeout_ms=10000, **secured.as_user("jaif"))
    await producer.start()
    try:
        before = len(await secured.read(topic))
        # When it tries to write a decision, an offer to itself, or an application of its own
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topic, b'{"forged": true}', key=b"forged")
    finally:
        await producer.stop()
    # Then the broker refuses it, logs it, and the topic holds nothing more
    assert any(f"Topic:LITERAL:{topic} " in line for line in secured.denials("jaif"))
    assert len(await secured.read(topic)) == before


async def test_a_partner_cannot_read_another_services_topics_or_groups(secured):
    # Given JAIF, signed in as itself: it may not read the decisions, nor join routing's consumer group
    with pytest.raises(TopicAuthorizationFailedError):
        await read_as(secured, "jaif", topics.DECISION_MADE.name)
    with pytest.raises(GroupAuthorizationFailedError):
        await read_as(secured, "jaif", topics.referrals_to("jaif").name, group="routing")


async def test_a_partner_with_kcat_refers_a_project_over_tls_checking_the_brokers_certificate(secured, tmp_path):
    # Given JAIF's shell script: kcat over TLS, checking the broker against the CA it was given and showing JAIF's
    # certificate (Debian 12's kcat cannot sign in with SCRAM to a Kafka 4 broker: its librdkafka is 2.0.2)
    kcat()
    certificate, key = secured.kafka.tls.client_certificate("jaif")
    jaif_key = credentials.Credentials(secured.system.stack.var_dir / "secrets").partner_private_key_file("jaif")
    company = f"Kirchberg Ledger TLS {time.time_ns()}"
    referral = jaif_referral(f"JAIF-TLS-{time.time_ns()}", company)
    value_file = tmp_path / "referral.json"
    value_file.write_bytes(json.dumps(referral).encode())
    headers = {"content-type": "application/cloudevents+json",
               signing.KAFKA_HEADER: signing.SCHEME + openssl_ed25519(jaif_key, value_file)}
    over_tls = ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={secured.kafka.tls.ca_file}",
                "-X", f"ssl.certificate.location={certificate}", "-X", f"ssl.key.location={key}"]

    # When it sends its referral to Luxembourg, on the listener that takes partners by certificate
    kcat_produce(secured.kafka.partner_bootstrap, topics.REFERRALS_INCOMING.name, referral["subject"], headers,
                 value_file, *over_tls)

    # Then the referral is an application from JAIF, with the company JAIF named
    def from_jaif(records) -> list[dict]:
        return [data for data in (json.loads(r.value)["data"] for r in records)
                if data.get("channel") == "partner:jaif" and data["company"]["name"] == company]

    submitted = await wait_for(lambda: secured.read(topics.APPLICATION_SUBMITTED.name), from_jaif)
    assert len(from_jaif(submitted)) == 1
    # And with the same certificate it may not write a decision: the certificate is User:jaif, under jaif's ACLs
    refused = kcat_send(secured.kafka.partner_bootstrap, topics.DECISION_MADE.name, referral["subject"], headers,
                        value_file, *over_tls)
    assert refused.returncode != 0 and "Topic authorization failed" in refused.stderr


async def test_a_client_that_does_not_trust_the_installations_ca_or_skips_tls_is_refused(secured):
    # Given JAIF's right password, but a client that checks the broker against the system's CAs only, one that
    # speaks SASL without TLS, and one on the certificate listener without a certificate
    untrusting = {**secured.as_user("jaif"), "ssl_context": ssl.create_default_context()}
    plaintext = {**secured.as_user("jaif"), "security_protocol": "SASL_PLAINTEXT"}
    plaintext.pop("ssl_context")
    no_certificate = {"security_protocol": "SSL", "ssl_context": secured.as_user("jaif")["ssl_context"]}
    for bootstrap, options in ((secured.kafka.bootstrap, untrusting), (secured.kafka.bootstrap, plaintext),
                               (secured.kafka.partner_bootstrap, no_certificate)):
        # When it connects, Then it never gets to read anything
        await refused_at_start(bootstrap, options)


async def test_a_client_without_valid_credentials_is_refused(secured):
    # Given a client that says it is JAIF with a wrong password, and one that does not sign in at all
    wrong = {**secured.as_user("jaif"), "sasl_plain_password": "not-the-password"}
    for options in (wrong, {}):
        # When it connects, Then it is refused before it can read anything
        await refused_at_start(secured.kafka.bootstrap, options)

