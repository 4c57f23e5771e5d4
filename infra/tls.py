"""The local broker's TLS: a certificate authority of the installation and the broker's certificate, generated once
with `openssl` into `<var>/secrets/kafka-tls/` (readable by the owner only) and kept across runs.

- `ca.pem`: the CA's certificate, what every client verifies the broker against (KAFKA_SSL_CAFILE); give it to
  the partners with their password. `ca-key.pem` signs the broker's certificate and never leaves the directory.
- `broker.pem`: the broker's private key (PKCS#8) and certificate chain in one PEM file, Kafka's PEM key store
  (`ssl.keystore.type=PEM`). The certificate names 127.0.0.1 and localhost, the addresses the local broker
  advertises, and serves both ends of a connection: clients check it, and the controller listener asks the broker
  for it (mutual TLS), so no listener of the secured broker runs in plaintext.

A production cluster has certificates from the organisation's own CA; the clients need only its CA file.
"""

from __future__ import annotations

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


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed:\n{result.stderr}")


def ensure(secrets_dir: Path) -> BrokerTls:
    """The CA and broker certificate under `secrets_dir/kafka-tls`, generated if any file is missing (then all are
    generated anew: a broker certificate is only good with the CA that signed it)."""
    tls = BrokerTls(Path(secrets_dir) / "kafka-tls")
    if tls.complete():
        return tls
    tls.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=tls.directory) as work:
        work_dir = Path(work)
        key, request, cert, ca, ca_key = (work_dir / name for name in
                                          ("broker-key.pem", "broker.csr", "broker-cert.pem", "ca.pem", "ca-key.pem"))
        _openssl("req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
                 "-days", str(VALID_DAYS), "-subj", "/CN=Aiguillage local Kafka CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        _openssl("req", "-newkey", "rsa:3072", "-nodes", "-keyout", str(key), "-out", str(request),
                 "-subj", f"/CN={BROKER_CN}")
        extensions = work_dir / "broker.ext"
        extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                              "keyUsage=critical,digitalSignature,keyEncipherment\n"
                              "extendedKeyUsage=serverAuth,clientAuth\n")
        _openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
                 "-out", str(cert), "-days", str(VALID_DAYS), "-extfile", str(extensions))
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
