"""The command that rebuilds intake's read model from the topics, into an empty database (read_model/rebuild.py
says what comes back and what does not).

    python -m services.intake.rebuild --database-url URL [--bootstrap HOST:PORT]

On a cluster with authentication, KAFKA_USERNAME and KAFKA_PASSWORD name a user that may read these topics (the
admin user: intake itself does not read the submitted topic), and KAFKA_SSL_CAFILE the CA of its TLS listeners.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.intake.reactions import SERVICE, reactions
from services.intake.read_model.rebuild import rebuild
from services.runtime import settings as settings_module
from services.runtime.broker import security_options
from services.runtime.partners import PartnerKeys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.rebuild",
                                     description="Rebuild intake's read model from the topics, into an empty database.")
    parser.add_argument("--database-url", required=True, help="the empty database to fill (SQLAlchemy URL)")
    settings = settings_module.load(SERVICE)
    parser.add_argument("--bootstrap", default=settings.kafka_bootstrap_servers,
                        help="default: KAFKA_BOOTSTRAP_SERVERS")
    args = parser.parse_args(argv)
    security = security_options(settings.kafka_username, settings.kafka_password, settings.kafka_ssl_cafile)
    # The service's own table; a rebuild reads no partner's message (see read_model/rebuild.py), so no key.
    table = reactions(PartnerKeys({}))
    counts = asyncio.run(rebuild(args.bootstrap, args.database_url, table, print, **security))
    for name, count in sorted(counts.items()):
        print(f"{count:7d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
