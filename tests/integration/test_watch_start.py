"""The watch loop's first pass pushes what was published after the process started:
a result made official in the moment between the start and that pass was once taken
for already pushed, and the terminals never heard of it."""
from __future__ import annotations

import time
from datetime import timedelta

from betting.protocol import NAMESPACE, connect_signature
from guichet.clock import utcnow
from server.services import fleet, races, settlement
from server.services.programme_import import parse_programme, sample_programme
from server.web.app import create_app
from tests.server_store import committed


def test_a_result_published_before_the_first_watch_pass_is_pushed(db_url):
    first = utcnow().replace(microsecond=0) + timedelta(minutes=60)
    programme = parse_programme(sample_programme(first.date(), first, meetings=1,
                                                 races_per_meeting=2))
    # the first pass runs a second after the start: long after the cancellation below
    app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 1.0})
    store = app.extensions["guichet.store"]
    socketio = app.extensions["socketio"]
    with committed(store) as db:
        races.import_races(db, programme)
        code = fleet.create_enrolment_code(db, "Bar des tests", utcnow())["code"]
        enrolled = fleet.enrol(db, code, utcnow())
    terminal_id, key = enrolled["terminal_id"], bytes.fromhex(enrolled["key"])
    ts = int(time.time())
    client = socketio.test_client(app, namespace=NAMESPACE, auth={
        "terminal_id": terminal_id, "ts": ts, "sig": connect_signature(terminal_id, ts, key)})
    assert client.is_connected(NAMESPACE)
    race = programme[0].race_id
    with committed(store) as db:
        settlement.cancel_race(db, race, "Terrain impraticable", utcnow())

    pushed = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not pushed:
        socketio.sleep(0.05)  # lets the watch loop run
        pushed = [e["args"][0] for e in client.get_received(NAMESPACE)
                  if e["name"] == "results" and e["args"][0]["race"] == race]
    assert pushed and pushed[0]["cancelled"] is True and pushed[0]["official"] is True
    client.disconnect(NAMESPACE)
