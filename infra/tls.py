"""The local broker's TLS: a certificate authority of the installation and the broker's certificate, generated once
with `openssl` into `<var>/secrets/kafka-tls/` (readable by the owner only) and kept across runs.

- `ca.pem`: the CA's certificate, what every client verifies the broker against (KAFKA_SSL_CAFILE); give it to
  the partners with their password. `ca-key.pem` signs the broker's certificate and never leaves the directory.
- `broker.pem`: the broker's private key (PKCS#8) and certificate chain in one PEM file, Kafka's PEM key store
  (`ssl.keystore.type=PEM`). The certificate names 127.0.0.1 and localhost, the addresses the local broker
  advertises, and serves both ends of a connection: clients check it, and the controller listener asks the broker
  for it (mutual TLS), so no listener of the secured broker runs in plaintext.
- `clients/<name>.pem` and `clients/<name>-key.pem`: a client certificate for `name` (a partner factory's id),
  for the broker's partner listener (mutual TLS, `SecuredKafka.partner_port`): a partner whose Kafka client cannot
  sign in with SCRAM to a Kafka 4 broker (librdkafka before 2.6.1, e.g. Debian 12's kcat) presents it instead,
  and the broker names it `User:<name>`, with the same ACLs.

    python -m infra.tls client <factory-id> [--secrets var/secrets]   # issue a partner's client certificate

A production cluster has certificates from the organisation's own CA; the clients need only its CA file (and a
partner on the certificate listener its own certificate).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The broker certificate's subject: the controller listener's principal is `User:CN=<this>`, a super user.
BROKER_CN = "aiguillage-kafka-broker"
VALID_DAYS = 3650


@dataclass(frozen=True)
class BrokerTls:
    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def keystore(self) -> Path:
        return self.directory / "broker.pem"

    def complete(self) -> bool:
        return all(path.exists() for path in (self.ca_file, self.ca_key, self.keystore))

    def client_certificate(self, name: str) -> tuple[Path, Path]:
        """The certificate and key (PEM) of client `name`, issued by the CA the first time it is asked for."""
        cert, key = self.directory / "clients" / f"{name}.pem", self.directory / "clients" / f"{name}-key.pem"
        if not (cert.exists() and key.exists()):
            cert.parent.mkdir(exist_ok=True, mode=0o700)
            with tempfile.TemporaryDirectory(dir=cert.parent) as work:
                new_cert, new_key = _issue(Path(work), self, name, "clientAuth", "")
                os.chmod(new_key, 0o600)
                new_key.replace(key)
                new_cert.replace(cert)
        return cert, key


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed:\n{result.stderr}")


def _issue(work_dir: Path, ca: BrokerTls, name: str, usage: str, extensions: str) -> tuple[Path, Path]:
    """A certificate for `name` (its CN) signed by `ca`, for `usage` (extendedKeyUsage): (certificate, key)."""
    key, request, cert = work_dir / f"{name}-key.pem", work_dir / f"{name}.csr", work_dir / f"{name}-cert.pem"
    _openssl("req", "-newkey", "rsa:3072", "-nodes", "-keyout", str(key), "-out", str(request), "-subj", f"/CN={name}")
    extension_file = work_dir / f"{name}.ext"
    extension_file.write_text(f"{extensions}basicConstraints=CA:FALSE\n"
                              f"keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage={usage}\n")
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca.ca_file), "-CAkey", str(ca.ca_key), "-CAcreateserial",
             "-out", str(cert), "-days", str(VALID_DAYS), "-extfile", str(extension_file))
    return cert, key


def ensure(secrets_dir: Path) -> BrokerTls:
    """The CA and broker certificate under `secrets_dir/kafka-tls`, generated if any file is missing (then all are
    generated anew: a broker certificate is only good with the CA that signed it)."""
    tls = BrokerTls(Path(secrets_dir) / "kafka-tls")
    if tls.complete():
        return tls
    tls.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=tls.directory) as work:
        work_dir = Path(work)
        ca, ca_key = BrokerTls(work_dir).ca_file, BrokerTls(work_dir).ca_key
        _openssl("req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
                 "-days", str(VALID_DAYS), "-subj", "/CN=Aiguillage local Kafka CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        cert, key = _issue(work_dir, BrokerTls(work_dir), BROKER_CN, "serverAuth,clientAuth",
                           "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        pkcs8 = work_dir / "broker-key.pk8"
        _openssl("pkcs8", "-topk8", "-nocrypt", "-in", str(key), "-out", str(pkcs8))
        keystore = work_dir / "broker.pem"
        keystore.write_text(pkcs8.read_text() + cert.read_text() + ca.read_text())
        for path in (ca, ca_key, keystore):
            os.chmod(path, 0o600)
        ca_key.replace(tls.ca_key)
        keystore.replace(tls.keystore)
        ca.replace(tls.ca_file)  # last: its presence with the others says the set is whole
    return tls


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.tls", description="Issue a partner factory's client "
                                     "certificate for the local secured broker's certificate listener.")
    parser.add_argument("command", choices=["client"])
    parser.add_argument("name", help="the partner factory's id: its principal is User:<name>")
    parser.add_argument("--secrets", type=Path, default=Path(os.environ.get("VAR_DIR", "var")) / "secrets")
    args = parser.parse_args()
    broker_tls = ensure(args.secrets)
    certificate, key = broker_tls.client_certificate(args.name)
    print(f"certificate: {certificate}\nkey:         {key}\nCA:          {broker_tls.ca_file}")


if __name__ == "__main__":
    main()
