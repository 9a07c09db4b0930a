"""The central server's HTTP API and admin CLI, on a real server process."""
from __future__ import annotations

from pathlib import Path

from ..helpers import run_cli

# A copy of shared/data/pmu_programme_2021-01-01.json: the operator's real format.
OPERATOR_PROGRAMME = Path(__file__).resolve().parents[1] / "data" / "pmu_programme_2021-01-01.json"


def test_healthz(server):
    assert server.api("GET", "/healthz", token=None) == (200, {"ok": True})


def test_operator_programme_imports_with_its_base_stakes(server):
    import json

    doc = json.loads(OPERATOR_PROGRAMME.read_text())
    status, answer = server.api("POST", "/api/programme", doc)
    assert status == 200, answer
    assert answer["races"] == 24
    status, card = server.api("GET", "/api/races/2021-01-01/R1C1", token=None)
    assert status == 200
    assert card["post_time"] == "2021-01-01T12:58:00Z"
    assert len(card["runners"]) == 14
    offered = {o["bet_type"]: o["base_stake_cents"] for o in card["bet_types"]}
    assert offered["SIMPLE_GAGNANT"] == 100
    assert offered["DEUX_SUR_QUATRE"] == 300
    assert offered["REPORT_PLUS"] == 100  # kept: a chain of Simple bets (betting/reports.py)
    status, card = server.api("GET", "/api/races/2021-01-01/R1C3", token=None)
    assert status == 200  # its operator's entry offers TIC_TROIS, whose rules are not
    assert "TIC_TROIS" not in {o["bet_type"] for o in card["bet_types"]}  # known: skipped
    assert card["state"] == "closed"  # its post time is long past


def test_admin_calls_need_the_token(server):
    status, answer = server.api("POST", "/api/races/2021-01-01/R1C1/close", token=None)
    assert status == 401 and answer["error"] == "unauthorized"
    status, _ = server.api("POST", "/api/programme", {"format": "guichet-programme"},
                           token="forged")
    assert status == 401


def test_bad_programme_is_refused_and_changes_nothing(server):
    before = server.api("GET", "/api/races", token=None)[1]["races"]
    status, answer = server.api("POST", "/api/programme", {"hello": "world"})
    assert status == 400 and answer["error"] == "bad_programme"
    bad_runner = {"format": "guichet-programme", "version": 1, "date": "2030-01-01",
                  "meetings": [{"number": 1, "races": [{"number": 1, "post_time": "2030-01-01T12:00:00Z",
                                "runners": [{"number": 1}, {"number": 1}],
                                "bet_types": ["SIMPLE_GAGNANT"]}]}]}
    status, answer = server.api("POST", "/api/programme", bad_runner)
    assert status == 400 and "twice" in answer["message"]
    assert server.api("GET", "/api/races", token=None)[1]["races"] == before


def test_unknown_and_malformed_race_ids(server):
    assert server.api("GET", "/api/races/2030-01-01/R1C1", token=None)[0] == 404
    status, answer = server.api("GET", "/api/races/not-a-race", token=None)
    assert status == 400 and answer["error"] == "bad_race_id"


def test_enrolment_code_works_once(server):
    status, created = server.api("POST", "/api/enrolment-codes", {"outlet": "Tabac de la Gare"})
    assert status == 201 and created["code"].isdigit()
    status, enrolled = server.api("POST", "/api/enrol", {"code": created["code"]}, token=None)
    assert status == 201 and enrolled["terminal_id"].startswith("T") and len(enrolled["key"]) == 64
    status, again = server.api("POST", "/api/enrol", {"code": created["code"]}, token=None)
    assert status == 409 and again["error"] == "code_used"
    status, unknown = server.api("POST", "/api/enrol", {"code": "000000000000"}, token=None)
    assert status == 403 and unknown["error"] == "unknown_code"
    assert server.api("POST", "/api/enrolment-codes", {"outlet": ""})[0] == 400


def test_terminals_listed_for_the_operator(server, terminal):
    status, fleet = server.api("GET", "/api/terminals")
    assert status == 200
    mine = next(t for t in fleet["terminals"] if t["terminal_id"] == terminal.terminal_id)
    assert mine["connected"] is True
    assert mine["outlet"] == "Bar terminal"


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    cases = [
        ("admin", "import", str(tmp_path / "missing.json"), "--db", str(tmp_path / "s.db")),
        ("admin", "close", "2030-01-01/R1C1", "--db", str(tmp_path / "s.db")),
        ("server", "--db", "postgresql://postgres@127.0.0.1:1/guichet"),  # nobody listens
        ("enrol", "--server", "nonsense", "--code", "1", "--data", str(tmp_path / "t")),
        ("terminal", "--printer", "carrier-pigeon:", "--data", str(tmp_path / "t2")),
    ]
    for args in cases:
        proc = run_cli(*args, check=False)
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip(), args
        error_lines = [l for l in proc.stderr.splitlines() if l.startswith("Error")]
        assert len(error_lines) == 1, proc.stderr
