"""The terminal's data folder: each table has one owner, and the owners share
one file and one transaction per thread (terminal_app/adapters/store.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from betting.bets import make_request, price_bet
from betting.programme import Race
from betting.states import OpResult, OutboxState
from terminal_app.bootstrap import bootstrap
from terminal_app.services.diagnose import DiagnoseError, configured
from terminal_app.services.sales import NotEnrolled
from terminal_app.adapters.store import TerminalStore

POST = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def card(race_id: str = "2030-01-01/R1C1", state: str = "open") -> dict:
    race = Race.from_dict({"race": race_id, "venue": "VINCENNES", "name": "Prix Test",
                           "post_time": POST.isoformat(),
                           "runners": [{"number": n} for n in range(1, 9)],
                           "bet_types": [{"bet_type": "SIMPLE_GAGNANT",
                                          "base_stake_cents": 100}]})
    return {**race.to_dict(), "state": state, "version": 1}


@pytest.fixture
def store(tmp_path) -> TerminalStore:
    """A fresh data folder per test."""
    return TerminalStore(tmp_path / "t")


def priced(store: TerminalStore):
    race, _ = store.programme.race("2030-01-01/R1C1")
    return price_bet(make_request({"race": race.race_id, "bet_type": "SIMPLE_GAGNANT",
                                   "formula": "UNITAIRE", "selections": [3], "bases": [],
                                   "unit_stake_cents": 200}), race)


def test_settings_set_get_and_remove(store):
    store.settings.set(printer="sim:", drawer="off")
    assert store.settings.get_many(("printer", "drawer", "scanner")) == {"printer": "sim:",
                                                                         "drawer": "off"}
    store.settings.set(drawer=None)
    assert store.settings.get("drawer", "on") == "on"
    assert not store.settings.enrolled and store.settings.key == b""


def test_local_tokens_are_checked_not_kept(store):
    token = store.tokens.create()
    assert store.tokens.check(token) and not store.tokens.check(token + "x")
    assert token not in str(store.database.query("SELECT * FROM api_tokens"))


def test_the_programme_and_its_version_are_written_together(store):
    store.programme.save([card()], 3)
    assert store.programme.version == 3
    with pytest.raises(KeyError):  # a card without its state: nothing of it is kept
        store.programme.save([card("2030-01-01/R1C2"), {"race": "x"}], 4)
    assert store.programme.version == 3
    assert [r.race_id for r, _ in store.programme.races()] == ["2030-01-01/R1C1"]
    store.programme.set_state("2030-01-01/R1C1", "closed")
    assert store.programme.race("2030-01-01/R1C1")[1] == "closed"


def test_the_outbox_numbers_answers_and_holds_bets(store):
    store.programme.save([card()], 1)
    first = store.outbox.add(priced(store))
    second = store.outbox.add(priced(store), offline=True, ticket_code=lambda seq: f"T{seq}")
    assert (first["seq"], second["seq"], second["ticket"]) == (1, 2, "T2")
    assert [b["uuid"] for b in store.outbox.pending()] == [first["uuid"], second["uuid"]]
    store.outbox.mark_attempt([first["uuid"]])
    store.outbox.record_answers([{"uuid": first["uuid"], "status": "accepted", "ticket": "A1"}])
    assert store.outbox.bet(first["uuid"])["status"] == OutboxState.ACCEPTED
    assert [a["outcome"] for a in store.outbox.attempts(first["uuid"])] == ["sent", "accepted"]
    assert store.outbox.queue_depth() == 1 and store.outbox.counts()["provisional"] == 1
    assert {b["uuid"] for b in store.outbox.held()} == {first["uuid"], second["uuid"]}
    job = store.outbox.assign_job(first["uuid"])
    assert store.outbox.assign_job(first["uuid"]) == job  # one job id for the original
    store.outbox.record_print(first["uuid"], job, None)
    store.outbox.mark_cancelled("T2")
    assert store.outbox.held() == []
    assert store.outbox.uuid_for_ticket("A1") == first["uuid"]
    assert store.outbox.uuid_for_ticket("nope") is None


def test_the_print_journal_knows_a_job_cut_in_the_middle(store):
    row = store.prints.start("bet-1", "job-1", "original")
    assert store.prints.last_original("bet-1")["result"] == "sending"
    store.prints.finish(row, "paper_out", "Plus de papier.")
    assert store.prints.for_bet("bet-1")[-1]["error_code"] == "paper_out"


def test_an_unanswered_payment_is_asked_again_with_the_same_uuid(store):
    first = store.ticket_ops.open("pay", "123")
    store.ticket_ops.close(first["id"], OpResult.NO_ANSWER, error="timeout")
    assert store.ticket_ops.open("pay", "123")["payment_uuid"] == first["payment_uuid"]
    assert store.ticket_ops.open("cancel", "123")["payment_uuid"] is None


def test_diagnose_reads_the_saved_devices_without_creating_anything(tmp_path, store):
    assert configured(str(tmp_path / "none")) == {}
    assert not (tmp_path / "none").exists()
    store.settings.set(printer="sim:", key="00")
    assert configured(str(store.data_dir)) == {"printer": "sim:"}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "terminal.db").write_bytes(b"not a database" * 100)
    with pytest.raises(DiagnoseError, match="cannot read"):
        configured(str(bad))


def test_an_unenrolled_terminal_sells_nothing(tmp_path):
    services = bootstrap(tmp_path / "t")
    try:
        with pytest.raises(NotEnrolled):
            services.sales.sell({"race": "2030-01-01/R1C1"})
        assert services.store.outbox.recent() == []
    finally:
        services.stop()


def test_a_transaction_inside_another_commits_or_rolls_back_with_it(store):
    with pytest.raises(RuntimeError):
        with store.database.transaction():
            store.settings.set(printer="sim:")       # joins the outer transaction
            raise RuntimeError("the outer block fails")
    assert store.settings.get("printer") is None
