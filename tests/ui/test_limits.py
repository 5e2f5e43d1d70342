"""ui/limits.py: the sliding-window rate limit."""
from __future__ import annotations

import time

from ui.limits import RateLimiter


def test_rate_limiter_counts_per_client_and_frees_slots_as_the_window_slides():
    limiter = RateLimiter(per_minute=2, window=0.3)
    assert limiter.retry_after("a") == 0 and limiter.retry_after("a") == 0
    wait = limiter.retry_after("a")
    assert 0 < wait <= 0.3
    assert limiter.retry_after("b") == 0  # another client is not affected
    time.sleep(wait + 0.05)
    assert limiter.retry_after("a") == 0
