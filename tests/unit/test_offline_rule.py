from datetime import datetime, timedelta, timezone

import pytest

from betting.programme import Offer, Race, Runner
from betting.protocol import OfflinePolicy
from terminal_app.adapters.server_clock import ServerClock
from terminal_app.services.offline_rule import (
    NoOfflinePolicy,
    OfflineCeiling,
    TooCloseToTheOff,
    check_offline_sale,
)

NOON = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
RACE = Race("2026-11-29/R1C1", 1, 1, "PRIX", "VINCENNES", NOON + timedelta(minutes=10),
            (Runner(1, "A"), Runner(2, "B")), (Offer("SIMPLE_GAGNANT", 100),))
POLICY = OfflinePolicy(margin_s=300, ceiling_cents=10_000)


def test_offline_sale_allowed_outside_the_margin_and_under_the_ceiling():
    check_offline_sale(POLICY, RACE, NOON, unsent_offline_cents=9_000, total_cents=1_000)


def test_no_offline_sale_within_the_margin():
    with pytest.raises(TooCloseToTheOff, match="5 minutes"):
        check_offline_sale(POLICY, RACE, NOON + timedelta(minutes=5), 0, 100)


def test_no_offline_sale_above_the_ceiling():
    with pytest.raises(OfflineCeiling, match="reste 10,00 €"):
        check_offline_sale(POLICY, RACE, NOON, unsent_offline_cents=9_000, total_cents=1_100)


def test_no_offline_sale_without_a_policy_from_the_server():
    with pytest.raises(NoOfflinePolicy):
        check_offline_sale(None, RACE, NOON, 0, 100)


@pytest.mark.parametrize("wire", [None, {}, {"offline_margin_s": "300", "offline_ceiling_cents": 1},
                                  {"offline_margin_s": -1, "offline_ceiling_cents": 1},
                                  {"offline_margin_s": True, "offline_ceiling_cents": 1}])
def test_malformed_policies_are_ignored(wire):
    assert OfflinePolicy.from_wire(wire) is None


class FakeClocks:
    def __init__(self):
        self.wall = NOON.timestamp()
        self.mono = 1000.0


def test_server_clock_ignores_a_jump_of_the_terminal_wall_clock():
    c = FakeClocks()
    clock = ServerClock(wall=lambda: c.wall, monotonic=lambda: c.mono)
    clock.observe(NOON.timestamp() + 30)  # the server is 30 s ahead
    c.wall += 3 * 3600  # someone sets the terminal three hours ahead
    c.mono += 60  # one real minute passes
    assert clock.now() == NOON + timedelta(seconds=90)


def test_server_clock_before_any_heartbeat_uses_the_saved_offset():
    c = FakeClocks()
    clock = ServerClock(saved_offset_s=-20, wall=lambda: c.wall, monotonic=lambda: c.mono)
    assert not clock.synced
    assert clock.now() == NOON - timedelta(seconds=20)
    clock.observe(NOON.timestamp() + 5)
    assert clock.synced and clock.offset_s == pytest.approx(5)
