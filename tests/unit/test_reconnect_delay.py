"""When a terminal tries the central again after a failed connect."""
import random

from terminal_app.adapters.sync import (
    CONNECT_TIMEOUT_S, OVERLOAD_SPREAD_S, retry_delay,
)


def test_a_refused_or_unreachable_central_is_tried_again_on_the_short_backoff():
    random.seed(7)
    waits = [retry_delay(2.0, 0.01) for _ in range(500)]  # refused at once
    assert min(waits) >= 1.0 and max(waits) <= 3.0  # 2 s ± 50 %


def test_a_connect_that_timed_out_is_tried_again_anywhere_in_the_spread():
    """A swamped central: 20,000 terminals that all timed out must not come back
    together, so each picks its moment across the whole spread, whatever its backoff."""
    random.seed(7)
    waits = [retry_delay(0.5, CONNECT_TIMEOUT_S + 0.2) for _ in range(2000)]
    assert min(waits) >= 0.0 and max(waits) <= OVERLOAD_SPREAD_S
    # spread out: each sixth of the window gets about a sixth of the tries
    sixths = [0] * 6
    for wait in waits:
        sixths[min(5, int(wait / OVERLOAD_SPREAD_S * 6))] += 1
    assert all(250 <= n <= 420 for n in sixths), sixths
    assert max(waits) > 10.0  # beyond the short backoff's ceiling
