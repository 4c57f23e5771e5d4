"""Who may use the partner bridge: a request signed by the partner of its path, with its own key, within the
replay window. The checks run on what the request carries; the replay of a request is refused by its database
row (tests/e2e/test_partner_bridge.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import signing
from services.intake.errors import Refusal
from services.intake.partners.signed_requests import authenticate
from services.runtime.partners import PartnerKeys

PRIVATE_KEYS = {"jaif": Ed25519PrivateKey.generate(), "ai2f": Ed25519PrivateKey.generate()}
KEYS = PartnerKeys({factory_id: key.public_key() for factory_id, key in PRIVATE_KEYS.items()})
NOW = 1_800_000_000
WINDOW = 300
PATH = "/v1/partners/jaif/replies"
BODY = b'{"offer_id": "o-1", "answer": "accept"}'


def check(headers: dict, *, method: str = "POST", path: str = PATH, body: bytes = BODY,
          factory_id: str = "jaif"):
    return authenticate(KEYS, headers, method=method, path=path, body=body, factory_id=factory_id, now=NOW,
                        window=WINDOW)


def signed(factory_id: str = "jaif", *, key_of: str | None = None, timestamp: int = NOW, method: str = "POST",
           path: str = PATH, body: bytes = BODY) -> dict:
    return signing.http_headers(factory_id, PRIVATE_KEYS[key_of or factory_id], method, path, body, timestamp)


def refusal(headers: dict, **request) -> Refusal:
    with pytest.raises(Refusal) as refused:
        check(headers, **request)
    return refused.value


def test_a_request_signed_by_the_partner_of_its_path_is_let_through():
    request = check(signed())
    assert (request.factory_id, request.method, request.path) == ("jaif", "POST", PATH)
    assert request.signed_at == datetime.fromtimestamp(NOW, UTC)
    assert request.signature == signed()[signing.HTTP_SIGNATURE]


@pytest.mark.parametrize("offset", [-WINDOW, -1, 0, 1, WINDOW])
def test_a_timestamp_within_the_window_either_side_of_the_servers_time_is_accepted(offset):
    assert check(signed(timestamp=NOW + offset)).factory_id == "jaif"


@pytest.mark.parametrize("offset", [-WINDOW - 1, WINDOW + 1, -NOW])
def test_a_timestamp_outside_the_window_is_refused_naming_the_window(offset):
    refused = refusal(signed(timestamp=NOW + offset))
    assert refused.status_code == 401
    assert f"{signing.HTTP_TIMESTAMP} '{NOW + offset}' is outside the replay window of 300 s" in refused.detail


def test_a_timestamp_that_is_not_unix_seconds_is_refused_even_when_signed():
    headers = {**signed(), signing.HTTP_TIMESTAMP: "2027-01-15T10:00:00Z"}
    headers[signing.HTTP_SIGNATURE] = signing.sign(
        PRIVATE_KEYS["jaif"], signing.http_payload("2027-01-15T10:00:00Z", "POST", PATH, BODY))
    refused = refusal(headers)
    assert refused.status_code == 401 and "outside the replay window" in refused.detail


@pytest.mark.parametrize("header", [signing.HTTP_PARTNER, signing.HTTP_TIMESTAMP, signing.HTTP_SIGNATURE])
def test_a_missing_header_is_refused_naming_it(header):
    headers = {name: value for name, value in signed().items() if name != header}
    refused = refusal(headers)
    assert refused.status_code == 401 and refused.detail.startswith(f"missing header {header}:")


def test_an_unknown_partner_is_refused():
    refused = refusal(signed() | {signing.HTTP_PARTNER: "not-a-factory"})
    assert (refused.status_code, refused.detail) == (
        401, "unknown partner 'not-a-factory': no public key is registered for it")


@pytest.mark.parametrize("changed", [
    {"key_of": "ai2f"},  # another partner's private key
    {"body": b'{"offer_id": "o-1", "answer": "decline"}'},  # the body changed on the way
    {"path": "/v1/partners/jaif/referrals"},  # signed for another endpoint
    {"method": "PUT"},
])
def test_a_signature_over_anything_else_is_refused(changed):
    refused = refusal(signed(**changed))
    assert refused.status_code == 401 and refused.detail.startswith("signature does not match")


def test_a_partner_acting_for_another_is_forbidden_even_with_its_own_valid_signature():
    path = "/v1/partners/jaif/offers"
    refused = refusal(signed("ai2f", method="GET", path=path, body=b""), method="GET", path=path, body=b"")
    assert (refused.status_code, refused.detail) == (403, "partner ai2f may not act for jaif")


def test_a_signature_of_the_former_shared_key_scheme_is_refused_saying_what_to_send():
    refused = refusal(signed() | {signing.HTTP_SIGNATURE: "sha256=" + "0f" * 32})
    assert refused.status_code == 401
    assert refused.detail == (f"signature does not match: {signing.HTTP_SIGNATURE} must be 'ed25519=' and the base64 "
                              "Ed25519 signature, with partner jaif's private key, of "
                              f"'<{signing.HTTP_TIMESTAMP}>\\n<METHOD>\\n<path>\\n' followed by the body")
