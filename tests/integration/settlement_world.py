"""One race sold and settled in-process (one store per test, both kinds), for the
settlement tests that pay tickets end to end: a programme of one race, a terminal
enrolled, an admin token, bets built with consecutive sequence numbers."""
from __future__ import annotations

import uuid as uuidlib
from datetime import timedelta

from betting.protocol import NAMESPACE
from guichet.clock import utcnow
from server.services import fleet, races
from server.services.programme_import import parse_programme
from server.web.app import create_app
from tests.server_store import committed

from .socket_client import in_process_client


def one_race(day: str, post_time: str, name: str, runners: int,
             bet_types: dict[str, int]) -> dict:
    """A programme of race R1C1 at Vincennes: `runners` horses, `bet_types` code ->
    base stake in cents."""
    return {"format": "guichet-programme", "version": 1, "date": day, "meetings": [
        {"number": 1, "venue": "VINCENNES", "races": [
            {"number": 1, "name": name, "post_time": post_time,
             "runners": [{"number": n, "name": f"CHEVAL {n}"} for n in range(1, runners + 1)],
             "bet_types": [{"bet_type": code, "base_stake_cents": cents}
                           for code, cents in bet_types.items()]}]}]}


class World:
    """A server app on `db_url` with one race an hour ahead and one enrolled terminal."""

    def __init__(self, db_url: str, name: str, runners: int, bet_types: dict[str, int]) -> None:
        self.app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
        self.store = self.app.extensions["guichet.store"]
        now = utcnow()
        post = (now + timedelta(hours=1)).replace(microsecond=0)
        self.race = f"{now.date().isoformat()}/R1C1"
        with committed(self.store) as db:
            races.import_races(db, parse_programme(one_race(
                now.date().isoformat(), post.isoformat().replace("+00:00", "Z"),
                name, runners, bet_types)))
            code = fleet.create_enrolment_code(db, "Bar A", now)["code"]
            got = fleet.enrol(db, code, now)
            self.terminal = (got["terminal_id"], bytes.fromhex(got["key"]))
            self.token = fleet.create_admin_token(db, now)
        self.http = self.app.test_client()
        self.seq = 0

    def client(self):
        return in_process_client(self.app, *self.terminal)

    def bet(self, bet_type: str, selections: list[int], stake: int) -> dict:
        """A unitaire bet of one unit at `stake` cents."""
        self.seq += 1
        return {"uuid": str(uuidlib.uuid4()), "seq": self.seq,
                "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
                "race": self.race, "bet_type": bet_type, "formula": "UNITAIRE",
                "selections": selections, "bases": [], "unit_stake_cents": stake,
                "total_cents": stake, "offline": False}

    def close_race(self) -> None:
        """Close the race's pools now, as the off would."""
        with committed(self.store) as db:
            races.close_race(db, self.race, utcnow())

    def admin(self, method: str, path: str, body: object = None):
        answer = self.http.open(path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code, answer.get_json()


def ask(client, event: str, payload: object) -> dict:
    return client.emit(event, payload, namespace=NAMESPACE, callback=True)
