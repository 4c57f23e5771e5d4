"""Settings of a service, from environment variables (names in capitals, e.g. KAFKA_BOOTSTRAP_SERVERS)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "aiguillage"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Set both on a cluster with authentication: the service's SASL/SCRAM-SHA-512 user (its ACLs name it).
    kafka_username: str | None = None
    kafka_password: str | None = None
    # Set on a cluster with TLS listeners: the CA certificate (PEM) the broker's certificate must be signed by.
    # The client then speaks TLS (SASL_SSL with a user, SSL without) and checks the broker's name against it.
    kafka_ssl_cafile: Path | None = None
    # Unset: an SQLite file per service under var_dir. Set it per service process for PostgreSQL.
    database_url: str | None = None
    var_dir: Path = Path("var")

    # At most this many records of one partition are handled in one transaction.
    batch_max_records: int = 200

    # Retry, then dead letter (services/runtime/dead_letter.py). A message that waits holds its partition; its
    # wait is bounded: for an outage of ours, and for a message to try again later (e.g. a greylisted recipient).
    max_attempts: int = 3
    retry_backoff_seconds: float = 0.2
    outage_max_wait_seconds: float = 900.0
    retry_later_max_seconds: float = 600.0
    # How long a transaction waits for a connection when every one of the pool is taken (then: an outage).
    database_pool_timeout_seconds: float = 30.0

    # The partner factories' public keys (services/runtime/partners.py); unset: var_dir/secrets/partner-keys.json.
    partner_keys_file: Path | None = None
    # This factory's own Ed25519 private key (PKCS8 PEM): it signs what the factory sends to partner factories and
    # what intake's partner bridge relays; its public key (base64) is beside it, suffix .pub, for the readers.
    # Unset: var_dir/secrets/factory-signing-key.pem.
    factory_signing_key_file: Path | None = None

    # A log line when each message is received and processed (failures are logged whatever this says).
    log_each_message: bool = False

    # Telemetry: spans as JSON lines in var/traces/<service>.jsonl, or nowhere.
    traces_exporter: Literal["file", "none"] = "file"

    def sqlite_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.var_dir / (self.service_name + '.db')}"

    def db_url(self) -> str:
        return self.database_url or self.sqlite_url()

    def partner_keys_path(self) -> Path:
        return self.partner_keys_file or self.var_dir / "secrets" / "partner-keys.json"

    def factory_signing_key_path(self) -> Path:
        return self.factory_signing_key_file or self.var_dir / "secrets" / "factory-signing-key.pem"


def load(service_name: str, settings_class: type[Settings] = Settings) -> Settings:
    settings = settings_class(service_name=service_name)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings
