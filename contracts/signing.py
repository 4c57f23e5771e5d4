"""How a factory proves who it is in what it sends: an Ed25519 signature with its own private key.

Kafka ACLs let every partner write the shared replies and incoming topics, so the broker alone cannot tell who
wrote a message there. Each factory therefore signs every message with a private key only it holds, and the reader
checks the signature with the public key of the factory the envelope's `source` (`/partners/<factory-id>`) names:
a partner cannot sign in another partner's name, and no factory holds a secret with which it could sign in
another's (a shared HMAC key could).

- On Kafka: header `aif-signature: ed25519=<base64>`, the standard base64 of the 64-byte Ed25519 signature of
  the message value (the envelope's JSON bytes, exactly as sent). A message sent twice has the same envelope id,
  so readers drop the copy. What intake's partner bridge publishes for a partner without Kafka carries this
  factory's own signature instead (services/runtime/partners.py).
- Over HTTP (the bridge): headers `X-AIF-Partner`, `X-AIF-Timestamp` (Unix seconds) and `X-AIF-Signature:
  ed25519=<base64>`, the signature of `<timestamp>\\n<METHOD>\\n<path>\\n` followed by the body bytes. A request
  is valid within the replay window around its timestamp, and only once.

Keys: the private key is PKCS8 PEM, the public key the standard base64 of its raw 32 bytes. With OpenSSL 3:

    openssl genpkey -algorithm ed25519 -out key.pem                      # the private key, kept by the factory
    openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | base64  # the public key, given to the others
    printf 'ed25519=%s' "$(openssl pkeyutl -sign -inkey key.pem -rawin -in value.json | base64 -w0)"

the last one being the header of a Kafka message whose value is the file's bytes (tests/unit/test_signing.py runs
these commands and checks the result with `verify`).
"""

from __future__ import annotations

import base64
import binascii
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KAFKA_HEADER = "aif-signature"
HTTP_PARTNER = "X-AIF-Partner"
HTTP_TIMESTAMP = "X-AIF-Timestamp"
HTTP_SIGNATURE = "X-AIF-Signature"
SCHEME = "ed25519="
PARTNER_SOURCE_PREFIX = "/partners/"
KEY_PAIR_RECIPE = ("make one with `openssl genpkey -algorithm ed25519 -out key.pem`, keep key.pem, and register the "
                   "public key, `openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | base64`")


class InvalidKey(ValueError):
    """A key file or a public key text that is not an Ed25519 key; the message names the file or the factory."""


def sign(private_key: Ed25519PrivateKey, payload: bytes) -> str:
    return SCHEME + base64.b64encode(private_key.sign(payload)).decode()


def verify(public_key: Ed25519PublicKey, payload: bytes, signature: str | None) -> bool:
    """Whether `signature` (`ed25519=<base64>`) is that of `payload` by the holder of `public_key`; False for
    anything else, never an exception."""
    if signature is None or not signature.startswith(SCHEME):
        return False
    try:
        public_key.verify(base64.b64decode(signature[len(SCHEME):], validate=True), payload)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def http_payload(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def http_headers(factory_id: str, private_key: Ed25519PrivateKey, method: str, path: str, body: bytes,
                 timestamp: int | None = None) -> dict[str, str]:
    """The three headers with which partner `factory_id` signs a bridge request with its `private_key`; `path` is
    the URL path without the query, `timestamp` (Unix seconds) the current time unless given."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {HTTP_PARTNER: factory_id, HTTP_TIMESTAMP: stamp,
            HTTP_SIGNATURE: sign(private_key, http_payload(stamp, method, path, body))}


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PKCS8 PEM file `path` (as `openssl genpkey -algorithm ed25519` writes it)."""
    return private_key_from_pem(Path(path).read_bytes(), str(path))


def private_key_from_pem(pem: bytes, name: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in `pem` (PKCS8); an error names where it comes from (`name`)."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise InvalidKey(f"{name} is not an unencrypted PEM private key ({error}): {KEY_PAIR_RECIPE}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey(f"{name} holds another kind of key than an Ed25519 private key: {KEY_PAIR_RECIPE}")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """`key` as the PKCS8 PEM that `load_private_key` reads."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key of `key` as it is registered with the other factories: the standard base64 of its 32 bytes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def public_key_from_text(text: str, owner: str = "a factory") -> Ed25519PublicKey:
    """The public key of `owner` (a factory, named in the error) from its text (`public_key_text`)."""
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise InvalidKey(f"the public key of {owner} is not the base64 of 32 raw Ed25519 bytes: "
                         f"{KEY_PAIR_RECIPE}") from None


def partner_source(factory_id: str) -> str:
    """The envelope `source` of a message a partner factory sends."""
    return PARTNER_SOURCE_PREFIX + factory_id


def partner_of(source: str) -> str | None:
    """The factory id in a partner's envelope source, or None for any other source."""
    if source.startswith(PARTNER_SOURCE_PREFIX) and len(source) > len(PARTNER_SOURCE_PREFIX):
        return source[len(PARTNER_SOURCE_PREFIX):]
    return None
