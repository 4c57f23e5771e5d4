"""The local SMTP server: keeps every message it receives as an .eml file, for people and tests to read.

Run: python -m infra.mailbox [--dir var/mail] [--port 8025] [--refuse-domain example.org ...]. Any SMTP relay
replaces it through notify's settings. `--refuse-domain` makes it refuse recipients of a domain for good (550), as
a relay with a wrong policy would: the tests use it to put an email on the dead-letter topic.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToFolder:
    """aiosmtpd handler: one file per message, named so that a listing is in arrival order."""

    def __init__(self, folder: Path, refused_domains: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.refused_domains = tuple(domain.lower() for domain in refused_domains)
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = 0

    async def handle_RCPT(self, _server, _session, envelope, address: str, _options) -> str:
        if address.rpartition("@")[2].lower() in self.refused_domains:
            return "550 5.7.1 Relaying to this domain is not allowed"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope) -> str:
        with self._lock:
            self._count += 1
            name = f"{time.time_ns()}-{self._count:06d}.eml"
        temporary = self.folder / (name + ".part")
        temporary.write_bytes(envelope.content)
        temporary.rename(self.folder / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def read_mailbox(folder: Path) -> list[EmailMessage]:
    return [message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for path in sorted(folder.glob("*.eml"))]


def serve(folder: Path, host: str, port: int, refused_domains: tuple[str, ...] = ()) -> Controller:
    controller = Controller(SaveToFolder(folder, refused_domains), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--refuse-domain", action="append", default=[], metavar="DOMAIN",
                        help="refuse recipients of this domain for good (550); may be repeated")
    args = parser.parse_args()
    controller = serve(args.dir, args.host, args.port, tuple(args.refuse_domain))
    print(f"SMTP server on {args.host}:{args.port}, keeping messages in {args.dir}/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
