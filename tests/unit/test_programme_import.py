import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from server.programme_import import ProgrammeError, parse_programme, sample_programme

OPERATOR = Path(__file__).resolve().parents[1] / "data" / "pmu_programme_2021-01-01.json"


def test_operator_programme_gives_24_races_with_post_times_and_base_stakes():
    races = {r.race_id: r for r in parse_programme(json.loads(OPERATOR.read_text()))}
    assert len(races) == 24
    r1c1 = races["2021-01-01/R1C1"]
    assert r1c1.post_time == datetime(2021, 1, 1, 12, 58, tzinfo=timezone.utc)
    assert r1c1.declared_runners == 14
    assert [r.number for r in r1c1.runners] == list(range(1, 15))
    assert r1c1.name == "PRIX DE CHAMBLY" and r1c1.venue == "VINCENNES"
    assert r1c1.offer("DEUX_SUR_QUATRE").base_stake_cents == 300
    assert r1c1.offer("MULTI").base_stake_cents == 300
    assert r1c1.offer("REPORT_PLUS") is None  # not in the catalogue: skipped
    quinte = [r for r in races.values() if r.offer("QUINTE_PLUS")]
    assert len(quinte) == 1 and quinte[0].offer("QUINTE_PLUS").base_stake_cents == 200


def test_operator_participants_are_used_when_present():
    doc = json.loads(OPERATOR.read_text())
    course = doc["programme"]["reunions"][0]["courses"][0]
    course["participants"] = [{"numPmu": 1, "nom": "BOLD EAGLE"},
                              {"numPmu": 2, "nom": "FACE TIME BOURBON", "statut": "NON_PARTANT"}]
    race = next(r for r in parse_programme(doc) if r.race_id == "2021-01-01/R1C1")
    assert [(r.number, r.name, r.non_runner) for r in race.runners] == [
        (1, "BOLD EAGLE", False), (2, "FACE TIME BOURBON", True)]


def test_sample_programme_round_trips():
    first = datetime(2026, 11, 29, 13, 0, tzinfo=timezone.utc)
    races = parse_programme(sample_programme(date(2026, 11, 29), first))
    assert len(races) == 8
    assert min(r.post_time for r in races) == first
    assert all(r.offer("SIMPLE_GAGNANT") for r in races)


@pytest.mark.parametrize("doc, words", [
    (None, "JSON object"),
    ({"programme": {}}, "unknown programme format"),
    ({"format": "guichet-programme", "date": "2026-13-01", "meetings": []}, "malformed"),
    ({"format": "guichet-programme", "date": "2026-11-29", "meetings": []}, "no race"),
    ({"format": "guichet-programme", "date": "2026-11-29", "meetings": [{"number": 1, "races": [
        {"number": 1, "post_time": "2026-11-29T13:00:00Z", "runners": [{"number": 1}, {"number": 2}],
         "bet_types": ["LOTO"]}]}]}, "unknown bet type"),
    ({"format": "guichet-programme", "date": "2026-11-29", "meetings": [{"number": 1, "races": [
        {"number": 1, "post_time": "2026-11-29T13:00:00", "runners": [{"number": 1}, {"number": 2}],
         "bet_types": ["SIMPLE_GAGNANT"]}]}]}, "malformed"),
])
def test_bad_programmes_say_why(doc, words):
    with pytest.raises(ProgrammeError, match=words):
        parse_programme(doc)
