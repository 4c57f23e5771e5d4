"""The secrets of a local installation, generated once into `<var>/secrets/` (readable by the owner only):

- `partner-keys.json`: each partner factory's signing key (contracts/signing.py), the file the services read
  (PARTNER_KEYS_FILE); `{"<factory-id>": {"signing_key": "..."}}`.
- `kafka-users.json`: the SCRAM-SHA-512 password of every Kafka user of a broker with authentication: the
  operator (`admin`), each service and each partner factory; `{"<user>": "<password>"}`.

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


def sasl(user: str, password: str) -> dict[str, Any]:
    """aiokafka's client settings to sign in as a SASL/SCRAM-SHA-512 user."""
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user, "sasl_plain_password": password}


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
