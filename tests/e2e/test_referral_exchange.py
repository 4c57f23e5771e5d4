"""The referral exchange with partner factories, over the real broker: offers on each partner's own topic,
answers from a simulated partner, the next candidate after a decline, and nothing sent without consent."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import pytest

from contracts import reference, topics
from infra import samples
from infra.stack import ROOT
from tests.support.kafka import read_topic
from tests.support.partners import referral_steps


@pytest.fixture
def partners(system):
    """JAIF declines every offer, Gaia accepts: a partner simulator on the same public message API."""
    simulator = subprocess.Popen(
        [sys.executable, "-m", "infra.partner_simulator", "--factory", "jaif=decline", "--factory", "gaia-aif=accept",
         "--bootstrap", system.bootstrap, "--secrets", str(system.stack.var_dir / "secrets")], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert "answering" in simulator.stdout.readline()
    yield
    simulator.terminate()
    simulator.wait(timeout=10)



async def test_a_health_project_declined_by_one_partner_goes_to_the_next_which_accepts(system, partners):
    # Given Rhein Radiologie, a German clinic group, this time consenting to share its application
    body = copy.deepcopy(samples.RHEIN_RADIOLOGIE.body)
    body["consent"]["share_with_partner_factories"] = True
    body["contact"].update(name="Dr. Jonas Brandt", email="j.brandt@rhein-radiologie.example")
    response = await system.submit(body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]

    # When the JUPITER AI Factory declines the offer and the next partner, Gaia (as specialised in health as
    # the Dutch AI Factory, and stated more firmly), accepts
    # (decisions and referral steps come on two topics: the page shows each as it reads it)
    status = await system.wait_until(status_url, lambda s: any("accepted" in step for step in referral_steps(s))
                                     and (s.get("decision") or {}).get("factory_id") == "gaia-aif")

    # Then the timeline shows each step of the exchange, in order
    names = {f: reference.load().factory(f).name for f in ("jaif", "gaia-aif")}
    assert [step.split(" (")[0].split(":")[0] for step in referral_steps(status)] == [
        f"Offered to {names['jaif']}", f"{names['jaif']} declined the referral",
        f"Offered to {names['gaia-aif']}", f"{names['gaia-aif']} accepted the referral"]
    # And the current decision names the partner that accepted
    assert (status["decision"]["outcome"], status["decision"]["factory_id"]) == ("forward", "gaia-aif")
    # And the applicant got three emails: the first partner, the next one, and the acceptance
    emails = await system.wait_for_emails(application_id, count=3)
    kinds = sorted(email["X-Notice-Kind"] for email in emails)
    assert kinds == ["decision:forward:gaia-aif", "decision:forward:jaif", "referral-accepted:gaia-aif"]
    accepted = next(email for email in emails if email["X-Notice-Kind"].startswith("referral-accepted"))
    assert names["gaia-aif"] in accepted["Subject"] and "übernimmt" in accepted["Subject"]
    # And the offers carried the contact, which the applicant agreed to share, each on its partner's topic
    for factory in ("jaif", "gaia-aif"):
        (offer,) = [r for r in await read_topic(system.bootstrap, topics.referrals_to(factory).name)
                    if r.key == application_id.encode()]
        assert body["contact"]["email"].encode() in offer.value


async def test_a_forward_without_consent_sends_nothing_to_any_partner(system):
    # Given Rhein Radiologie, which did not consent to sharing, forwarded to the JUPITER AI Factory
    response = await system.submit(samples.RHEIN_RADIOLOGIE.body)
    application_id = response.json()["application_id"]
    status = await system.wait_until(response.json()["status_url"], lambda s: "decision" in s)
    assert (status["decision"]["outcome"], status["decision"]["factory_id"]) == ("forward", "jaif")
    # Then no partner's topic carries anything about the application, nor its contact data
    contact = samples.RHEIN_RADIOLOGIE.body["contact"]
    for factory in reference.load().partners:
        for record in await read_topic(system.bootstrap, topics.referrals_to(factory.id).name):
            assert record.key != application_id.encode()
            assert contact["email"].encode() not in record.value and contact["name"].encode() not in record.value
