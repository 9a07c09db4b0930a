"""The audit log: operator actions and pool events chained by hash; `verify` catches
every alteration made directly in the store (on SQLite and on PostgreSQL)."""
from __future__ import annotations

import json
from datetime import timedelta

from guichet.clock import utcnow
from server.services import audit, fleet, races
from server.services.programme_import import parse_programme, sample_programme
from server.services.settlement import declare_non_runners, declare_official, enter_result

from ..helpers import run_cli
from ..server_store import committed, count_rows, damage


def run_a_day(store) -> str:
    """Import, non-runner, close, result, official, a terminal enrolled then disabled."""
    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(minutes=30))
    parsed = parse_programme(doc)
    race = parsed[0].race_id
    with audit.acting_as("token:test"):
        with committed(store) as uow:
            races.import_programme(uow, parsed)
        with committed(store) as uow:
            declare_non_runners(uow, race, [8], now)
        with committed(store) as uow:
            races.close_race(uow, race, now)
        with committed(store) as uow:
            enter_result(uow, race, {"arrival": [[1], [2], [3]]}, now)
        with committed(store) as uow:
            declare_official(uow, race, now)
        with committed(store) as uow:
            code = fleet.create_enrolment_code(uow, "Bar du Port", now)["code"]
        with committed(store) as uow:
            terminal = fleet.enrol(uow, code, now)["terminal_id"]
        with committed(store) as uow:
            fleet.set_disabled(uow, terminal, True)
    return race


def entries(store) -> list:
    with store.unit_of_work(read_only=True) as uow:
        return list(audit.export(uow))


def verdict(store, anchor=None) -> audit.Verdict:
    with store.unit_of_work(read_only=True) as uow:
        return audit.verify(uow, anchor)


def test_every_action_is_chained_in_order_with_its_actor(store):
    race = run_a_day(store)
    log = entries(store)
    assert [e.action for e in log] == [
        "programme.import", "race.non_runners", "race.close", "race.result", "race.official",
        "terminal.enrolment_code", "terminal.enrol", "terminal.disable"]
    assert [e.seq for e in log] == list(range(1, 9))
    assert log[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(log, log[1:]))
    assert {e.actor for e in log} == {"token:test"}
    assert log[1].subject == race and json.loads(log[1].detail) == {"non_runners": [8]}
    assert json.loads(log[3].detail)["arrival"] == [[1], [2], [3]]
    # the one-time enrolment code is not written in clear
    code_entry = json.loads(log[5].detail)
    assert set(code_entry) == {"code_ends", "expires_at"} and len(code_entry["code_ends"]) == 4
    assert verdict(store) == audit.Verdict(True, 8)


def test_a_change_rolled_back_leaves_no_entry(store):
    now = utcnow()
    parsed = parse_programme(sample_programme(now.date(), now + timedelta(minutes=30)))
    with store.unit_of_work() as uow:
        races.import_programme(uow, parsed)  # no commit
    assert count_rows(store, "audit_log") == 0


def test_the_periodic_close_at_the_off_is_the_system_s(store):
    now = utcnow()
    parsed = parse_programme(sample_programme(now.date(), now - timedelta(minutes=1),
                                              meetings=1, races_per_meeting=1))
    with committed(store) as uow:
        races.import_programme(uow, parsed)
    with committed(store) as uow:
        closed = races.close_due_races(uow, now)
    assert [r.race.race_id for r in closed] == [parsed[0].race_id]
    last = entries(store)[-1]
    assert (last.action, last.actor, last.subject) == \
        ("race.close_at_off", "system", parsed[0].race_id)


def test_an_altered_entry_is_named(store):
    run_a_day(store)
    damage(store, "UPDATE audit_log SET detail = ? WHERE seq = 2", '{"non_runners":[7]}')
    v = verdict(store)
    assert not v.ok and v.first_bad == 2 and "altered" in v.reason


def test_an_altered_entry_with_a_forged_hash_breaks_the_next(store):
    run_a_day(store)
    e = entries(store)[2]
    forged = audit.entry_hash(e.seq, e.at, "cli:someone", e.action, e.subject, e.detail,
                              e.prev_hash)
    damage(store, "UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 3", "cli:someone", forged)
    v = verdict(store)
    assert not v.ok and v.first_bad == 4 and "does not follow" in v.reason


def test_a_deleted_entry_is_named(store):
    run_a_day(store)
    damage(store, "DELETE FROM audit_log WHERE seq = 5")
    v = verdict(store)
    assert not v.ok and v.first_bad == 5 and "missing" in v.reason


def test_reordered_entries_are_caught(store):
    run_a_day(store)
    damage(store, "UPDATE audit_log SET seq = 100 WHERE seq = 3")
    damage(store, "UPDATE audit_log SET seq = 3 WHERE seq = 4")
    damage(store, "UPDATE audit_log SET seq = 4 WHERE seq = 100")
    v = verdict(store)
    assert not v.ok and v.first_bad == 3


def test_a_cut_tail_is_caught_only_against_an_anchor(store):
    run_a_day(store)
    anchor = (entries(store)[-1].seq, entries(store)[-1].hash)
    damage(store, "DELETE FROM audit_log WHERE seq >= 7")
    assert verdict(store).ok  # a chain alone cannot see its own end cut off
    v = verdict(store, anchor)
    assert not v.ok and v.first_bad == 8 and "gone" in v.reason


def test_verify_and_export_from_the_command_line(store, tmp_path):
    run_a_day(store)
    out = tmp_path / "audit.jsonl"
    done = run_cli("admin", "audit", "export", "--out", str(out), "--db", store.url)
    assert "8 entries written" in done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, 9))
    assert lines[1]["detail"] == {"non_runners": [8]}
    # an export holds all it takes to check each hash again
    assert all(audit.entry_hash(e["seq"], e["at"], e["actor"], e["action"], e["subject"],
                                json.dumps(e["detail"], ensure_ascii=False, sort_keys=True,
                                           separators=(",", ":")),
                                e["prev_hash"]) == e["hash"] for e in lines)
    ok = run_cli("admin", "audit", "verify", "--anchor", str(out), "--db", store.url)
    assert "audit log intact: 8 entries, anchored at entry 8" in ok.stdout

    damage(store, "DELETE FROM audit_log WHERE seq = 8")
    broken = run_cli("admin", "audit", "verify", "--anchor", str(out), "--db", store.url,
                     check=False)
    assert broken.returncode == 1
    assert "audit log BROKEN at entry 8" in broken.stderr


def test_the_command_line_names_its_user(store):
    run_cli("admin", "enrolment-code", "--outlet", "Kiosque", "--db", store.url)
    last = entries(store)[-1]
    assert last.action == "terminal.enrolment_code" and last.actor.startswith("cli:")
    assert len(last.actor) > len("cli:")


def test_the_api_names_its_token_never_the_token_itself(server):
    status, created = server.api("POST", "/api/enrolment-codes", {"outlet": "Tabac"})
    assert status == 201
    from server.store import open_store

    store = open_store(str(server.db))
    try:
        last = entries(store)[-1]
    finally:
        store.close()
    assert last.action == "terminal.enrolment_code" and last.subject == "Tabac"
    assert last.actor.startswith("token:") and len(last.actor) == len("token:") + 12
    assert server.token not in last.actor
