"""The partner factories' public keys, this factory's own signing key, and the check that a message on a
partner-written topic comes from the partner it speaks for (see contracts/signing.py for the scheme).

The keys file is JSON, one entry per partner: `{"<factory-id>": {"public_key": "<base64 of the raw 32 bytes>"}}`
(other fields of an entry are ignored). A partner missing from the file can send nothing: its messages are
dead-lettered. Only public keys are kept here: no one can sign in a partner's name with them. An entry of the
former scheme (a shared `signing_key`, no `public_key`) is refused at load.

The partner bridge (services/intake/partners/bridge.py) publishes what a partner without Kafka sends over HTTP,
after checking the partner's own signature of the request; it cannot sign with the partner's private key, so it
signs with this factory's, and the readers accept this factory's signature in any partner's name (`relay`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts import signing
from services.runtime.dead_letter import PermanentError
from services.runtime.settings import Settings

log = logging.getLogger(__name__)


class PartnerKeys:
    def __init__(self, keys: dict[str, Ed25519PublicKey], relay: Ed25519PublicKey | None = None) -> None:
        """`keys`: each partner's public key; `relay`: this factory's, whose signature the partner bridge puts on
        what it publishes for a partner (none: the bridge's messages are refused like a stranger's)."""
        self._keys = dict(keys)
        self._relay = relay

    @classmethod
    def load(cls, path: Path, relay: Ed25519PublicKey | None = None) -> PartnerKeys:
        """The public keys in `path`; none (every partner message refused) when the file does not exist. An entry
        without a valid `public_key` stops the load with a message naming the file and the partner."""
        if not path.exists():
            log.warning("no partner keys file at %s: every message from a partner factory will be refused", path)
            return cls({}, relay)
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls({factory: _public_key(path, factory, entry) for factory, entry in raw.items()}, relay)

    def key_of(self, factory_id: str) -> Ed25519PublicKey | None:
        return self._keys.get(factory_id)

    def __contains__(self, factory_id: str) -> bool:
        return factory_id in self._keys

    def check(self, source: str | None, claimed: str | None, payload: bytes, signature: str | None) -> str:
        """The partner that sent `payload`, after checking that `source` names a partner we hold a key for, that
        `signature` is that partner's (or this factory's, relaying for it), and that the message speaks for that
        very partner (`claimed`). Raises PermanentError naming what is wrong."""
        partner = signing.partner_of(source or "")
        if partner is None:
            raise PermanentError(f"source {source!r} is not a partner factory's ('/partners/<factory-id>')")
        key = self.key_of(partner)
        if key is None:
            raise PermanentError(f"no public key for partner {partner}: its messages are not accepted")
        if signature is None:
            raise PermanentError(f"the message of partner {partner} is not signed ({signing.KAFKA_HEADER} header)")
        signers = (key,) if self._relay is None else (key, self._relay)
        if not any(signing.verify(signer, payload, signature) for signer in signers):
            raise PermanentError(f"the signature is not partner {partner}'s: the message was not sent by {partner} "
                                 "or was changed on the way")
        if claimed != partner:
            raise PermanentError(f"partner {partner} sent a message in the name of {claimed}")
        return partner


def _public_key(path: Path, factory_id: str, entry: object) -> Ed25519PublicKey:
    text = entry.get("public_key") if isinstance(entry, dict) else None
    if isinstance(text, str):
        return signing.public_key_from_text(text, f"partner {factory_id} in {path}")
    former = isinstance(entry, dict) and "signing_key" in entry
    raise signing.InvalidKey(
        f"{path}: partner {factory_id} has "
        + ("a shared signing_key, which is no longer accepted: each partner now signs with its own Ed25519 private "
           "key, and this file holds only its public key" if former else "no public_key")
        + f". The partner must {signing.KEY_PAIR_RECIPE}, here as {{\"{factory_id}\": {{\"public_key\": "
          "\"<base64>\"}}")


def own_signing_key(settings: Settings) -> Ed25519PrivateKey | None:
    """This factory's private key (FACTORY_SIGNING_KEY_FILE), with which it signs what it sends; None, with a
    warning, when the file does not exist: then it can sign nothing."""
    path = settings.factory_signing_key_path()
    if not path.exists():
        log.warning("no signing key of this factory at %s: it can sign nothing it sends to partner factories; "
                    "%s", path, signing.KEY_PAIR_RECIPE)
        return None
    return signing.load_private_key(path)


def own_public_key(settings: Settings) -> Ed25519PublicKey | None:
    """This factory's public key: the `.pub` file beside its private key (written with it by infra/credentials.py),
    else the private key's, else None (with the warning of `own_signing_key`)."""
    public = settings.factory_signing_key_path().with_suffix(".pub")
    if public.exists():
        return signing.public_key_from_text(public.read_text(encoding="utf-8").strip(), f"this factory ({public})")
    private = own_signing_key(settings)
    return None if private is None else private.public_key()


def partner_keys(settings: Settings) -> PartnerKeys:
    """The partners' public keys (PARTNER_KEYS_FILE), with this factory's as the partner bridge's."""
    return PartnerKeys.load(settings.partner_keys_path(), relay=own_public_key(settings))
