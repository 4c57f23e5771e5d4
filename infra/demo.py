"""Submit the sample applications to a running system and print their decisions.

Run: python -m infra.demo [--url http://127.0.0.1:8000]  (or `make demo`, which starts the system first)
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import httpx

from infra import samples


def wait_for_decision(client: httpx.Client, status_url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(status_url).json()
        if "decision" in status:
            return status
        time.sleep(0.2)
    raise TimeoutError(f"no decision after {timeout:.0f} s at {status_url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('INTAKE_PORT', '8000')}")
    url = parser.parse_args().url
    with httpx.Client(timeout=10) as client:
        for sample in samples.ALL:
            accepted = client.post(f"{url}/v1/applications", json=sample.body)
            accepted.raise_for_status()
            status = wait_for_decision(client, accepted.json()["status_url"])
            decision = status["decision"]
            where = f" -> {decision['factory_id']}" if decision["factory_id"] else ""
            print(f"\n{sample.story}\n  {decision['outcome']}{where}")
            for reason in decision["reasons"]:
                print(f"    - {reason}")
            print(f"  status link: {accepted.json()['status_url']}")
    print("\nThe emails are in var/mail/ (one .eml file each).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
