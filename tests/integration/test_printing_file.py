"""A `file:` printer that cannot be reached holds the sale; counted in the bytes it wrote,
the ticket comes out once however often it is retried, and a reprint says DUPLICATA."""
from __future__ import annotations

import json

from device_drivers.escpos_decode import decode, split_jobs

from ..devices_support import sell, start_device_terminal


def jobs_with(path, ticket: str) -> list:
    if not path.exists():
        return []
    decoded = [decode(job) for job in split_jobs(path.read_bytes())]
    return [job for job in decoded if ticket in [b.payload for b in job.barcodes]]


def test_unreachable_file_printer_holds_the_sale_then_prints_one_ticket(workdir, server, programme):
    spool = workdir / "spool" / "tickets.bin"                      # its folder does not exist yet
    term = start_device_terminal(workdir, server, "fileprinter", printer=f"file:{spool}")
    try:
        race = f"{json.loads(programme.read_text())['date']}/R1C1"
        printer = term.status()["printer"]
        assert printer["state"] == "offline" and "inaccessible" in printer["message"]

        status, bet = sell(term, race, horse=1)
        assert status == 201 and bet["held"] is True and "hors ligne" in bet["print_error"]
        for _ in range(2):                                          # retries while still broken
            assert term.api("POST", f"/api/bets/{bet['uuid']}/print")[1]["printed"] is False

        spool.parent.mkdir()
        for _ in range(3):                                          # fixed: retried three times
            assert term.api("POST", f"/api/bets/{bet['uuid']}/print")[1]["printed"] is True
        assert len(jobs_with(spool, bet["ticket"])) == 1

        status, again = term.api("POST", f"/api/bets/{bet['uuid']}/print", {"reprint": True})
        assert status == 200 and again["ok"] is True
        original, duplicate = jobs_with(spool, bet["ticket"])
        assert "DUPLICATA" not in original.text
        assert duplicate.lines[0].strip() == "DUPLICATA" and "DUPLICATA" in duplicate.lines[-1]
    finally:
        term.proc.stop()
