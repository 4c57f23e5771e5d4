"""What the tests of the partner message API share: a consenting application to offer, the partners' clients
and keys, and waiting for what shows on the topics."""

from __future__ import annotations

import asyncio
import copy
import time

from contracts import topics
from infra import samples
from infra.credentials import Credentials
from infra.partner_simulator import Partner
from services.runtime.dead_letter import HEADER_ERROR


def consenting_rhein_radiologie(person: str) -> dict:
    """Rhein Radiologie's health project (forwarded to JAIF), consenting to share, sent by another person than the
    sample's: other tests check that the sample's own contact never reaches a partner."""
    body = copy.deepcopy(samples.RHEIN_RADIOLOGIE.body)
    body["consent"]["share_with_partner_factories"] = True
    body["contact"].update(name=person, email=f"{person.split()[-1].lower()}@rhein-radiologie.example")
    return body


def credentials(system) -> Credentials:
    """The partners' keys and Kafka passwords of a running system."""
    return Credentials(system.stack.var_dir / "secrets")


def partner(system, factory_id: str) -> Partner:
    """A Kafka client of partner `factory_id`, signing with its own key."""
    return Partner(factory_id, credentials(system).signing_key(factory_id), system.bootstrap)


def referral_steps(status: dict) -> list[str]:
    """The referral exchange's steps in an application's timeline, oldest first."""
    return [entry["summary"] for entry in status["timeline"] if entry["event"] == topics.REFERRAL_UPDATED.event_type]


def error_of(dead_letter) -> str:
    """The error a dead-lettered record carries in its headers."""
    return dict(dead_letter.headers)[HEADER_ERROR].decode()


async def wait_for(fetch, condition, timeout: float = 30):
    """Call `fetch` until `condition` holds for what it returns; return that."""
    deadline = time.monotonic() + timeout
    while not condition(found := await fetch()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s; last: {found!r}")
        await asyncio.sleep(0.2)
    return found
