"""The partner factories' signing keys, and the check that a message on a partner-written topic comes from the
partner it speaks for (see contracts/signing.py for the scheme).

The keys file is JSON, one entry per partner: `{"<factory-id>": {"signing_key": "<secret>"}, ...}` (other fields
of an entry are ignored). A partner missing from the file can send nothing: its messages are dead-lettered.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from contracts import signing
from services.runtime.dead_letter import PermanentError

log = logging.getLogger(__name__)


class PartnerKeys:
    def __init__(self, keys: dict[str, str]) -> None:
        self._keys = dict(keys)

    @classmethod
    def load(cls, path: Path) -> PartnerKeys:
        """The keys in `path`; none (every partner message refused) when the file does not exist."""
        if not path.exists():
            log.warning("no partner keys file at %s: every message from a partner factory will be refused", path)
            return cls({})
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls({factory: entry["signing_key"] for factory, entry in raw.items()})

    def key_of(self, factory_id: str) -> str | None:
        return self._keys.get(factory_id)

    def __contains__(self, factory_id: str) -> bool:
        return factory_id in self._keys

    def check(self, source: str | None, claimed: str | None, payload: bytes, signature: str | None) -> str:
        """The partner that sent `payload`, after checking that `source` names a partner we hold a key for, that
        `signature` is that partner's, and that the message speaks for that very partner (`claimed`).
        Raises PermanentError naming what is wrong."""
        partner = signing.partner_of(source or "")
        if partner is None:
            raise PermanentError(f"source {source!r} is not a partner factory's ('/partners/<factory-id>')")
        key = self.key_of(partner)
        if key is None:
            raise PermanentError(f"no signing key for partner {partner}: its messages are not accepted")
        if signature is None:
            raise PermanentError(f"the message of partner {partner} is not signed ({signing.KAFKA_HEADER} header)")
        if not signing.matches(key, payload, signature):
            raise PermanentError(f"the signature is not partner {partner}'s: the message was not sent by {partner} "
                                 "or was changed on the way")
        if claimed != partner:
            raise PermanentError(f"partner {partner} sent a message in the name of {claimed}")
        return partner


def own_signing_key(settings):
    """Placeholder until per-factory key pairs land."""
    return None
