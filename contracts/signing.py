"""How a partner factory proves who it is in what it sends: an HMAC-SHA256 signature with its own key.

Kafka ACLs let every partner write the shared replies and incoming topics, so the broker alone cannot tell who
wrote a message there. Each partner therefore signs every message with the key it was given with its
credentials, and the reader checks the signature against the key of the partner the envelope's `source`
(`/partners/<factory-id>`) names: a partner cannot sign in another partner's name.

- On Kafka: header `aif-signature: sha256=<hex>`, the HMAC of the message value (the envelope's JSON bytes,
  exactly as sent). A message sent twice has the same envelope id, so readers drop the copy.
- Over HTTP (the bridge): headers `X-AIF-Partner`, `X-AIF-Timestamp` (Unix seconds) and `X-AIF-Signature:
  sha256=<hex>`, the HMAC of `<timestamp>\\n<METHOD>\\n<path>\\n` followed by the body bytes. A request is valid
  within the replay window around its timestamp, and only once.

With a shell: `printf '%s' "$value" | openssl dgst -sha256 -hmac "$key"` gives the hex of a Kafka signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time

KAFKA_HEADER = "aif-signature"
HTTP_PARTNER = "X-AIF-Partner"
HTTP_TIMESTAMP = "X-AIF-Timestamp"
HTTP_SIGNATURE = "X-AIF-Signature"
SCHEME = "sha256="
PARTNER_SOURCE_PREFIX = "/partners/"


def sign(key: str, payload: bytes) -> str:
    return SCHEME + hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def http_payload(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def http_headers(factory_id: str, key: str, method: str, path: str, body: bytes,
                 timestamp: int | None = None) -> dict[str, str]:
    """The three headers with which partner `factory_id` signs a bridge request with its `key`; `path` is the
    URL path without the query, `timestamp` (Unix seconds) the current time unless given."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {HTTP_PARTNER: factory_id, HTTP_TIMESTAMP: stamp,
            HTTP_SIGNATURE: sign(key, http_payload(stamp, method, path, body))}


def matches(key: str, payload: bytes, signature: str | None) -> bool:
    return signature is not None and hmac.compare_digest(sign(key, payload).encode(), signature.encode())


def partner_source(factory_id: str) -> str:
    """The envelope `source` of a message a partner factory sends."""
    return PARTNER_SOURCE_PREFIX + factory_id


def partner_of(source: str) -> str | None:
    """The factory id in a partner's envelope source, or None for any other source."""
    if source.startswith(PARTNER_SOURCE_PREFIX) and len(source) > len(PARTNER_SOURCE_PREFIX):
        return source[len(PARTNER_SOURCE_PREFIX):]
    return None
