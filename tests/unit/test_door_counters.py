"""The sliding-window arithmetic behind the door's caps and the sign-in throttle (applications/counters.py):
the figure compared with a limit, and how long a refused client is told to wait."""

from __future__ import annotations

import pytest

from services.intake.applications.counters import Limit, estimate, wait

MINUTE = Limit(5, 60)


def test_the_previous_window_counts_for_the_share_the_sliding_window_still_covers():
    assert estimate(previous=5, current=0, elapsed=0, window=60) == 5
    assert estimate(previous=5, current=1, elapsed=30, window=60) == 3.5
    assert estimate(previous=5, current=2, elapsed=60, window=60) == 2


@pytest.mark.parametrize(("previous", "current", "elapsed"), [(5, 0, 1), (4, 1, 10), (0, 5, 10), (5, 5, 59)])
def test_after_the_wait_one_more_is_within_the_limit_and_not_before(previous, current, elapsed):
    seconds = wait(previous, current, elapsed, MINUTE)
    assert seconds > 0

    def after(delay: float) -> float:
        """The estimate with one more, `delay` seconds from now."""
        moment = elapsed + delay
        if moment < MINUTE.seconds:
            return estimate(previous, current + 1, moment, MINUTE.seconds)
        return estimate(current, 1, moment - MINUTE.seconds, MINUTE.seconds)

    assert after(seconds) <= MINUTE.count + 1e-9
    assert after(seconds - 0.5) > MINUTE.count
