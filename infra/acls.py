"""Who may read and write what on Kafka, as code: the ACL bindings of the services and the partner factories.

    python -m infra.acls apply [--bootstrap HOST:PORT] [--secrets var/secrets]
    python -m infra.acls revoke <factory-id> [--bootstrap HOST:PORT]
    python -m infra.acls --print [--bootstrap HOST:PORT] [--command-config admin.properties]

`apply` makes the bindings of a cluster whose brokers authenticate their clients (SASL/SCRAM-SHA-512) and have
an authorizer what this module says: it creates every binding, then deletes the stale ones, printing them: every
binding of a principal that has rights on the project's topics (`aif.*`) and that the plan does not hold. So a
partner factory taken out of the reference data or out of `<secrets>/partner-keys.json` (where that file is)
loses all its bindings at the next `apply`; `revoke <factory-id>` deletes one partner's bindings at once. Both
sign in as the operator, with the same settings as the services (KAFKA_USERNAME, KAFKA_PASSWORD,
KAFKA_SSL_CAFILE; with KAFKA_AUTH=scram and no user, the local broker's `admin`, see infra/credentials.py).
`--print` prints one `kafka-acls.sh ... --add` command per binding instead, for an operator to run with their
own tools (it deletes nothing). The principal `User:<name>` is the authenticated name (or, on the local broker's
certificate listener, the CN of the client's certificate). Topics are created beforehand by
`python -m infra.topics`, never by the services, so no binding here grants Create. Revoking ACLs does not delete
the partner's SCRAM user: delete it with `kafka-configs.sh --alter --delete-config SCRAM-SHA-512 --entity-type
users --entity-name <factory-id>`.

- A service reads the topics it subscribes to, in its own consumer groups, and writes the topic it publishes
  plus the `.dlq` twin of every topic it reads (the dead-letter middleware publishes there). Write on a topic
  is enough for an idempotent producer (KIP-679, Kafka 2.8 and later); Read and Write imply Describe.
- A partner factory `User:<factory-id>` reads only its own referral topic and the answers to its own offers
  (`aif.referrals.replies.to.<factory-id>.v1`, for a partner running Aiguillage, whose MirrorMaker copies both
  into its own cluster), in a consumer group named after itself, and writes only the replies and
  incoming-referral topics.
- intake's bridge for partners without Kafka (HTTP) reads every offer topic and writes replies and incoming
  referrals on the partners' behalf, signed with their keys.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest

from contracts import reference, topics
from contracts.topics import Topic
from infra.credentials import Credentials, local_secrets, operator_options

# What each service subscribes to, with its consumer group: as in services/<name>/main.py. The readers of
# DESIGN.md's topic table that have no subscriber in the code yet get no right until they have one.
SUBSCRIPTIONS: dict[str, tuple[tuple[Topic, str], ...]] = {
    "intake": (
        (topics.APPLICATION_SCORED, "intake.read-model.scored"),
        (topics.DECISION_MADE, "intake.read-model.decisions"),
        (topics.EMAIL_SENT, "intake.read-model.emails"),
        (topics.REFERRAL_UPDATED, "intake.read-model.referrals"),
        (topics.REFERRALS_INCOMING, "intake.incoming-referrals"),
        (topics.offers_arriving(reference.load().home_factory), "intake.offers"),
        (topics.JOURNEY_STEP_RECORDED, "intake.read-model.journey"),
        (topics.ERASURE_REQUESTED, "intake.privacy"),
    ),
    "triage": ((topics.APPLICATION_SUBMITTED, "triage"), (topics.ERASURE_REQUESTED, "triage.privacy")),
    "routing": ((topics.APPLICATION_SCORED, "routing"), (topics.REFERRAL_REPLIES, "routing.referrals"),
                (topics.replies_to(reference.load().home_factory), "routing.referrals"),
                (topics.OVERRIDE_REQUESTED, "routing.overrides"), (topics.JOURNEY_STEP_RECORDED, "routing.journey"),
                (topics.ERASURE_REQUESTED, "routing.privacy")),
    "notify": ((topics.DECISION_MADE, "notify"), (topics.REFERRAL_UPDATED, "notify.referrals"),
               (topics.JOURNEY_STEP_RECORDED, "notify.journey"), (topics.ERASURE_REQUESTED, "notify.privacy")),
}

BRIDGE_GROUP = "intake.partner-bridge"

# The project's topic names start so (contracts/topics.py): a principal granted rights on one is the project's.
PROJECT_TOPIC_PREFIX = "aif."

# Codes of the Kafka protocol's ACL requests.
_RESOURCE_TYPES = {"topic": 2, "group": 3}
_OPERATIONS = {"Read": 3, "Write": 4}
_ANY, _LITERAL, _ALLOW, _ANY_HOST = 1, 3, 3, "*"


@dataclass(frozen=True)
class Acl:
    """One allow binding: `principal` may do `operation` on the `resource_type` (topic or group) `resource`."""

    principal: str
    operation: str  # Read | Write
    resource_type: str  # topic | group
    resource: str

    def __str__(self) -> str:
        return f"{self.principal} {self.operation} {self.resource_type} {self.resource}"

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
    if service == "routing":  # the offers, and the answers to partners' instances, one topic per partner
        acls += [Acl(principal, "Write", "topic", topic.name) for topic in offer_topics]
        acls += [Acl(principal, "Write", "topic", topics.replies_to(f.id).name) for f in reference.load().partners]
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
        # A partner's own instance (its MirrorMaker, infra/federation.py) also reads the answers to its offers.
        Acl(principal, "Read", "topic", topics.replies_to(factory_id).name),
        Acl(principal, "Read", "group", factory_id),
        Acl(principal, "Write", "topic", topics.REFERRAL_REPLIES.name),
        Acl(principal, "Write", "topic", topics.REFERRALS_INCOMING.name),
    ]


def bindings(partners: list[str] | None = None) -> list[Acl]:
    """Every binding, services first, then the partner factories `partners` (by default those of the reference
    data); no duplicates."""
    acls = [acl for service in SUBSCRIPTIONS for acl in service_acls(service)]
    partners = [factory.id for factory in reference.load().partners] if partners is None else partners
    acls += [acl for factory_id in partners for acl in partner_acls(factory_id)]
    return list(dict.fromkeys(acls))


@dataclass(frozen=True)
class Binding:
    """An ACL binding as the cluster describes it, in the protocol's codes: what DeleteAcls takes back."""

    resource_type: int
    resource: str
    pattern_type: int
    principal: str
    host: str
    operation: int
    permission: int

    def acl(self) -> Acl | None:
        """The Acl this binding is, if it is one this module can grant (a literal allow from any host)."""
        resource_type = {code: name for name, code in _RESOURCE_TYPES.items()}.get(self.resource_type)
        operation = {code: name for name, code in _OPERATIONS.items()}.get(self.operation)
        if (self.pattern_type, self.permission, self.host) != (_LITERAL, _ALLOW, _ANY_HOST) or not (
                resource_type and operation):
            return None
        return Acl(self.principal, operation, resource_type, self.resource)

    def __str__(self) -> str:
        return str(acl) if (acl := self.acl()) else repr(self)


def stale(existing: list[Binding], plan: list[Acl]) -> list[Binding]:
    """The bindings to take back: every binding of a principal the project grants rights on its topics (`aif.`)
    that the plan does not hold. A partner no longer in the plan loses all of its own; the operator's and other
    principals' bindings outside the project's topics are left alone."""
    ours = {acl.principal for acl in plan} | {b.principal for b in existing
                                              if b.resource_type == _RESOURCE_TYPES["topic"]
                                              and b.resource.startswith(PROJECT_TOPIC_PREFIX)}
    wanted = set(plan)
    return [b for b in existing if b.principal in ours and b.acl() not in wanted]


async def _existing(admin: AIOKafkaAdminClient, principal: str | None = None) -> list[Binding]:
    """Every binding on the cluster (of `principal` only, if given)."""
    request = DescribeAclsRequest(_ANY, None, _ANY, principal, None, _ANY, _ANY)
    response = await admin._send_request(request)
    if response.error_code:
        raise RuntimeError(f"the cluster refused to describe its ACLs: error {response.error_code} "
                           f"{response.error_message}")
    return [Binding(resource_type, name, pattern, *acl)
            for resource_type, name, pattern, acls in response.resources for acl in acls]


async def _delete(admin: AIOKafkaAdminClient, bindings_: list[Binding]) -> None:
    for binding in bindings_:
        request = DeleteAclsRequest(binding.resource_type, binding.resource, binding.pattern_type, binding.principal,
                                    binding.host, binding.operation, binding.permission)
        response = await admin._send_request(request)
        for result in response.filter_responses:
            if result[0]:
                raise RuntimeError(f"the cluster refused to delete {binding}: error {result[0]} {result[1]}")


async def apply(bootstrap: str, operator: dict[str, Any], partners: list[str] | None = None) -> tuple[int,
                                                                                                      list[Binding]]:
    """Make the cluster's bindings those of the plan (`bindings(partners)`), signed in with the operator's client
    settings `operator` (infra.credentials.sasl): create every binding, then delete the stale ones (`stale`).
    Returns how many bindings the plan holds, and the ones deleted. Raises naming the first binding the cluster
    refused."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000, **operator)
    await admin.start()
    try:
        acls = bindings(partners)
        for acl in acls:  # the admin client has no ACL call; the protocol requests do
            request = CreateAclsRequest(_RESOURCE_TYPES[acl.resource_type], acl.resource, _LITERAL, acl.principal,
                                        _ANY_HOST, _OPERATIONS[acl.operation], _ALLOW)
            response = await admin._send_request(request)
            for result in response.creation_responses:
                if result[0]:
                    raise RuntimeError(f"the cluster refused {acl}: error {result[0]} {result[1]}")
        revoked = stale(await _existing(admin), acls)
        await _delete(admin, revoked)
        return len(acls), revoked
    finally:
        await admin.close()


async def revoke(bootstrap: str, operator: dict[str, Any], factory_id: str) -> list[Binding]:
    """Delete every binding of partner `factory_id` at once (a partner that leaves, or whose password leaked);
    returns them. Take it out of the reference data or the key file too, or the next `apply` grants them again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000, **operator)
    await admin.start()
    try:
        revoked = await _existing(admin, f"User:{factory_id}")
        await _delete(admin, revoked)
        return revoked
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.acls", description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", choices=["apply", "revoke"],
                        help="apply: create every binding and delete the stale ones; revoke: delete a partner's")
    parser.add_argument("factory", nargs="?", help="revoke: the partner factory's id")
    parser.add_argument("--print", action="store_true", dest="print_commands",
                        help="print the kafka-acls.sh commands that add every binding, one a line")
    parser.add_argument("--secrets", type=Path, default=local_secrets(),
                        help="apply: the directory of partner-keys.json (default: <VAR_DIR>/secrets)")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--command-config", help="client properties of the operator's principal (SASL, TLS)")
    args = parser.parse_args()
    partners = Credentials(args.secrets).partners()
    if args.action == "apply":
        granted, revoked = asyncio.run(apply(args.bootstrap, operator_options(), partners))
        for binding in revoked:
            print(f"revoked {binding}")
        print(f"{granted} ACL bindings applied, {len(revoked)} stale ones revoked on {args.bootstrap}")
        return
    if args.action == "revoke":
        if not args.factory:
            parser.error("revoke takes the partner factory's id")
        for binding in asyncio.run(revoke(args.bootstrap, operator_options(), args.factory)):
            print(f"revoked {binding}")
        return
    if not args.print_commands:
        parser.error("say what to do: apply, revoke <factory-id>, or --print")
    for acl in bindings(partners):
        print(acl.command(args.bootstrap, args.command_config))


if __name__ == "__main__":
    main()
