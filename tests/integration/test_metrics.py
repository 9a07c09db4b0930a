"""/metrics: what moves the figures, who may read them, and several processes
summed into one scrape. In-process on a fresh store, except the multiprocess
test, which needs processes of its own."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import uuid as uuidlib
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from betting.protocol import NAMESPACE, connect_signature
from server.config import ConfigError
from server.services import fleet, races
from server.services.programme_import import parse_programme, sample_programme
from server.web.app import create_app
from server.web.metrics import of
from server.web.socket_ns import push_programme
from guichet.clock import utcnow
from tests.integration.socket_client import fresh_ts
from tests.server_store import committed

TOKEN = "scrape-token-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]


def make_app(tmp_path, name="s.db", **config):
    app = create_app({"DB": str(tmp_path / name), "AUTO_CLOSE_INTERVAL_S": 0,
                      "METRICS_TOKEN": TOKEN, **config})
    app.testing = True
    return app


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


def enrol(app) -> tuple[str, bytes]:
    with committed(app.extensions["guichet.store"]) as db:
        code = fleet.create_enrolment_code(db, "Bar des mesures", utcnow())["code"]
        done = fleet.enrol(db, code, utcnow())
    return done["terminal_id"], bytes.fromhex(done["key"])


def connect(app, terminal_id, key):
    ts = fresh_ts(terminal_id)
    auth = {"terminal_id": terminal_id, "ts": ts, "sig": connect_signature(terminal_id, ts, key)}
    client = app.extensions["socketio"].test_client(app, namespace=NAMESPACE, auth=auth)
    assert client.is_connected(NAMESPACE)
    return client


def call(client, event, payload):
    return client.emit(event, payload, namespace=NAMESPACE, callback=True)


def scrape(app) -> dict[tuple[str, tuple], float]:
    """Every sample of one /metrics answer, by (name, sorted labels)."""
    response = app.test_client().get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.data
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples, name, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


# -- who may read ---------------------------------------------------------

def test_no_metrics_route_without_a_token(tmp_path):
    app = create_app({"DB": str(tmp_path / "s.db"), "AUTO_CLOSE_INTERVAL_S": 0})
    assert app.test_client().get("/metrics").status_code == 404
    assert "guichet.metrics" in app.extensions  # still measured, only not served


def test_metrics_need_the_scrape_token(app):
    http = app.test_client()
    refused = http.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert http.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    answer = http.get("/metrics", headers=SCRAPE)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert TOKEN not in answer.get_data(as_text=True)


def test_a_short_token_stops_the_start(tmp_path):
    with pytest.raises(ConfigError, match="GUICHET_METRICS_TOKEN") as refused:
        make_app(tmp_path, METRICS_TOKEN="short")
    assert "short" not in str(refused.value)  # a credential is never echoed


def test_openmetrics_when_the_scraper_asks(app):
    answer = app.test_client().get("/metrics", headers={
        **SCRAPE, "Accept": "application/openmetrics-text; version=1.0.0"})
    assert answer.headers["Content-Type"].startswith("application/openmetrics-text")
    assert answer.get_data(as_text=True).endswith("# EOF\n")


# -- what moves the figures -------------------------------------------------

def test_connect_and_disconnect_move_the_connected_gauge(app):
    assert value(scrape(app), "guichet_terminals_connected") == 0
    first, second = connect(app, *enrol(app)), connect(app, *enrol(app))
    assert value(scrape(app), "guichet_terminals_connected") == 2
    first.disconnect(namespace=NAMESPACE)
    assert value(scrape(app), "guichet_terminals_connected") == 1
    second.disconnect(namespace=NAMESPACE)
    assert value(scrape(app), "guichet_terminals_connected") == 0


def test_a_replaced_connection_counts_once(app):
    terminal = enrol(app)
    connect(app, *terminal)
    connect(app, *terminal)  # the first socket is told `replaced` and dropped
    samples = scrape(app)
    assert value(samples, "guichet_terminals_connected") == 1
    assert value(samples, "guichet_pushes_total", event="replaced") == 1


def test_heartbeat_depths_land_in_the_histogram_and_the_sum(app):
    a, b = connect(app, *enrol(app)), connect(app, *enrol(app))
    assert call(a, "heartbeat", {"queue_depth": 3})["ok"] is True
    assert call(b, "heartbeat", {"queue_depth": 70})["ok"] is True
    assert call(a, "heartbeat", {"queue_depth": 4})["ok"] is True  # replaces a's 3 in the sum
    assert call(b, "heartbeat", {"queue_depth": "many"})["ok"] is True  # not a depth: ignored
    samples = scrape(app)
    assert value(samples, "guichet_outbox_depth_count") == 3
    assert value(samples, "guichet_outbox_depth_sum") == 77
    assert value(samples, "guichet_outbox_depth_bucket", le="5.0") == 2
    assert value(samples, "guichet_outbox_depth_bucket", le="50.0") == 2
    assert value(samples, "guichet_outbox_depth_bucket", le="100.0") == 3
    assert value(samples, "guichet_outbox_bets_waiting") == 74
    b.disconnect(namespace=NAMESPACE)  # its outbox is no longer this process's to report
    assert value(scrape(app), "guichet_outbox_bets_waiting") == 4


def test_pushes_are_counted_by_event(app):
    admin = {"Authorization": "Bearer " + _admin_token(app)}
    terminal_id, key = enrol(app)
    connect(app, terminal_id, key)
    push_programme(app.extensions["socketio"], 7)
    push_programme(app.extensions["socketio"], 8)
    http = app.test_client()
    assert http.post(f"/api/terminals/{terminal_id}/disable", headers=admin).status_code == 200
    samples = scrape(app)
    assert value(samples, "guichet_pushes_total", event="programme") == 2
    assert value(samples, "guichet_pushes_total", event="disabled") == 1
    assert value(samples, "guichet_terminals_connected") == 0


def test_bet_answers_are_counted_with_bounded_labels(app):
    measured = app.extensions["guichet.metrics"]
    measured.bet_decided("accepted")
    measured.bet_decided("rejected", "pool_closed")
    measured.bet_decided("rejected", "Évidemment pas un code")  # never a new series
    measured.ack_latency(0.004)
    measured.commit(50, 0.02)
    samples = scrape(app)
    assert value(samples, "guichet_bets_total", status="accepted") == 1
    assert value(samples, "guichet_bets_total", status="rejected") == 2
    assert value(samples, "guichet_bets_rejected_total", reason="pool_closed") == 1
    assert value(samples, "guichet_bets_rejected_total", reason="other") == 1
    assert value(samples, "guichet_bet_ack_seconds_bucket", le="0.005") == 1
    assert value(samples, "guichet_bet_ack_seconds_bucket", le="0.0025") == 0
    assert value(samples, "guichet_commit_bets_bucket", le="50.0") == 1
    assert value(samples, "guichet_commit_bets_bucket", le="20.0") == 0
    assert value(samples, "guichet_commit_seconds_count") == 1


def test_two_apps_in_one_process_keep_their_own_figures(app, tmp_path):
    other = make_app(tmp_path, "other.db")
    connect(app, *enrol(app))
    of(app.extensions["socketio"]).watch_owner(True)
    assert value(scrape(app), "guichet_terminals_connected") == 1
    assert value(scrape(app), "guichet_watch_owner") == 1
    assert value(scrape(other), "guichet_terminals_connected") == 0
    assert value(scrape(other), "guichet_watch_owner") == 0


def test_bet_log_lines_carry_the_terminal_and_the_bet(app, caplog):
    """INFO per rejected bet, DEBUG only per accepted one (2,000 a second at the peak)."""
    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(hours=1))
    with committed(app.extensions["guichet.store"]) as db:
        races.import_races(db, parse_programme(doc))
    terminal_id, key = enrol(app)
    client = connect(app, terminal_id, key)
    good, late = _bet(f"{doc['date']}/R1C1", 1), _bet(f"{doc['date']}/R9C9", 2)
    with caplog.at_level(logging.INFO, logger="guichet.server"):
        ack = call(client, "place_bets", {"bets": [good, late]})
    assert [r["status"] for r in ack["results"]] == ["accepted", "rejected"]
    about_bets = [r for r in caplog.records if getattr(r, "bet_uuid", None)]
    assert [(r.levelname, r.terminal_id, r.bet_uuid, r.reason) for r in about_bets] == [
        ("INFO", terminal_id, late["uuid"], "unknown_race")]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="guichet.server"):
        call(client, "place_bets", {"bets": [_bet(f"{doc['date']}/R1C1", 3)]})
    assert [(r.levelname, r.status) for r in caplog.records
            if getattr(r, "bet_uuid", None)] == [("DEBUG", "accepted")]


def _bet(race: str, seq: int) -> dict:
    return {"uuid": str(uuidlib.uuid4()), "seq": seq,
            "placed_at": utcnow().isoformat().replace("+00:00", "Z"), "race": race,
            "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE", "selections": [3], "bases": [],
            "unit_stake_cents": 300, "total_cents": 300, "offline": False}


def _admin_token(app) -> str:
    with committed(app.extensions["guichet.store"]) as db:
        return fleet.create_admin_token(db, utcnow())


# -- several processes -----------------------------------------------------

WORKER = textwrap.dedent("""
    import json, os, sys
    from server.web.app import create_app
    app = create_app({"DB": sys.argv[1], "AUTO_CLOSE_INTERVAL_S": 0, "METRICS_TOKEN": sys.argv[2]})
    measured = app.extensions["guichet.metrics"]
    measured.terminals_connected(int(sys.argv[3]))
    measured.watch_owner(sys.argv[4] == "owner")
    measured.bet_decided("accepted")
    text = ""
    if sys.argv[5] == "scrape":
        scrape = {"Authorization": "Bearer " + sys.argv[2]}
        answer = app.test_client().get("/metrics", headers=scrape)
        text = answer.get_data(as_text=True)
    print(json.dumps({"pid": os.getpid(), "metrics": text}))
""")


def _worker(tmp_path, folder, connected, role, action) -> dict:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(folder), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path / "s.db"), TOKEN,
                           str(connected), role, action],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_several_processes_are_summed_and_a_dead_one_leaves_the_gauges(tmp_path):
    from guichet import gunicorn_conf

    folder = tmp_path / "prom"
    folder.mkdir()
    first = _worker(tmp_path, folder, 3, "owner", "stay")
    second = _worker(tmp_path, folder, 2, "follower", "scrape")
    samples = parse(second["metrics"])
    assert value(samples, "guichet_terminals_connected") == 5
    assert value(samples, "guichet_watch_owner") == 1
    assert value(samples, "guichet_bets_total", status="accepted") == 2

    # gunicorn's master calls child_exit when a worker ends
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    try:
        gunicorn_conf.child_exit(None, type("Worker", (), {"pid": first["pid"]})())
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    third = _worker(tmp_path, folder, 0, "follower", "scrape")
    samples = parse(third["metrics"])
    # the dead worker's gauges are gone, the second's remain (it did not get
    # child_exit); counters never go backwards
    assert value(samples, "guichet_terminals_connected") == 2
    assert value(samples, "guichet_watch_owner") == 0
    assert value(samples, "guichet_bets_total", status="accepted") == 3


def test_a_missing_multiprocess_folder_stops_the_start(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "absent"),
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path / "s.db"), TOKEN,
                           "0", "follower", "stay"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR" in done.stderr and "is not a folder" in done.stderr


# -- the log format the server process starts with -----------------------------

LOG_ONE_LINE = ("import logging, server.web.wsgi; logging.getLogger('guichet.server').info("
                "'bet rejected', extra={'terminal_id': 'T1', 'bet_uuid': 'u1'})")


def _start_wsgi(tmp_path, log_format: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, GUICHET_DB=str(tmp_path / "s.db"), GUICHET_LOG_FORMAT=log_format,
               GUICHET_AUTO_CLOSE_INTERVAL_S="0", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", LOG_ONE_LINE], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_server_logs_json_lines_when_asked(tmp_path):
    done = _start_wsgi(tmp_path, "json")
    assert done.returncode == 0, done.stderr
    entry = json.loads(done.stderr.strip().splitlines()[-1])
    assert (entry["message"], entry["terminal_id"], entry["bet_uuid"]) == (
        "bet rejected", "T1", "u1")


def test_an_unknown_log_format_stops_the_start(tmp_path):
    done = _start_wsgi(tmp_path, "xml")
    assert done.returncode != 0
    assert "GUICHET_LOG_FORMAT: expected one of plain, json, got 'xml'" in done.stderr
