"""The till: a shift opened with a float, cash put in or taken out, X and Z reports.

`Till` alone writes `till_shifts`, `till_cash` and `till_reports`. Its figures are
computed from the records each time, never kept as running counters:

- sales: bets of this terminal created in the window that have a ticket (accepted
  online, or provisional offline: the customer paid for them), per payment kind;
  a provisional ticket the server refused later stays a sale, the stake handed
  back is a refund;
- cancellations, payouts, refunds: the ticket operations journal (`ticket_ops`,
  answered `ok` in the window); a payment is a refund when its ticket is a
  provisional bet of this terminal that the server refused, a payout otherwise;
- cash in and out: this shift's own movements.

expected_cents = float + cash sales − cancellations of cash sales − payouts
                 − refunds + cash in − cash out

Card sales are shown but never in the drawer (a cancelled card sale goes back to
the card). docs/operations.md ("The till") tells the shopkeeper the same.

The Z report also compares the terminal's figures for the Paris day with the
central server's own (`till_ledger`, docs/protocol.md), or says the comparison
is pending when the server cannot be reached.
"""
from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta, timezone

from betting.errors import BettingError
from betting.money import format_euros
from betting.programme import iso_utc, parse_utc
from betting.states import OpResult, OutboxState
from device_drivers.errors import DeviceError

from ..adapters.database import Database, now_iso
from ..adapters.link import Link
from ..adapters.settings import Settings
from ..adapters.shop_devices import Devices
from ..adapters.sync import ServerUnavailable
from .wording import PARIS, local_datetime

log = logging.getLogger("guichet.terminal.till")

MAX_AMOUNT_CENTS = 100_000_000   # 1 000 000,00 €: any float, count or movement
MAX_REASON = 200
LEDGER_TIMEOUT_S = 5.0
LEDGER_FIGURES = ("sales", "cancellations", "payouts", "refunds")
FIGURE_KEYS = ("sales_cents", "sales_count", "sales_cash_cents", "sales_cash_count",
               "sales_card_cents", "sales_card_count", "cancellations_cents",
               "cancellations_count", "cancellations_cash_cents", "cancellations_card_cents",
               "payouts_cents", "payouts_count", "refunds_cents", "refunds_count")


class TillError(BettingError):
    """A refused till operation; `status` is the HTTP status the edges answer."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def amount(value: object, name: str) -> int:
    """Integer cents from 0 to 1 000 000,00 €, or TillError."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 0 <= value <= MAX_AMOUNT_CENTS:
        raise TillError("bad_amount", f"Montant invalide ({name}) : de 0 à "
                        f"{format_euros(MAX_AMOUNT_CENTS)}, en centimes entiers.")
    return value


def day_bounds(day: date) -> tuple[str, str]:
    """The UTC instants (ISO, as stored) a Paris calendar day runs between."""
    zone = PARIS or timezone.utc
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return iso_utc(start), iso_utc(end)


def paris_day(moment_iso: str) -> date:
    moment = parse_utc(moment_iso)
    return moment.astimezone(PARIS).date() if PARIS else moment.date()


class Till:
    def __init__(self, database: Database, settings: Settings, devices: Devices,
                 link: Link) -> None:
        self._db, self._settings, self._devices, self._link = database, settings, devices, link

    # -- the shift --------------------------------------------------------------
    def _open_shift(self) -> dict | None:
        rows = self._db.query("SELECT id, opened_at, opened_by, float_cents FROM till_shifts "
                              "WHERE closed_at IS NULL")
        return dict(zip(("id", "opened_at", "opened_by", "float_cents"), rows[0])) if rows \
            else None

    def _require_open(self) -> dict:
        shift = self._open_shift()
        if shift is None:
            raise TillError("no_open_shift", "Aucune caisse ouverte : ouvrez la caisse avec son "
                                             "fond de caisse.", 409)
        return shift

    def open(self, float_cents: object, clerk: str | None = None) -> dict:
        float_cents = amount(float_cents, "fond de caisse")
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM till_shifts WHERE closed_at IS NULL").fetchone():
                raise TillError("shift_open", "La caisse est déjà ouverte : fermez-la (rapport Z) "
                                              "avant d'en ouvrir une autre.", 409)
            conn.execute("INSERT INTO till_shifts (opened_at, opened_by, float_cents) "
                         "VALUES (?, ?, ?)", (now_iso(), clerk, float_cents))
        log.info("till opened with a float of %s cents by %s", float_cents, clerk or "-")
        return self.state()

    def cash(self, kind: object, amount_cents: object, reason: object,
             clerk: str | None = None) -> dict:
        if kind not in ("in", "out"):
            raise TillError("bad_kind", "Mouvement inconnu : « in » (apport) ou « out » (retrait).")
        cents = amount(amount_cents, "mouvement")
        if cents == 0:
            raise TillError("bad_amount", "Montant invalide : un mouvement n'est jamais nul.")
        text = reason.strip() if isinstance(reason, str) else ""
        if not text or len(text) > MAX_REASON or not text.isprintable():
            raise TillError("bad_reason", f"Motif obligatoire : 1 à {MAX_REASON} caractères.")
        shift = self._require_open()
        self._db.write("INSERT INTO till_cash (shift_id, at, kind, amount_cents, reason, clerk) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (shift["id"], now_iso(), kind, cents, text, clerk))
        self._devices.kick_drawer("cash " + kind)
        return self.state()

    def state(self) -> dict:
        """`GET /api/till`: the open shift's figures (all zero when none is open)."""
        shift = self._open_shift()
        if shift is None:
            return {"open": False, "shift": None, "opened_at": None, "opened_by": None,
                    **self._figures(None, None, None, 0), "movements": []}
        return {"open": True, "shift": shift["id"], "opened_at": shift["opened_at"],
                "opened_by": shift["opened_by"],
                **self._figures(shift["id"], shift["opened_at"], None, shift["float_cents"]),
                "movements": self._movements(shift["id"])}

    def _movements(self, shift_id: int) -> list[dict]:
        rows = self._db.query("SELECT at, kind, amount_cents, reason, clerk FROM till_cash "
                              "WHERE shift_id = ? ORDER BY id", [shift_id])
        return [dict(zip(("at", "kind", "amount_cents", "reason", "clerk"), r)) for r in rows]

    # -- figures from the records ------------------------------------------------
    def figures(self, start: str, end: str | None) -> dict:
        """Sales, cancellations, payouts and refunds between two instants (ISO UTC)."""
        end = end or "9999"
        sales = self._db.query(
            "SELECT payment, COUNT(*), COALESCE(SUM(total_cents), 0) FROM outbox "
            "WHERE created_at >= ? AND created_at < ? AND ticket IS NOT NULL AND status != ? "
            "GROUP BY payment", [start, end, OutboxState.CORRUPT])
        by_kind = {p: (n, c) for p, n, c in sales}
        grouped = self._db.query(
            "SELECT CASE WHEN o.op = 'pay' AND b.offline = 1 AND b.status = ? THEN 'refund' "
            "            ELSE o.op END AS kind, COUNT(*), COALESCE(SUM(o.amount_cents), 0), "
            "       COALESCE(SUM(CASE WHEN b.payment = 'card' THEN o.amount_cents END), 0) "
            "FROM ticket_ops o LEFT JOIN outbox b ON b.ticket = o.ticket "
            "WHERE o.result = ? AND o.answered_at >= ? AND o.answered_at < ? "
            "  AND o.op IN ('cancel', 'pay') GROUP BY kind",
            [OutboxState.REJECTED, OpResult.OK, start, end])
        got = {kind: (n, c, card) for kind, n, c, card in grouped}
        cash_n, cash_c = by_kind.get("cash", (0, 0))
        card_n, card_c = by_kind.get("card", (0, 0))
        cancel_n, cancel_c, cancel_card = got.get("cancel", (0, 0, 0))
        pay_n, pay_c, _ = got.get("pay", (0, 0, 0))
        refund_n, refund_c, _ = got.get("refund", (0, 0, 0))
        return {
            "sales_cents": cash_c + card_c, "sales_count": cash_n + card_n,
            "sales_cash_cents": cash_c, "sales_cash_count": cash_n,
            "sales_card_cents": card_c, "sales_card_count": card_n,
            "cancellations_cents": cancel_c, "cancellations_count": cancel_n,
            "cancellations_cash_cents": cancel_c - cancel_card,
            "cancellations_card_cents": cancel_card,
            "payouts_cents": pay_c, "payouts_count": pay_n,
            "refunds_cents": refund_c, "refunds_count": refund_n,
        }

    def _figures(self, shift_id: int | None, start: str | None, end: str | None,
                 float_cents: int) -> dict:
        out = self.figures(start, end) if shift_id is not None else None
        if out is None:  # no shift: every figure 0
            return dict.fromkeys(("float_cents", *FIGURE_KEYS, "cash_in_cents",
                                  "cash_out_cents", "expected_cents"), 0)
        moved = dict(self._db.query("SELECT kind, COALESCE(SUM(amount_cents), 0) FROM till_cash "
                                    "WHERE shift_id = ? GROUP BY kind", [shift_id]))
        cash_in, cash_out = moved.get("in", 0), moved.get("out", 0)
        expected = (float_cents + out["sales_cash_cents"] - out["cancellations_cash_cents"]
                    - out["payouts_cents"] - out["refunds_cents"] + cash_in - cash_out)
        return {"float_cents": float_cents, **out, "cash_in_cents": cash_in,
                "cash_out_cents": cash_out, "expected_cents": expected}

    # -- reports ----------------------------------------------------------------
    def x_report(self, clerk: str | None = None) -> dict:
        """The running figures, kept and printed; the shift stays open."""
        shift = self._require_open()
        report = {**self.state(), "kind": "X", "at": now_iso(), "clerk": clerk}
        return self._keep(shift["id"], report, None)

    def close(self, counted_cents: object, clerk: str | None = None) -> dict:
        """Close the shift on the counted cash: the Z report, kept, compared, printed."""
        counted = amount(counted_cents, "montant compté")
        with self._db.transaction() as conn:
            shift = self._require_open()
            closed_at = now_iso()
            report = {"open": False, "shift": shift["id"], "opened_at": shift["opened_at"],
                      "opened_by": shift["opened_by"], "closed_at": closed_at,
                      # everything recorded up to now (times are to the second: a bound
                      # at `closed_at` would leave out this very second's sales)
                      **self._figures(shift["id"], shift["opened_at"], None,
                                      shift["float_cents"]),
                      "movements": self._movements(shift["id"])}
            report.update(kind="Z", at=closed_at, clerk=clerk, counted_cents=counted,
                          difference_cents=counted - report["expected_cents"])
            conn.execute("UPDATE till_shifts SET closed_at = ?, closed_by = ?, counted_cents = ? "
                         "WHERE id = ? AND closed_at IS NULL",
                         (closed_at, clerk, counted, shift["id"]))
        log.info("till closed: expected %s, counted %s cents", report["expected_cents"], counted)
        ledger = self._compare(report)
        self._link.send_z_report(report, ledger)  # to the server now, or once back online
        return self._keep(shift["id"], report, ledger)

    def _keep(self, shift_id: int, report: dict, ledger: dict | None) -> dict:
        report_id = self._db.write(
            "INSERT INTO till_reports (shift_id, kind, at, clerk, report, ledger) "
            "VALUES (?, ?, ?, ?, ?, ?)", (shift_id, report["kind"], report["at"],
                                         report["clerk"], json.dumps(report),
                                         json.dumps(ledger) if ledger else None))
        return self.print_report(report_id)

    def report(self, report_id: int) -> dict | None:
        rows = self._db.query("SELECT report, ledger, print_error FROM till_reports "
                              "WHERE id = ?", [report_id])
        if not rows:
            return None
        report = json.loads(rows[0][0])
        report["id"] = report_id
        report["ledger"] = json.loads(rows[0][1]) if rows[0][1] else None
        report["print_error"] = rows[0][2]
        return report

    def reports(self, kind: str = "Z", limit: int = 30) -> list[dict]:
        rows = self._db.query("SELECT id FROM till_reports WHERE kind = ? ORDER BY id DESC "
                              "LIMIT ?", [kind, limit])
        return [self.report(r[0]) for r in rows]

    def print_report(self, report_id: int) -> dict:
        """Print a kept report (again); the report with `print_error` if the printer refused."""
        report = self.report(report_id)
        if report is None:
            raise TillError("unknown_report", "Rapport inconnu.", 404)
        if report["kind"] == "Z" and report["ledger"] and report["ledger"].get("pending"):
            ledger = self._compare(report)
            if not ledger.get("pending"):
                self._db.write("UPDATE till_reports SET ledger = ? WHERE id = ?",
                               (json.dumps(ledger), report_id))
                report["ledger"] = ledger
        error = self._print(report)
        self._db.write("UPDATE till_reports SET print_error = ? WHERE id = ?", (error, report_id))
        report["print_error"] = error
        return report

    def _print(self, report: dict) -> str | None:
        devices = self._devices
        if devices.printer is None:
            return devices.printer_error or "Pas d'imprimante configurée."
        title = f"RAPPORT {report['kind']}"
        try:
            with devices.print_lock:
                devices.printer.print_lines(title, report_lines(
                    report, self._settings.get("terminal_id") or "",
                    self._settings.get("outlet") or ""))
        except DeviceError as exc:
            log.warning("till report not printed: %s", exc.code)
            return exc.message
        return None

    # -- the central ledger -------------------------------------------------------
    def _compare(self, report: dict) -> dict:
        """The server's figures for this terminal and the shift's Paris day, and ours."""
        day = paris_day(report["opened_at"])
        start, end = day_bounds(day)
        ours = self.figures(start, end)
        local = {f"{k}_{s}": ours[f"{k}_{s}"] for k in LEDGER_FIGURES for s in ("cents", "count")}
        try:
            ack = self._link.request("till_ledger", {"day": day.isoformat()}, LEDGER_TIMEOUT_S)
        except ServerUnavailable as exc:
            return {"day": day.isoformat(), "pending": True, "reason": exc.code, "local": local}
        if not isinstance(ack, dict) or not ack.get("ok"):
            return {"day": day.isoformat(), "pending": True,
                    "reason": str((ack or {}).get("error", "refused"))[:40], "local": local}
        server = {}
        for key in local:
            value = ack.get(key)
            server[key] = value if isinstance(value, int) and not isinstance(value, bool) else 0
        differences = {key: local[key] - server[key] for key in local if local[key] != server[key]}
        return {"day": day.isoformat(), "pending": False, "local": local, "server": server,
                "differences": differences}


FIGURE_LABELS = {"sales": "Ventes", "cancellations": "Annulations", "payouts": "Paiements",
                 "refunds": "Remboursements"}


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def ledger_lines(ledger: dict | None) -> list[str]:
    """The comparison with the central server, in the shopkeeper's words."""
    if not ledger:
        return []
    if ledger.get("pending"):
        return [f"Comparaison avec le central ({ledger['day']}) : en attente (serveur "
                "central injoignable)."]
    if not ledger.get("differences"):
        return [f"Central ({ledger['day']}) : concorde au centime près."]
    out = []
    for key, diff in sorted(ledger["differences"].items()):
        name, _, unit = key.rpartition("_")
        label = FIGURE_LABELS.get(name, name)
        shown = format_euros(diff) if unit == "cents" else f"{diff:+d} opération(s)"
        out.append(f"Écart avec le central : {label} {shown} "
                   f"(terminal {_figure(ledger['local'][key], unit)}, "
                   f"central {_figure(ledger['server'][key], unit)})")
    return out


def _figure(value: int, unit: str) -> str:
    return format_euros(value) if unit == "cents" else str(value)


def report_lines(report: dict, terminal_id: str, outlet: str) -> list[str]:
    """The report as printed: figures in euros, times in Paris time, no barcode."""
    def when(iso: str | None) -> str:
        return local_datetime(parse_utc(iso)) if iso else "-"

    e = format_euros
    lines = [f"Terminal {terminal_id}" + (f" - {outlet}" if outlet else ""),
             f"Ouverture : {when(report.get('opened_at'))}"
             + (f" ({report['opened_by']})" if report.get("opened_by") else ""),
             f"Édité le : {when(report.get('at'))} (heure de Paris)"]
    if report.get("clerk"):
        lines.append(f"Par : {report['clerk']}")
    lines += [
        "",
        f"Fond de caisse : {e(report['float_cents'])}",
        f"Ventes : {e(report['sales_cents'])} ({_count(report['sales_count'], 'pari')})",
        f"  dont espèces : {e(report['sales_cash_cents'])}",
        f"  dont carte : {e(report['sales_card_cents'])}",
        f"Annulations : {e(report['cancellations_cents'])} "
        f"({_count(report['cancellations_count'], 'pari')})",
        f"  dont espèces : {e(report['cancellations_cash_cents'])}",
        f"Paiements : {e(report['payouts_cents'])} "
        f"({_count(report['payouts_count'], 'ticket')})",
        f"Remboursements : {e(report['refunds_cents'])} "
        f"({_count(report['refunds_count'], 'ticket')})",
        f"Apports : {e(report['cash_in_cents'])}",
        f"Retraits : {e(report['cash_out_cents'])}",
        f"Attendu en caisse : {e(report['expected_cents'])}",
    ]
    if report["kind"] == "Z":
        lines += [f"Compté : {e(report['counted_cents'])}",
                  f"Écart de caisse : {e(report['difference_cents'])}"]
        lines += ledger_lines(report.get("ledger"))
    return lines
