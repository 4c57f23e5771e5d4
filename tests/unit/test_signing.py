"""The partners' signatures (contracts/signing.py): the shell recipe a partner follows gives a signature the readers
accept, a signature is checked with the public key of the partner the message names and nobody else's, garbage
is refused without an error, and a keys file of the former shared-key scheme stops a service at start with what
to do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import signing, topics
from contracts.events import ReferralIncoming
from infra import credentials
from infra.partner_simulator import referral
from services.runtime.broker import decode
from services.runtime.dead_letter import PermanentError
from services.runtime.partners import PartnerKeys
from tests.support.partners import consenting_rhein_radiologie

PRIVATE_KEYS = {"jaif": Ed25519PrivateKey.generate(), "ai2f": Ed25519PrivateKey.generate()}
KEYS = PartnerKeys({factory_id: key.public_key() for factory_id, key in PRIVATE_KEYS.items()})


def openssl(*arguments: str, cwd: Path) -> bytes:
    return subprocess.run(["openssl", *arguments], cwd=cwd, capture_output=True, check=True).stdout


def shell(command: str, cwd: Path) -> str:
    return subprocess.run(["sh", "-c", command], cwd=cwd, capture_output=True, check=True, text=True).stdout.strip()


def test_the_openssl_recipe_of_the_module_gives_a_signature_the_readers_accept(tmp_path):
    # Given a partner's key pair made with OpenSSL 3, as the module's docstring says
    assert "openssl genpkey -algorithm ed25519 -out key.pem" in signing.__doc__
    openssl("genpkey", "-algorithm", "ed25519", "-out", "key.pem", cwd=tmp_path)
    public = shell("openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | base64", tmp_path)
    # And a message value
    value = b'{"source":"/partners/jaif","data":{"from_factory":"jaif"}}'
    (tmp_path / "value.json").write_bytes(value)

    # When the partner signs it with the docstring's command
    header = shell("printf 'ed25519=%s' \"$(openssl pkeyutl -sign -inkey key.pem -rawin -in value.json "
                   "| base64 -w0)\"", tmp_path)

    # Then the signature is the one the readers accept with its public key, and the key file loads as its key
    key = signing.public_key_from_text(public, "jaif")
    assert signing.verify(key, value, header)
    assert signing.public_key_text(signing.load_private_key(tmp_path / "key.pem")) == public
    # And over other bytes it is refused
    assert not signing.verify(key, value + b" ", header)


@pytest.mark.parametrize("signature", [
    None, "", "ed25519=", "ed25519=not base64!", "ed25519=AAAA", "sha256=" + "0" * 64,
    signing.sign(PRIVATE_KEYS["jaif"], b"other bytes"),
])
def test_a_signature_that_is_not_the_payloads_is_refused_without_an_error(signature):
    assert not signing.verify(PRIVATE_KEYS["jaif"].public_key(), b"the payload", signature)


def signed_record(factory_id: str, private_key: Ed25519PrivateKey) -> ConsumerRecord:
    """A referral of partner `factory_id`, as it is on the incoming topic, signed with `private_key`."""
    sent = ReferralIncoming(referral_id="JAIF-1", from_factory=factory_id, **consenting_rhein_radiologie("Max Keller"))
    value = referral(sent).model_dump_json().encode()
    return ConsumerRecord(topic=topics.REFERRALS_INCOMING.name, partition=0, offset=0, timestamp=0,
                          timestamp_type=0, key=b"JAIF-1", value=value, checksum=None, serialized_key_size=-1,
                          serialized_value_size=len(value),
                          headers=[(signing.KAFKA_HEADER, signing.sign(private_key, value).encode())])


def test_a_message_signed_with_another_factorys_private_key_is_refused_naming_the_partner():
    assert decode(signed_record("jaif", PRIVATE_KEYS["jaif"]), KEYS).data.from_factory == "jaif"
    for other in (PRIVATE_KEYS["ai2f"], Ed25519PrivateKey.generate()):  # a partner's, and a stranger's
        with pytest.raises(PermanentError, match="the signature is not partner jaif's: the message was not sent by "
                                                 "jaif or was changed on the way"):
            decode(signed_record("jaif", other), KEYS)


def test_this_factorys_key_signs_for_any_partner_as_the_bridge_does():
    home = Ed25519PrivateKey.generate()
    keys = PartnerKeys({factory_id: key.public_key() for factory_id, key in PRIVATE_KEYS.items()}, home.public_key())
    assert decode(signed_record("jaif", home), keys).data.from_factory == "jaif"


def test_a_keys_file_of_the_former_shared_keys_is_refused_saying_how_to_make_a_key_pair(tmp_path):
    path = tmp_path / "partner-keys.json"
    path.write_text(json.dumps({"ai2f": {"public_key": signing.public_key_text(PRIVATE_KEYS["ai2f"])},
                                "jaif": {"signing_key": "a shared secret"}}))
    with pytest.raises(signing.InvalidKey) as refused:
        PartnerKeys.load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: partner jaif has a shared signing_key, which is no longer accepted")
    assert "openssl genpkey -algorithm ed25519 -out key.pem" in message
    assert '{"jaif": {"public_key": "<base64>"}}' in message


def test_a_public_key_that_is_not_one_is_refused_naming_the_partner_and_the_file(tmp_path):
    path = tmp_path / "partner-keys.json"
    path.write_text(json.dumps({"jaif": {"public_key": "c2hvcnQ="}}))
    with pytest.raises(signing.InvalidKey, match=f"the public key of partner jaif in {path} is not the base64 of 32 "
                                                 "raw Ed25519 bytes"):
        PartnerKeys.load(path)


def test_a_private_key_file_of_another_kind_is_refused_naming_the_file(tmp_path):
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem", cwd=tmp_path)
    with pytest.raises(signing.InvalidKey, match=f"{tmp_path / 'ec.pem'} holds another kind of key"):
        signing.load_private_key(tmp_path / "ec.pem")


def test_a_local_installation_of_the_former_shared_keys_gets_key_pairs_saying_so(tmp_path, capsys):
    # Given a local installation made before the key pairs: JAIF's shared key in the keys file
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "partner-keys.json").write_text(json.dumps({"jaif": {"signing_key": "a shared secret"}}))

    # When its credentials are made again (as `make run` and the tests' stack do)
    made = credentials.ensure(tmp_path)

    # Then it says so, and JAIF signs with a private key only the simulator's directory holds, which the services
    # check with the public key they load
    assert f"{made.partner_keys_file}: partner jaif's shared signing key is replaced by an Ed25519 key pair" \
        in capsys.readouterr().out
    keys = PartnerKeys.load(made.partner_keys_file)
    assert signing.verify(keys.key_of("jaif"), b"value", signing.sign(made.signing_key("jaif"), b"value"))
    # And this factory has its own key pair; every private key is readable by the owner only
    own = signing.load_private_key(made.factory_signing_key_file)
    assert made.factory_signing_key_file.with_suffix(".pub").read_text().strip() == signing.public_key_text(own)
    for private in (made.factory_signing_key_file, made.partner_private_key_file("jaif")):
        assert private.stat().st_mode & 0o777 == 0o600
    # And a second time nothing changes
    credentials.ensure(tmp_path)
    assert "replaced" not in capsys.readouterr().out
    assert signing.public_key_text(made.signing_key("jaif")) == signing.public_key_text(keys.key_of("jaif"))
