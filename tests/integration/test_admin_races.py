"""The racing day in the back office: programme import, post times, non-runners,
pools (close with a reason, suspend, reopen), results (preview, publish,
correct, official), each page and its JSON API twin, on SQLite and PostgreSQL."""
from __future__ import annotations

import html
import io
import json
import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.programme import iso_utc
from betting.states import RaceState
from guichet.clock import utcnow
from server.services import fleet, races
from server.services.ledger import place_one
from server.services.programme_import import sample_programme
from server.web.admin_races import parse_arrival, parse_paris_time

from ..admin_support import AdminClient, make_app, token_for
from ..server_store import committed


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    yield app
    app.extensions["guichet.store"].close()


@pytest.fixture
def operator(app):
    return AdminClient(app, "operator", "olga")


@pytest.fixture
def day(operator):
    """Today's programme (Paris day), imported through the page: 2 meetings × 2 races,
    the first off in an hour."""
    now = utcnow()
    doc = sample_programme(now.astimezone(races.PARIS).date(), now + timedelta(hours=1),
                           meetings=2, races_per_meeting=2)
    answer = upload(operator, doc)
    assert answer.status_code == 302, answer.data.decode()
    return doc["date"]


def upload(client, doc, raw: bytes | None = None, **kw):
    data = raw if raw is not None else json.dumps(doc).encode()
    return client.post("/admin/programme/import",
                       data={"programme": (io.BytesIO(data), "programme.json")},
                       content_type="multipart/form-data", **kw)


def store_of(app):
    return app.extensions["guichet.store"]


def race(app, race_id):
    with store_of(app).unit_of_work(read_only=True) as uow:
        return races.get_race(uow, race_id)


def audit_log(app) -> list[tuple[str, str, dict]]:
    with store_of(app).unit_of_work(read_only=True) as uow:
        return [(e.action, e.subject, json.loads(e.detail)) for e in uow.audit.entries()]


def text(answer) -> str:
    return html.unescape(answer.data.decode())


def sell(app, race_id: str, horses: list[int], stake: int, bet_type="SIMPLE_GAGNANT") -> dict:
    with committed(store_of(app)) as uow:
        code = fleet.create_enrolment_code(uow, "Bar du test", utcnow())["code"]
        got = fleet.enrol(uow, code, utcnow())
    bet = {"uuid": str(uuidlib.uuid4()), "seq": 1, "placed_at": iso_utc(utcnow()),
           "race": race_id, "bet_type": bet_type, "formula": "UNITAIRE",
           "selections": horses, "bases": [], "unit_stake_cents": stake, "total_cents": stake,
           "offline": False}
    with committed(store_of(app)) as uow:
        return place_one(uow, got["terminal_id"], bytes.fromhex(got["key"]), bet, utcnow(), {})


# -- pages and roles ---------------------------------------------------------------

def test_every_page_shows_the_day_s_races_in_paris_time(app, operator, day):
    first = race(app, f"{day}/R1C1")
    hm = first.race.post_time.astimezone(races.PARIS).strftime("%H:%M")
    programme = text(operator.get("/admin/programme"))
    assert f"Départ à <strong data-role=\"post-time\">{hm}</strong> (heure de Paris)" in programme
    assert first.race.runners[0].name in programme and "R2C2" in programme
    pools = operator.get(f"/admin/pools?day={day}")
    assert pools.status_code == 200
    assert f"fermeture automatique à {hm}, heure de Paris" in text(pools)
    assert 'hx-trigger="every 5s"' in text(pools)
    live = operator.get(f"/admin/pools/live?day={day}")
    assert live.status_code == 200 and "<html" not in text(live) and "R1C1" in text(live)
    results = operator.get(f"/admin/results?day={day}")
    assert results.status_code == 200 and "R2C1" in text(results)
    other_day = text(operator.get("/admin/programme?day=2001-01-01"))
    assert "Aucune course ce jour-là." in other_day and "R1C1" not in other_day


def test_the_auditor_reads_pools_and_results_and_changes_nothing(app, operator, day):
    auditor = AdminClient(app, "auditor", "aude")
    assert auditor.get(f"/admin/pools?day={day}").status_code == 200
    assert auditor.get(f"/admin/results?day={day}").status_code == 200
    assert "Fermer maintenant" not in text(auditor.get(f"/admin/pools?day={day}"))
    assert auditor.get("/admin/programme").status_code == 403
    before = audit_log(app)
    r = f"{day}/R1C1"
    posts = [(f"/admin/races/{r}/close", {"reason": "orage"}), (f"/admin/races/{r}/suspend", {}),
             (f"/admin/races/{r}/reopen", {}),
             (f"/admin/races/{r}/non-runners", {"non_runners": "2"}),
             (f"/admin/races/{r}/post-time", {"post_time": "2030-01-01T10:00"}),
             (f"/admin/races/{r}/result/preview", {"arrival": "1, 2, 3"}),
             (f"/admin/races/{r}/result", {"arrival": "1, 2, 3", "confirm": "1"}),
             (f"/admin/races/{r}/official", {"confirm": "1"})]
    for path, form in posts:
        assert auditor.post(path, form).status_code == 403, path
    assert audit_log(app) == before
    assert race(app, r).state == RaceState.OPEN


def test_an_auditor_upload_is_refused(app, operator, day):
    auditor = AdminClient(app, "auditor", "aude")
    answer = upload(auditor, sample_programme(utcnow().date(), utcnow() + timedelta(hours=5)))
    assert answer.status_code == 403


# -- programme ------------------------------------------------------------------------

def test_an_import_is_reported_and_written_in_the_audit_log(app, operator, day):
    assert ("programme.import", "version 1") == audit_log(app)[-1][:2]
    page = text(operator.get(f"/admin/programme?day={day}"))
    assert "Programme importé : 4 courses" in page
    with store_of(app).unit_of_work(read_only=True) as uow:
        assert len(races.list_races(uow, day)) == 4


def test_an_import_through_htmx_answers_a_fragment(app, operator):
    doc = sample_programme(utcnow().date() + timedelta(days=3), utcnow() + timedelta(days=3),
                           meetings=1, races_per_meeting=3)
    answer = upload(operator, doc, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "<html" not in text(answer)
    assert 'data-ok="yes"' in text(answer) and "3 courses" in text(answer)
    refused = upload(operator, None, raw=b"{not json", headers={"HX-Request": "true"})
    assert refused.status_code == 200 and 'data-ok="no"' in text(refused)


@pytest.mark.parametrize("raw, reason", [
    (b'{"format": "guichet-programme", "version": 1, "date": "2026-11-29", "meetings": [',
     "le fichier n'est pas du JSON valide (ligne 1"),
    (b"\xff\xfe\x00garbage", "n'est pas du texte UTF-8"),
    (b'{"format": "guichet-programme", "version": 1, "date": "2026-11-29", "meetings": '
     b'[{"number": 1, "races": [{"number": 1, "post_time": "2026-11-29T14:00:00Z", '
     b'"runners": [{"number": 1}, {"number": 2}], "bet_types": ["SIMPLE_GAGNANT"]}, '
     b'{"number": 2, "post_time": "nope", "runners": [], "bet_types": []}]}]}',
     "Programme refusé, rien n'a été importé"),
])
def test_a_refused_file_imports_nothing_and_says_why_in_french(app, operator, raw, reason):
    answer = upload(operator, None, raw=raw)
    assert answer.status_code == 400
    assert reason in text(answer) and "rien n'a été importé" in text(answer).lower()
    with store_of(app).unit_of_work(read_only=True) as uow:
        assert races.list_races(uow) == [] and uow.meta.programme_version() == 0
    assert not [a for a in audit_log(app) if a[0] == "programme.import"]


def test_an_upload_without_a_file_is_refused(app, operator):
    answer = operator.post("/admin/programme/import", {}, content_type="multipart/form-data")
    assert answer.status_code == 400 and "Choisissez le fichier" in text(answer)


def test_a_new_post_time_is_stored_versioned_and_audited(app, operator, day):
    r = f"{day}/R1C2"
    before = race(app, r)
    new = (utcnow() + timedelta(hours=3)).astimezone(races.PARIS).replace(second=0,
                                                                          microsecond=0)
    answer = operator.post(f"/admin/races/{r}/post-time",
                           {"post_time": new.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 302
    after = race(app, r)
    assert after.race.post_time == new and after.version > before.version
    action, subject, detail = audit_log(app)[-1]
    assert (action, subject) == ("race.post_time", r)
    assert detail == {"old": iso_utc(before.race.post_time), "new": iso_utc(new)}
    assert f"départ à {new.strftime('%H:%M')} (heure de Paris)" in text(
        operator.get(f"/admin/programme?day={day}"))


@pytest.mark.parametrize("when, reason", [
    (timedelta(minutes=-5), "elle doit être à venir"),
    (timedelta(days=3), "le jour de la course"),
])
def test_a_post_time_in_the_past_or_another_day_is_refused(app, operator, day, when, reason):
    r = f"{day}/R1C2"
    before = race(app, r)
    moment = (utcnow() + when).astimezone(races.PARIS)
    answer = operator.post(f"/admin/races/{r}/post-time",
                           {"post_time": moment.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 409 and reason in text(answer)
    assert race(app, r) == before
    garbled = operator.post(f"/admin/races/{r}/post-time", {"post_time": "demain"})
    assert garbled.status_code == 400 and "Heure de départ illisible" in text(garbled)


def test_a_closed_race_keeps_its_post_time(app, operator, day):
    r = f"{day}/R1C1"
    operator.post(f"/admin/races/{r}/close", {"reason": "piste impraticable"})
    moment = (utcnow() + timedelta(hours=2)).astimezone(races.PARIS)
    answer = operator.post(f"/admin/races/{r}/post-time",
                           {"post_time": moment.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 409 and "La course est fermée" in text(answer)


def test_non_runners_are_declared_from_the_page(app, operator, day):
    r = f"{day}/R2C1"
    answer = operator.post(f"/admin/races/{r}/non-runners", {"non_runners": "3, 5"})
    assert answer.status_code == 302
    assert [x.number for x in race(app, r).race.runners if x.non_runner] == [3, 5]
    assert audit_log(app)[-1] == ("race.non_runners", r, {"non_runners": [3, 5]})
    for bad, message in (("trois", "indiquez les numéros"), ("77", "ne court pas")):
        refused = operator.post(f"/admin/races/{r}/non-runners", {"non_runners": bad})
        assert refused.status_code in (400, 409) and message in text(refused)
    assert [x.number for x in race(app, r).race.runners if x.non_runner] == [3, 5]


# -- pools ------------------------------------------------------------------------------

def test_close_now_needs_a_reason_and_keeps_it_in_the_audit_log(app, operator, day):
    r = f"{day}/R1C1"
    for reason in ("  ", "x" * 201, "orage\x07"):
        refused = operator.post(f"/admin/races/{r}/close", {"reason": reason})
        assert refused.status_code == 400 and "Indiquez un motif" in text(refused)
    assert race(app, r).state == RaceState.OPEN
    answer = operator.post(f"/admin/races/{r}/close", {"reason": "orage sur la piste"})
    assert answer.status_code == 302
    assert race(app, r).state == RaceState.CLOSED
    assert audit_log(app)[-1] == ("race.close", r, {"reason": "orage sur la piste"})
    live = text(operator.get(f"/admin/pools/live?day={day}"))
    assert 'data-state="closed"' in live


def test_a_suspended_race_takes_no_bet_until_it_reopens(app, operator, day):
    r = f"{day}/R1C2"
    assert sell(app, r, [3], 200)["status"] == "accepted"
    assert operator.post(f"/admin/races/{r}/suspend", {"reason": "incident au départ"}) \
        .status_code == 302
    assert race(app, r).state == RaceState.SUSPENDED
    assert audit_log(app)[-1] == ("race.suspend", r, {"reason": "incident au départ"})
    refused = sell(app, r, [3], 200)
    assert refused["status"] == "rejected" and refused["reason"] == "pool_closed"
    board = text(operator.get(f"/admin/pools/live?day={day}"))
    assert "suspendue" in board and "n° 3 :" in board  # its odds stay on show
    assert operator.post(f"/admin/races/{r}/reopen").status_code == 302
    assert race(app, r).state == RaceState.OPEN
    assert audit_log(app)[-1][:2] == ("race.reopen", r)
    assert sell(app, r, [4], 200)["status"] == "accepted"


def test_the_off_closes_a_suspended_race(app, operator, day):
    r = f"{day}/R1C1"
    operator.post(f"/admin/races/{r}/suspend")
    after_off = race(app, r).race.post_time + timedelta(seconds=1)
    assert race(app, r).state_at(after_off) == RaceState.CLOSED
    with committed(store_of(app)) as uow:
        closed = races.close_due_races(uow, after_off)
    assert [c.race.race_id for c in closed] == [r]
    assert race(app, r).state == RaceState.CLOSED
    refused = operator.post(f"/admin/races/{r}/reopen")
    assert refused.status_code == 409 and "La course est fermée" in text(refused)


def test_the_pool_board_shows_totals_and_probable_odds(app, operator, day):
    r = f"{day}/R2C2"
    sell(app, r, [7], 2000)
    sell(app, r, [2], 8000)
    row = text(operator.get(f"/admin/pools/live?day={day}")).split(f'data-race="{r}"')[1]
    row = row.split("</tr>")[0]
    assert "Simple gagnant : 100,00 €" in row and "(2 paris)" in row
    # (100 € - deduction) / 20 € on the 7; 80 € on the 2 pays the minimum
    assert "n° 7 : 4,3" in row and "n° 2 : 1,1" in row


# -- results ----------------------------------------------------------------------------

def _closed_race_with_bets(app, operator, r):
    sell(app, r, [3], 500)
    sell(app, r, [5], 1500)
    sell(app, r, [3, 5], 100, bet_type="COUPLE_GAGNANT")
    operator.post(f"/admin/races/{r}/close", {"reason": "course courue"})


def test_a_preview_stores_nothing_then_publish_official(app, operator, day):
    r = f"{day}/R1C1"
    _closed_race_with_bets(app, operator, r)
    before = audit_log(app)
    preview = operator.post(f"/admin/races/{r}/result/preview",
                            {"arrival": "3, 5=7, 1", "non_runners": ""})
    assert preview.status_code == 200
    page = text(preview)
    assert "Aperçu des rapports — rien n'est encore publié" in page
    assert "Simple gagnant" in page and "Couplé gagnant" in page and "Pour 1 €" in page
    assert "3 – 5=7 – 1" in page
    assert audit_log(app) == before
    with store_of(app).unit_of_work(read_only=True) as uow:
        assert uow.results.get(r) is None
    unconfirmed = operator.post(f"/admin/races/{r}/result", {"arrival": "3, 5=7, 1"})
    assert unconfirmed.status_code == 400
    with store_of(app).unit_of_work(read_only=True) as uow:
        assert uow.results.get(r) is None
    published = operator.post(f"/admin/races/{r}/result",
                              {"arrival": "3, 5=7, 1", "non_runners": "", "confirm": "1"})
    assert published.status_code == 302
    assert audit_log(app)[-1][:2] == ("race.result", r)
    shown = text(operator.get(f"/admin/results?race={r}"))
    assert "Rapports publiés — provisoires" in shown and "Déclarer officiel" in shown
    # the preview showed what was published
    for line in [x for x in page.split("\n") if 'data-role="dividend"' in x]:
        assert line.strip() in shown
    # corrected, then official after its confirmation step
    operator.post(f"/admin/races/{r}/result", {"arrival": "5, 3, 1", "confirm": "1"})
    ask = operator.post(f"/admin/races/{r}/official")
    assert ask.status_code == 200 and "Confirmer : résultat officiel" in text(ask)
    with store_of(app).unit_of_work(read_only=True) as uow:
        assert uow.results.get(r).official is False
    assert operator.post(f"/admin/races/{r}/official", {"confirm": "1"}).status_code == 302
    assert audit_log(app)[-1][:2] == ("race.official", r)
    final = text(operator.get(f"/admin/results?race={r}"))
    assert "Rapports publiés — officiels" in final and "Prévisualiser" not in final
    assert "5 – 3 – 1" in final
    again = operator.post(f"/admin/races/{r}/result", {"arrival": "3, 5, 1", "confirm": "1"})
    assert again.status_code == 409 and "Le résultat est officiel" in text(again)


@pytest.mark.parametrize("arrival, message", [
    ("3, x", "Arrivée illisible"),
    ("3, 3, 1", "Un cheval figure deux fois à l'arrivée."),
    ("3, 55", "Un numéro ne court pas dans cette course."),
])
def test_a_bad_arrival_is_refused_in_french(app, operator, day, arrival, message):
    r = f"{day}/R1C1"
    _closed_race_with_bets(app, operator, r)
    for path in (f"/admin/races/{r}/result/preview", f"/admin/races/{r}/result"):
        answer = operator.post(path, {"arrival": arrival, "confirm": "1"})
        assert answer.status_code in (400, 409) and message in text(answer)
    with store_of(app).unit_of_work(read_only=True) as uow:
        assert uow.results.get(r) is None


def test_an_open_race_gets_no_result(app, operator, day):
    answer = operator.post(f"/admin/races/{day}/R2C2/result/preview", {"arrival": "1, 2"})
    assert answer.status_code == 409 and "encore ouverte" in text(answer)


def test_arrival_and_time_fields_parse_as_typed():
    assert parse_arrival("13, 7=9, 14") == [[13], [7, 9], [14]]
    assert parse_arrival("13,,7") == [[13], [7]]
    for bad in ("", "13, 7==9", "a", "100"):
        assert parse_arrival(bad) is None, bad
    assert iso_utc(parse_paris_time("2026-07-07T14:05")) == "2026-07-07T12:05:00Z"
    assert iso_utc(parse_paris_time("2026-11-29T14:05")) == "2026-11-29T13:05:00Z"
    assert parse_paris_time("14h05") is None


# -- the JSON API twins -------------------------------------------------------------------

@pytest.fixture
def api(app, operator):
    client = app.test_client()
    token = token_for(app, "olga")

    def call(method, path, body=None):
        answer = client.open(path, method=method, json=body,
                             headers={"Authorization": f"Bearer {token}"})
        return answer.status_code, answer.get_json()
    return call


def test_the_api_moves_a_post_time_suspends_reopens_and_closes_with_a_reason(app, api, day):
    r = f"{day}/R2C1"
    new = (utcnow() + timedelta(hours=4)).replace(microsecond=0)
    status, body = api("POST", f"/api/races/{r}/post-time", {"post_time": iso_utc(new)})
    assert status == 200 and body["post_time"] == iso_utc(new)
    assert audit_log(app)[-1][:2] == ("race.post_time", r)
    status, body = api("POST", f"/api/races/{r}/post-time",
                       {"post_time": iso_utc(utcnow() - timedelta(hours=1))})
    assert status == 400 and body["error"] == "bad_post_time"
    assert api("POST", f"/api/races/{r}/post-time", {"post_time": "14:00"})[0] == 400
    status, body = api("POST", f"/api/races/{r}/suspend", {"reason": "contrôle"})
    assert status == 200 and body["state"] == "suspended"
    status, body = api("POST", f"/api/races/{r}/reopen")
    assert status == 200 and body["state"] == "open"
    status, body = api("POST", f"/api/races/{r}/close", {"reason": "orage"})
    assert status == 200 and body["state"] == "closed"
    assert audit_log(app)[-1] == ("race.close", r, {"reason": "orage"})
    status, body = api("POST", f"/api/races/{r}/reopen")
    assert status == 409 and body["error"] == "race_closed"


def test_the_api_previews_a_result_without_storing_it(app, api, operator, day):
    r = f"{day}/R1C2"
    _closed_race_with_bets(app, operator, r)
    before = audit_log(app)
    status, preview = api("POST", f"/api/races/{r}/result/preview",
                          {"arrival": [[5], [3], [1]]})
    assert status == 200 and preview["preview"] is True and preview["official"] is False
    assert audit_log(app) == before
    assert api("GET", f"/api/races/{r}/dividends")[0] == 404
    status, published = api("POST", f"/api/races/{r}/result", {"arrival": [[5], [3], [1]]})
    assert status == 200
    assert preview["pools"] == published["pools"]
    status, board = api("GET", f"/api/pools?day={day}")
    assert status == 200 and [x["race"] for x in board["races"]][:1] == [f"{day}/R1C1"]
    row = next(x for x in board["races"] if x["race"] == r)
    assert row["state"] == "closed" and row["total_cents"] == 2100


def test_the_api_refuses_the_auditor_every_change(app, day):
    client = app.test_client()
    AdminClient(app, "auditor", "aude")
    token = token_for(app, "aude")
    r = f"{day}/R1C1"
    for path in ("post-time", "suspend", "reopen", "close", "result/preview"):
        answer = client.post(f"/api/races/{r}/{path}", json={},
                             headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403, path
    assert client.get(f"/api/pools?day={day}",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200


# -- with real processes: a shop's terminal hears of a suspension at once ----------------

def test_a_terminal_stops_selling_a_suspended_race_and_sells_again_once_reopened(
        server, terminal, programme):
    from ..helpers import wait_until

    race_id = f"{json.loads(programme.read_text())['date']}/R2C1"
    bet = {"race": race_id, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
           "selections": [2], "bases": [], "unit_stake_cents": 100}
    status, body = server.api("POST", f"/api/races/{race_id}/suspend", {"reason": "contrôle"})
    assert status == 200 and body["state"] == "suspended"

    def refused():
        status, answer = terminal.api("POST", "/api/bets", bet)
        return answer if status == 422 else None
    assert wait_until(refused, what="the terminal to refuse the suspended race")["reason"] \
        == "pool_closed"
    assert server.api("POST", f"/api/races/{race_id}/reopen")[1]["state"] == "open"

    def sold():
        status, answer = terminal.api("POST", "/api/bets", bet)
        return answer if status == 201 else None
    assert wait_until(sold, what="the terminal to sell the reopened race")["status"] == "accepted"
