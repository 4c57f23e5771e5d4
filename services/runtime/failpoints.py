"""Fail points: the process dies at a named point of its work, so that the resilience tests aim a crash at the
windows that matter instead of hoping a SIGKILL falls in them.

    FAILPOINTS="consumer.before-offset-commit:3"   # exit at the third pass, as a SIGKILL would leave things

The points: `consumer.before-offset-commit` (a batch's transaction committed, its offsets not yet) and
`notify.after-smtp` (the SMTP server took an email, notify has not recorded it). Unset, as in production, a
point costs one dictionary lookup.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def _armed(setting: str) -> dict[str, int]:
    points = {}
    for point in filter(None, (part.strip() for part in setting.split(","))):
        name, _, passes = point.partition(":")
        points[name] = int(passes or 1)
    return points


_ARMED = _armed(os.environ.get("FAILPOINTS", ""))


def reach(name: str) -> None:
    """Pass the point `name`; when it is armed and this is its pass, the process ends at once: no cleanup, no
    commit, nothing closed, what a crash leaves (only the log line saying so is flushed)."""
    if name not in _ARMED:
        return
    _ARMED[name] -= 1
    if _ARMED[name] <= 0:
        log.critical("fail point %s reached: the process ends here", name)
        logging.shutdown()
        os._exit(70)
