"""Who may read and write what on Kafka, as code: the ACL bindings of the services and the partner factories.

    python -m infra.acls apply [--bootstrap HOST:PORT] [--user admin] [--secrets var/secrets]
    python -m infra.acls --print [--bootstrap HOST:PORT] [--command-config admin.properties]

`apply` creates every binding on a cluster whose brokers authenticate their clients (SASL/SCRAM-SHA-512) and
have an authorizer, signing in as the operator (its password from `<secrets>/kafka-users.json`); existing
bindings are kept. `--print` prints one `kafka-acls.sh ... --add` command per binding instead, for an operator
to run with their own tools. The principal `User:<name>` is the authenticated name. Topics are created
beforehand by `python -m infra.topics`, never by the services, so no binding here grants Create.

- A service reads the topics it subscribes to, in its own consumer groups, and writes the topic it publishes
  plus the `.dlq` twin of every topic it reads (the dead-letter middleware publishes there). Write on a topic
  is enough for an idempotent producer (KIP-679, Kafka 2.8 and later); Read and Write imply Describe.
- A partner factory `User:<factory-id>` reads only its own referral topic, in a consumer group named after
  itself, and writes only the replies and incoming-referral topics.
- intake's bridge for partners without Kafka (HTTP) reads every offer topic and writes replies and incoming
  referrals on the partners' behalf, signed with their keys.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest

from contracts import reference, topics
from contracts.topics import Topic
from infra.credentials import ADMIN, Credentials, sasl

# What each service subscribes to, with its consumer group: as in services/<name>/main.py. The readers of
# DESIGN.md's topic table that have no subscriber in the code yet get no right until they have one.
SUBSCRIPTIONS: dict[str, tuple[tuple[Topic, str], ...]] = {
    "intake": (
        (topics.APPLICATION_SCORED, "intake.read-model.scored"),
        (topics.DECISION_MADE, "intake.read-model.decisions"),
        (topics.EMAIL_SENT, "intake.read-model.emails"),
        (topics.REFERRAL_UPDATED, "intake.read-model.referrals"),
        (topics.REFERRALS_INCOMING, "intake.incoming-referrals"),
        (topics.JOURNEY_STEP_RECORDED, "intake.read-model.journey"),
        (topics.ERASURE_REQUESTED, "intake.privacy"),
    ),
    "triage": ((topics.APPLICATION_SUBMITTED, "triage"), (topics.ERASURE_REQUESTED, "triage.privacy")),
    "routing": ((topics.APPLICATION_SCORED, "routing"), (topics.REFERRAL_REPLIES, "routing.referrals"),
                (topics.OVERRIDE_REQUESTED, "routing.overrides"), (topics.JOURNEY_STEP_RECORDED, "routing.journey"),
                (topics.ERASURE_REQUESTED, "routing.privacy")),
    "notify": ((topics.DECISION_MADE, "notify"), (topics.REFERRAL_UPDATED, "notify.referrals"),
               (topics.JOURNEY_STEP_RECORDED, "notify.journey"), (topics.ERASURE_REQUESTED, "notify.privacy")),
}

BRIDGE_GROUP = "intake.partner-bridge"

# Codes of the Kafka protocol's CreateAcls request.
_RESOURCE_TYPES = {"topic": 2, "group": 3}
_OPERATIONS = {"Read": 3, "Write": 4}
_LITERAL, _ALLOW, _ANY_HOST = 3, 3, "*"


@dataclass(frozen=True)
class Acl:
    """One allow binding: `principal` may do `operation` on the `resource_type` (topic or group) `resource`."""

    principal: str
    operation: str  # Read | Write
    resource_type: str  # topic | group
    resource: str

    def command(self, bootstrap: str, command_config: str | None = None) -> str:
        config = f" --command-config {command_config}" if command_config else ""
        return (f"kafka-acls.sh --bootstrap-server {bootstrap}{config} --add --allow-principal {self.principal}"
                f" --operation {self.operation} --{self.resource_type} {self.resource}")


def service_acls(service: str) -> list[Acl]:
    principal = f"User:{service}"
    subscriptions = SUBSCRIPTIONS[service]
    acls = [Acl(principal, "Read", "topic", topic.name) for topic, _ in subscriptions]
    acls += [Acl(principal, "Read", "group", group) for _, group in subscriptions]
    acls += [Acl(principal, "Write", "topic", topic.name) for topic in topics.ALL if topic.writer == service]
    acls += [Acl(principal, "Write", "topic", topic.dlq) for topic, _ in subscriptions]
    offer_topics = [topics.referrals_to(f.id) for f in reference.load().partners]
    if service == "routing":  # the offers, one topic per partner
        acls += [Acl(principal, "Write", "topic", topic.name) for topic in offer_topics]
    if service == "intake":  # the HTTP bridge: it reads the offers and writes on the partners' behalf
        acls += [Acl(principal, "Read", "topic", topic.name) for topic in offer_topics]
        acls += [Acl(principal, "Write", "topic", topic.dlq) for topic in offer_topics]
        acls += [Acl(principal, "Read", "group", BRIDGE_GROUP)]
        acls += [Acl(principal, "Write", "topic", t.name) for t in (topics.REFERRAL_REPLIES, topics.REFERRALS_INCOMING)]
    return acls


def partner_acls(factory_id: str) -> list[Acl]:
    principal = f"User:{factory_id}"
    return [
        Acl(principal, "Read", "topic", topics.referrals_to(factory_id).name),
        Acl(principal, "Read", "group", factory_id),
        Acl(principal, "Write", "topic", topics.REFERRAL_REPLIES.name),
        Acl(principal, "Write", "topic", topics.REFERRALS_INCOMING.name),
    ]


def bindings() -> list[Acl]:
    """Every binding, services first, then the partner factories of the reference data; no duplicates."""
    acls = [acl for service in SUBSCRIPTIONS for acl in service_acls(service)]
    acls += [acl for factory in reference.load().partners for acl in partner_acls(factory.id)]
    return list(dict.fromkeys(acls))


async def apply(bootstrap: str, user: str, password: str) -> int:
    """Create every binding, signed in as the operator `user`; returns how many. Raises naming the first
    binding the cluster refused."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000, **sasl(user, password))
    await admin.start()
    try:
        node = admin._client.get_random_node()  # the admin client has no ACL call; the protocol request does
        acls = bindings()
        for acl in acls:
            request = CreateAclsRequest(_RESOURCE_TYPES[acl.resource_type], acl.resource, _LITERAL, acl.principal,
                                        _ANY_HOST, _OPERATIONS[acl.operation], _ALLOW)
            response = await admin._client.send(node, request)
            for result in response.creation_responses:
                if result[0]:
                    raise RuntimeError(f"the cluster refused {acl}: error {result[0]} {result[1]}")
        return len(acls)
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.acls", description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", choices=["apply"], help="create every binding on the cluster")
    parser.add_argument("--print", action="store_true", dest="print_commands",
                        help="print the kafka-acls.sh commands that add every binding, one a line")
    parser.add_argument("--user", default=ADMIN, help="apply: the operator's SCRAM user (default: admin)")
    parser.add_argument("--secrets", type=Path, default=Path(os.environ.get("VAR_DIR", "var")) / "secrets",
                        help="apply: the directory of kafka-users.json (default: var/secrets)")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--command-config", help="client properties of the operator's principal (SASL, TLS)")
    args = parser.parse_args()
    if args.action == "apply":
        count = asyncio.run(apply(args.bootstrap, args.user, Credentials(args.secrets).password(args.user)))
        print(f"{count} ACL bindings applied on {args.bootstrap}")
        return
    if not args.print_commands:
        parser.error("say what to do: apply, or --print")
    for acl in bindings():
        print(acl.command(args.bootstrap, args.command_config))


if __name__ == "__main__":
    main()
