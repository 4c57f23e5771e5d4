"""The secrets of a local installation, generated once into `<var>/secrets/` (readable by the owner only):

- `factory-signing-key.pem`: this factory's own Ed25519 private key (contracts/signing.py), the file the services
  read (FACTORY_SIGNING_KEY_FILE), and `factory-signing-key.pub`, its public key (base64) for the partners.
- `partner-keys.json`: each partner factory's public key, the file the services read (PARTNER_KEYS_FILE);
  `{"<factory-id>": {"public_key": "<base64>"}}`.
- `partners/<factory-id>.pem`: the private key of each simulated partner (infra/partner_simulator.py, the tests),
  which a real partner keeps to itself. A partner whose key has the former shared form (`signing_key`) gets a new
  key pair, with a line saying so.
- `kafka-users.json`: the SCRAM-SHA-512 password of every Kafka user of a broker with authentication: the
  operator (`admin`), each service and each partner factory; `{"<user>": "<password>"}`.
- `kafka-tls/`: the local CA and the secured broker's certificate (infra/tls.py); clients verify the broker
  against `kafka-tls/ca.pem`.

A production installation issues these through its own secret store; the file formats stay the same.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import reference, signing
from infra import tls
from services.runtime.broker import security_options
from services.runtime.settings import Settings

ADMIN = "admin"
SERVICE_USERS = ("intake", "triage", "routing", "notify")


@dataclass(frozen=True)
class Credentials:
    directory: Path

    @property
    def partner_keys_file(self) -> Path:
        return self.directory / "partner-keys.json"

    @property
    def kafka_users_file(self) -> Path:
        return self.directory / "kafka-users.json"

    @property
    def factory_signing_key_file(self) -> Path:
        return self.directory / "factory-signing-key.pem"

    def partner_private_key_file(self, factory_id: str) -> Path:
        return self.directory / "partners" / f"{factory_id}.pem"

    def signing_key(self, factory_id: str) -> Ed25519PrivateKey:
        """The private key with which simulated partner `factory_id` signs."""
        return signing.load_private_key(self.partner_private_key_file(factory_id))

    def kafka_passwords(self) -> dict[str, str]:
        return json.loads(self.kafka_users_file.read_text())

    def password(self, user: str) -> str:
        return self.kafka_passwords()[user]

    def partners(self) -> list[str]:
        """The partner factories of the reference data that hold a public key here (all of them where there is
        no key file): a partner that leaves is taken out of either, and loses its ACLs at the next
        `python -m infra.acls apply`."""
        partners = [factory.id for factory in reference.load().partners]
        if not self.partner_keys_file.exists():  # keys kept elsewhere: no file says who left
            return partners
        keys = json.loads(self.partner_keys_file.read_text())
        return [factory_id for factory_id in partners if factory_id in keys]


def sasl(user: str, password: str, ca_file: Path | None = None) -> dict[str, Any]:
    """aiokafka's client settings to sign in as a SASL/SCRAM-SHA-512 user, over TLS checked against `ca_file`
    when it is given (the local secured broker's is `tls.ensure(<secrets>).ca_file`)."""
    return security_options(user, password, ca_file)


def local_secrets() -> Path:
    return Path(os.environ.get("VAR_DIR", "var")) / "secrets"


def ca_file() -> Path | None:
    """The CA a client checks the broker's certificate against: KAFKA_SSL_CAFILE, else with KAFKA_AUTH=scram the
    local secured broker's (infra/tls.py), else none (the plaintext development broker)."""
    if configured := Settings().kafka_ssl_cafile:
        return configured
    return tls.BrokerTls(local_secrets() / "kafka-tls").ca_file if os.environ.get("KAFKA_AUTH") == "scram" else None


def operator_options() -> dict[str, Any]:
    """The Kafka client settings of an operator's command (dead letters, topics, ACLs), from the environment as a
    service reads its own: KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL_CAFILE. With KAFKA_AUTH=scram and no user
    set, the local secured broker's operator `admin` (its password from <VAR_DIR>/secrets/kafka-users.json) over
    TLS checked against the local CA; with neither, none (the plaintext development broker)."""
    settings = Settings()
    user, password = settings.kafka_username, settings.kafka_password
    if not user and os.environ.get("KAFKA_AUTH") == "scram":
        user, password = ADMIN, Credentials(local_secrets()).password(ADMIN)
    return security_options(user, password, ca_file())


def _write_private(path: Path, content: dict | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    data = content if isinstance(content, bytes) else json.dumps(content, indent=2).encode()
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(data)
    temporary.replace(path)  # never a half-written secrets file


def _new_key_pair(private_file: Path) -> str:
    """A new Ed25519 key pair: the private key written to `private_file` (owner only); its public key's text."""
    key = Ed25519PrivateKey.generate()
    _write_private(private_file, signing.private_key_pem(key))
    return signing.public_key_text(key)


def _ensure_factory_key(credentials: Credentials) -> None:
    """This factory's key pair, made if it has none (or only half of one)."""
    private, public = credentials.factory_signing_key_file, credentials.factory_signing_key_file.with_suffix(".pub")
    if not (private.exists() and public.exists()):
        public.write_text(_new_key_pair(private) + "\n", encoding="utf-8")


def _ensure_partner_keys(credentials: Credentials, partners: list[str]) -> None:
    """A key pair for every partner without a public key; a former shared key is replaced, with a line saying so."""
    path = credentials.partner_keys_file
    keys = json.loads(path.read_text()) if path.exists() else {}
    former = [p for p, entry in keys.items() if "public_key" not in entry]
    if missing := sorted({*former, *(p for p in partners if p not in keys)}):
        for factory_id in former:
            print(f"{path}: partner {factory_id}'s shared signing key is replaced by an Ed25519 key pair (private "
                  f"key in {credentials.partner_private_key_file(factory_id)})", flush=True)
        made = {p: {"public_key": _new_key_pair(credentials.partner_private_key_file(p))} for p in missing}
        _write_private(path, {**keys, **made})


def ensure(var_dir: Path) -> Credentials:
    """The credentials under `var_dir`, with a key pair or password for this factory and every partner and user
    that has none yet; existing ones are kept, but for keys of the former shared form."""
    credentials = Credentials(Path(var_dir) / "secrets")
    partners = [factory.id for factory in reference.load().partners]
    _ensure_factory_key(credentials)
    _ensure_partner_keys(credentials, partners)
    users = credentials.kafka_passwords() if credentials.kafka_users_file.exists() else {}
    if missing := [u for u in (ADMIN, *SERVICE_USERS, *partners) if u not in users]:
        _write_private(credentials.kafka_users_file, {**users, **{u: secrets.token_urlsafe(24) for u in missing}})
    return credentials
