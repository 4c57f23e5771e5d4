"""Submit the sample applications to a running system and print their decisions; then play two partner
factories with the partner simulator and show a referral declined by one and accepted by the next.

Run: python -m infra.demo [--url http://127.0.0.1:8000]  (or `make demo`, which starts the system first)
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from infra import samples

ROOT = Path(__file__).resolve().parent.parent
REFERRAL_STEP = "lu.aif.routing.referral-updated"


def for_this_run(body: dict, run: str) -> dict:
    """The sample's application from an address of this run's own (`name-demo-<run>@domain`): intake takes at
    most a few applications a day for one address (APPLICATIONS_PER_ADDRESS_PER_DAY), and the demo runs again."""
    body = copy.deepcopy(body)
    name, _, domain = body["contact"]["email"].partition("@")
    body["contact"]["email"] = f"{name}-demo-{run}@{domain}"
    return body


def wait_for(client: httpx.Client, status_url: str, condition, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition(status := client.get(status_url).json()):
            return status
        time.sleep(0.2)
    raise TimeoutError(f"not reached after {timeout:.0f} s at {status_url}")


def referral_exchange(client: httpx.Client, url: str, run: str) -> None:
    """JAIF declines every offer and Gaia (Poland) accepts, played by the partner simulator over the same signed
    message API a real partner uses."""
    sign_in = ["--sasl"] if os.environ.get("KAFKA_AUTH") == "scram" else []  # as `make up` started Kafka
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
    simulator = subprocess.Popen(
        [sys.executable, "-m", "infra.partner_simulator", "--factory", "jaif=decline", "--factory", "gaia-aif=accept",
         "--bootstrap", bootstrap, *sign_in], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL)
    try:
        body = for_this_run(samples.RHEIN_RADIOLOGIE.body, f"{run}-again")
        body["consent"]["share_with_partner_factories"] = True
        accepted = client.post(f"{url}/v1/applications", json=body)
        accepted.raise_for_status()
        status = wait_for(client, accepted.json()["status_url"],
                          lambda s: any(e["summary"].endswith("accepted the referral")
                                        for e in s["timeline"] if e["event"] == REFERRAL_STEP))
        print("\nRhein Radiologie again, now consenting to share: the partner simulator plays JAIF (declines) "
              "and Gaia (accepts)")
        for entry in status["timeline"]:
            if entry["event"] == REFERRAL_STEP:
                print(f"    - {entry['summary']}")
        print(f"  status link: {accepted.json()['status_url']}")
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('INTAKE_PORT', '8000')}")
    url = parser.parse_args().url
    run = time.strftime("%Y%m%d%H%M%S")
    with httpx.Client(timeout=10) as client:
        for sample in samples.ALL:
            accepted = client.post(f"{url}/v1/applications", json=for_this_run(sample.body, run))
            accepted.raise_for_status()
            status = wait_for(client, accepted.json()["status_url"], lambda s: "decision" in s)
            decision = status["decision"]
            where = f" -> {decision['factory_id']}" if decision["factory_id"] else ""
            print(f"\n{sample.story}\n  {decision['outcome']}{where}")
            for reason in decision["reasons"]:
                print(f"    - {reason}")
            print(f"  status link: {accepted.json()['status_url']}")
        referral_exchange(client, url, run)
    print("\nThe emails are in var/mail/ (one .eml file each).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
