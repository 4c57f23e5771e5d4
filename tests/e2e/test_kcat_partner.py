"""A partner factory without Python works from the published contract alone: it reads the AsyncAPI document
intake serves, writes its referral as plain JSON, signs it with openssl and sends it with kcat. What the
document says is enough for the referral to become an application, and a wrong signature is refused."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import jsonschema
import pytest

from contracts import topics
from infra.credentials import Credentials
from tests.contract.test_asyncapi import message_of
from tests.support.kafka import read_topic
from tests.support.partners import error_of, wait_for

INCOMING = "aif.referrals.incoming.v1"  # what JAIF was told: the topic to refer projects to Luxembourg on


def kcat() -> str:
    if path := shutil.which("kcat"):
        return path
    pytest.fail("kcat is not installed: `make test` (or `make test-e2e`) installs it from Debian's packages")


def jaif_referral(referral_id: str, company: str) -> dict:
    """JAIF's referral as JAIF's own program writes it: plain JSON, a CloudEvents envelope in its own name."""
    event_id = str(uuid.uuid4())
    return {
        "id": event_id,
        "source": "/partners/jaif",
        "type": "lu.aif.referrals.incoming",
        "specversion": "1.0",
        "time": "2026-03-02T09:30:00Z",
        "subject": referral_id,
        "datacontenttype": "application/json",
        "dataschema": "urn:aiguillage:schema:lu.aif.referrals.incoming:1",
        "correlationid": event_id,
        "data": {
            "referral_id": referral_id,
            "from_factory": "jaif",
            "company": {"name": company, "country": "LU", "size": "sme"},
            "contact": {"name": "Claire Hoffmann", "email": "claire.hoffmann@kirchberg-ledger.example",
                        "language": "fr"},
            "project": {
                "title": "Fraud detection for instant payments",
                "summary": "We train a graph neural network on card and instant payment flows to flag fraud in "
                           "real time for Luxembourg banks.",
                "declared_sectors": ["finance", "cybersecurity"],
                "data_readiness": "ready",
                "stage": "pilot",
            },
            "consent": {"share_with_partner_factories": True},
            "note": "The company is based in Luxembourg.",
        },
    }


def at(value: dict, location: str) -> str:
    """The part of the message `location` (an AsyncAPI runtime expression `$message.payload#/a/b`) names."""
    expression, _, pointer = location.partition("#")
    assert expression == "$message.payload", location
    for part in pointer.removeprefix("/").split("/"):
        value = value[part]
    return value


def readable(records) -> list[dict]:
    """The envelopes among `records`: other tests of the session put unreadable messages on the topics too."""
    envelopes = []
    for record in records:
        try:
            envelope = json.loads(record.value)
        except ValueError:
            continue
        if isinstance(envelope, dict) and isinstance(envelope.get("data"), dict):
            envelopes.append(envelope)
    return envelopes


def company_of(envelope: dict) -> str | None:
    company = envelope["data"].get("company")
    return company.get("name") if isinstance(company, dict) else None


def openssl_ed25519(key_file: Path, path: Path) -> str:
    """The base64 Ed25519 signature of the file's bytes with the private key in `key_file`, as a shell computes
    it (OpenSSL 3)."""
    run = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", str(key_file), "-rawin", "-in", str(path)],
                         capture_output=True, check=True)
    return base64.b64encode(run.stdout).decode()


def openssl_key_pair(path: Path) -> Path:
    """A new Ed25519 private key in `path`, as a partner makes its own."""
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)], capture_output=True,
                   check=True)
    return path


def kcat_send(bootstrap: str, topic: str, key: str, headers: dict[str, str], value_file: Path,
              *options: str) -> subprocess.CompletedProcess:
    """One message whose value is the whole file: kcat splits its input on newlines, but never a file it is given
    as an argument without -l. `options` are librdkafka's `-X` settings, e.g. TLS."""
    command = [kcat(), "-P", "-b", bootstrap, *options, "-X", "message.timeout.ms=20000", "-t", topic, "-k", key]
    for name, value in headers.items():
        command += ["-H", f"{name}={value}"]
    return subprocess.run([*command, str(value_file)], capture_output=True, text=True, timeout=60)


def kcat_produce(bootstrap: str, topic: str, key: str, headers: dict[str, str], value_file: Path,
                 *options: str) -> None:
    run = kcat_send(bootstrap, topic, key, headers, value_file, *options)
    assert run.returncode == 0, f"kcat failed: {run.stderr}"


async def test_a_partner_with_kcat_and_openssl_refers_a_project_from_the_published_contract(system, tmp_path):
    kcat()
    # Given the contract as intake publishes it, and JAIF's private key
    async with httpx.AsyncClient(timeout=10) as client:
        document = (await client.get(f"{system.intake}/asyncapi.json")).json()
    (channel,) = [c for c in document["channels"].values() if c["address"] == INCOMING]
    message = message_of(document, channel)
    key_location = message["bindings"]["kafka"]["key"]["x-location"]
    [(signature_header, rule)] = [(name, schema["x-signature"])
                                  for name, schema in message["headers"]["properties"].items() if "x-signature" in schema]
    assert (rule["algorithm"], rule["input"], rule["encoding"]) == ("Ed25519", "$message.payload", "base64")
    jaif_key = Credentials(system.stack.var_dir / "secrets").partner_private_key_file("jaif")

    def send(referral: dict, key_file: Path) -> None:
        """What JAIF's shell script does: check the JSON against the contract, sign its bytes, send them."""
        jsonschema.validate(referral, {**message["payload"], "components": document["components"]})
        value_file = tmp_path / f"{at(referral, key_location)}.json"
        value_file.write_bytes(json.dumps(referral).encode())  # no newline at the end: the bytes signed are sent
        headers = {"content-type": message["headers"]["properties"]["content-type"]["const"],
                   signature_header: rule["prefix"] + openssl_ed25519(key_file, value_file)}
        jsonschema.validate(headers, message["headers"])
        kcat_produce(system.bootstrap, channel["address"], at(referral, key_location), headers, value_file)

    # When JAIF refers Kirchberg Ledger's project, and sends another referral signed with a key pair not its own
    suffix = time.time_ns()
    company = f"Kirchberg Ledger {suffix}"
    send(jaif_referral(f"JAIF-KCAT-{suffix}", company), jaif_key)
    forged_id = f"JAIF-KCAT-FORGED-{suffix}"
    send(jaif_referral(forged_id, f"Forged Ledger {suffix}"), openssl_key_pair(tmp_path / "not-jaifs.pem"))

    # Then the referral is an application from JAIF, with the company JAIF named
    def from_jaif(records) -> list[dict]:
        return [event["data"] for event in readable(records)
                if event["data"].get("channel") == "partner:jaif" and company_of(event) == company]

    submitted = await wait_for(lambda: read_topic(system.bootstrap, topics.APPLICATION_SUBMITTED.name), from_jaif)
    (application,) = from_jaif(submitted)
    # And routing decides it, under a named policy
    key = application["application_id"].encode()
    decisions = await wait_for(lambda: read_topic(system.bootstrap, topics.DECISION_MADE.name),
                               lambda records: [r for r in records if r.key == key])
    (decision,) = [json.loads(r.value)["data"] for r in decisions if r.key == key]
    assert decision["outcome"] in ("accept_local", "forward", "decline", "review") and decision["policy_version"]
    # And the referral with the wrong signature is on the dead-letter topic, saying why, and made no application
    refused = await wait_for(lambda: read_topic(system.bootstrap, topics.REFERRALS_INCOMING.dlq),
                             lambda records: [r for r in records if r.key == forged_id.encode()])
    (dead_letter,) = [r for r in refused if r.key == forged_id.encode()]
    assert "the signature is not partner jaif's" in error_of(dead_letter)
    assert not [event for event in readable(await read_topic(system.bootstrap, topics.APPLICATION_SUBMITTED.name))
                if company_of(event) == f"Forged Ledger {suffix}"]
