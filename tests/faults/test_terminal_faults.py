"""Faults inside the shop: the offline rule's limits, a full disk, a damaged outbox."""
from __future__ import annotations

import sqlite3
import subprocess
import urllib.request

import pytest

from ..helpers import restart_terminal, start_terminal
from .ledger import outbox, wait_drained
from .test_link_faults import late_race, races, sell, wait_offline


def test_offline_sales_respect_the_margin_and_the_ceiling(workdir, server, proxy, programme):
    term = start_terminal(workdir, server, "policy", server_url=proxy.url)
    try:
        proxy.cut("reset")
        wait_offline(term)
        soon = races(programme)[0][1]  # 60 minutes ahead: inside the 90-minute margin
        status, answer = sell(term, soon)
        assert status == 422 and answer["reason"] == "offline_too_close"
        assert "90 minutes" in answer["message"]

        race = late_race(programme)
        status, first = sell(term, race, stake=60_000)  # 600 € of the 1,000 € ceiling
        assert status == 201 and first["status"] == "provisional"
        status, answer = sell(term, race, stake=60_000)
        assert status == 422 and answer["reason"] == "offline_ceiling"
        assert "plafond" in answer["message"] and "400,00 €" in answer["message"]
        assert len(outbox(term)) == 1  # refused sales wrote nothing

        proxy.restore()
        wait_drained(term)
        # once the provisional bets are confirmed the ceiling is free again
        assert term.status()["provisional_cents"] == 0
        view = term.api("GET", f"/api/bets/{first['uuid']}")[1]
        assert [a["outcome"] for a in view["attempts"]][-1] == "accepted"
        assert "sent" in [a["outcome"] for a in view["attempts"]]
    finally:
        term.proc.stop()


def test_an_unreadable_outbox_entry_is_set_aside_and_the_rest_drains(workdir, server, proxy, programme):
    term = start_terminal(workdir, server, "damaged", server_url=proxy.url)
    try:
        race = late_race(programme)
        proxy.cut("reset")
        wait_offline(term)
        bets = [sell(term, race, horse=h)[1] for h in (1, 2, 3)]
        assert all(b["status"] == "provisional" for b in bets)
        term.proc.stop()
        with sqlite3.connect(term.data / "terminal.db") as db:  # a torn write, say
            db.execute("UPDATE outbox SET selections = '[2, ' WHERE uuid = ?", (bets[1]["uuid"],))
        proxy.restore()
        restart_terminal(workdir, term)
        wait_drained(term)
        status = term.status()
        assert status["corrupt"] == 1
        states = {r["uuid"]: r["status"] for r in outbox(term)}
        assert states[bets[0]["uuid"]] == "accepted" and states[bets[2]["uuid"]] == "accepted"
        assert states[bets[1]["uuid"]] == "corrupt"
        # the counter page still lists the other bets
        with urllib.request.urlopen(term.url + "/", timeout=10) as page:
            assert page.status == 200 and "illisibles" in page.read().decode()
        # the operator sees the missing sequence number
        gaps = server.api("GET", f"/api/terminals/{term.terminal_id}/gaps")[1]["gaps"]
        assert [bets[1]["seq"], bets[1]["seq"]] in gaps
    finally:
        term.proc.stop()


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("needs root to mount a small tmpfs: " + done.stderr.decode()[:80])
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_refuses_the_sale_and_prints_nothing(tmp_path, server, programme, tiny_disk):
    tickets = tmp_path / "tickets.bin"
    term = start_terminal(tiny_disk, server, "full", printer=f"file:{tickets}")
    try:
        race = late_race(programme)
        assert sell(term, race)[0] == 201
        printed = tickets.stat().st_size
        queued = len(outbox(term))
        filler = tiny_disk / "filler"
        with open(filler, "wb") as f:  # take every byte left
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        for _ in range(3):
            status, answer = sell(term, race, horse=2)
            assert status == 422, answer
            assert answer["reason"] == "storage_full"
            assert "plein" in answer["message"] and "rien n'est imprimé" in answer["message"]
        assert tickets.stat().st_size == printed
        filler.unlink()
        assert len(outbox(term)) == queued
        status, bet = sell(term, race, horse=3)  # room again: selling resumes
        assert status == 201 and bet["status"] == "accepted"
    finally:
        term.proc.stop()
