"""The operator's deduction rates, from its file, decide the dividends."""
from __future__ import annotations

import json
import uuid as uuidlib

from betting.protocol import NAMESPACE

from ..helpers import run_cli, start_server
from .socket_client import connect


def test_server_settles_with_the_rates_file(tmp_path, programme):
    rates = tmp_path / "rates.json"
    # 25 % for Simple gagnant, and from a day before the race a 0.05 € grid
    rates.write_text(json.dumps({"deductions": {"SIMPLE_GAGNANT": "25"},
                                 "periods": [{"from": "2000-01-01",
                                              "grids": {"SIMPLE_GAGNANT": 5}}]}))
    srv = start_server(tmp_path, programme, env={"GUICHET_RATES": str(rates)})
    try:
        code = srv.api("POST", "/api/enrolment-codes", {"outlet": "Taux"})[1]["code"]
        enrolled = srv.api("POST", "/api/enrol", {"code": code}, token=None)[1]
        race = f"{json.loads(programme.read_text())['date']}/R2C1"
        bets = [{"uuid": str(uuidlib.uuid4()), "seq": seq, "placed_at": "2026-01-01T00:00:00Z",
                 "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
                 "selections": [horse], "bases": [], "unit_stake_cents": stake,
                 "total_cents": stake, "offline": False}
                for seq, (horse, stake) in enumerate([(1, 200), (2, 400)], start=1)]
        client = connect(srv.url, enrolled["terminal_id"], bytes.fromhex(enrolled["key"]))
        try:
            client.call("place_bets", {"bets": bets}, namespace=NAMESPACE, timeout=10)
        finally:
            client.disconnect()
        srv.api("POST", f"/api/races/{race}/close")
        status, published = srv.api("POST", f"/api/races/{race}/result", {"arrival": [[1], [2], [3]]})
        assert status == 200, published
        (pool,) = [p for p in published["pools"] if p["bet_type"] == "SIMPLE_GAGNANT"]
        assert pool["deduction_cents"] == 150
        # 6 € less 25 %: 4.50 € to the 2 € on horse 1, 2.25 € per 1 € (on the 0.05 € grid;
        # the default 0.10 € grid would say 2.20)
        assert [d["per_euro_cents"] for d in pool["dividends"]] == [225]
    finally:
        srv.proc.stop()


def test_a_bad_rates_file_stops_the_server_with_one_line(tmp_path):
    rates = tmp_path / "rates.json"
    rates.write_text(json.dumps({"deductions": {"SIMPLE_GAGNANT": "150"}}))
    proc = run_cli("server", "--db", str(tmp_path / "s.db"), "--port", "1",
                   env={"GUICHET_RATES": str(rates)}, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "deduction rate of SIMPLE_GAGNANT" in proc.stderr
