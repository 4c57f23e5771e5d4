"""The secrets of a local installation, generated once into `<var>/secrets/` (readable by the owner only):

- `partner-keys.json`: each partner factory's signing key (contracts/signing.py), the file the services read
  (PARTNER_KEYS_FILE); `{"<factory-id>": {"signing_key": "..."}}`.
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

from contracts import reference
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

    def signing_key(self, factory_id: str) -> str:
        return json.loads(self.partner_keys_file.read_text())[factory_id]["signing_key"]

    def kafka_passwords(self) -> dict[str, str]:
        return json.loads(self.kafka_users_file.read_text())

    def password(self, user: str) -> str:
        return self.kafka_passwords()[user]

    def partners(self) -> list[str]:
        """The partner factories of the reference data that hold a signing key here (all of them where there is
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


def _write_private(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
        json.dump(content, out, indent=2)
    temporary.replace(path)  # never a half-written secrets file


def ensure(var_dir: Path) -> Credentials:
    """The credentials under `var_dir`, with a key or password for every partner and user that has none yet;
    existing ones are kept."""
    credentials = Credentials(Path(var_dir) / "secrets")
    partners = [factory.id for factory in reference.load().partners]
    keys = json.loads(credentials.partner_keys_file.read_text()) if credentials.partner_keys_file.exists() else {}
    if missing := [p for p in partners if p not in keys]:
        _write_private(credentials.partner_keys_file,
                       {**keys, **{p: {"signing_key": secrets.token_urlsafe(32)} for p in missing}})
    users = credentials.kafka_passwords() if credentials.kafka_users_file.exists() else {}
    if missing := [u for u in (ADMIN, *SERVICE_USERS, *partners) if u not in users]:
        _write_private(credentials.kafka_users_file, {**users, **{u: secrets.token_urlsafe(24) for u in missing}})
    return credentials
