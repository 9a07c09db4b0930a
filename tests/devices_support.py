"""Terminals with chosen devices, and the diagnostics API the device tests drive them by.

`start_device_terminal` is `helpers.start_terminal` with any device options
(`--scanner`, `--drawer`, …); the sim printer lives in the terminal process, so
tests reach it through `/api/diagnostics` (faults, jobs, drawer kicks).
"""
from __future__ import annotations

from pathlib import Path

from .helpers import Server, Terminal, http_json, start_terminal, wait_until


def start_device_terminal(tmp: Path, server: Server, name: str, printer: str = "sim:",
                          args: list[str] | None = None, wait_online: bool = True) -> Terminal:
    return start_terminal(tmp, server, name, printer=printer, args=args, wait_online=wait_online)


def diagnostics(term: Terminal) -> dict:
    status, answer = term.api("GET", "/api/diagnostics")
    assert status == 200, answer
    return answer


def set_fault(term: Terminal, fault: str, during_next_job: bool = False) -> dict:
    status, answer = term.api("POST", "/api/diagnostics/printer-fault",
                              {"fault": fault, "during_next_job": during_next_job})
    assert status == 200, answer
    return answer


def sim_jobs(term: Terminal, job_id: str | None = None) -> list[dict]:
    """What the terminal's sim printer printed (the last 50 jobs), for one job id if given."""
    jobs = diagnostics(term)["simulator"]["jobs"]
    return [j for j in jobs if job_id is None or j["job_id"] == job_id]


def drawer_kicks(term: Terminal) -> int:
    return diagnostics(term)["simulator"]["drawer_kicks"]


def sell(term: Terminal, race: str, horse: int = 3, stake: int = 200, **extra):
    return term.api("POST", "/api/bets", {
        "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
        "selections": [horse], "bases": [], "unit_stake_cents": stake, **extra})


def prints(term: Terminal, uuid: str) -> list[dict]:
    status, answer = term.api("GET", f"/api/bets/{uuid}/prints")
    assert status == 200, answer
    return answer["prints"]


def scans(term: Terminal, after: int | None = None) -> list[dict]:
    query = f"?after={after}" if after is not None else ""
    status, answer = term.api("GET", "/api/scans" + query)
    assert status == 200, answer
    return answer["scans"]


__all__ = ["start_device_terminal", "diagnostics", "set_fault", "sim_jobs", "drawer_kicks",
           "sell", "prints", "scans", "http_json", "wait_until"]
