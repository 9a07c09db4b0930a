"""A scanned or typed ticket: what it is worth, paying it, cancelling it.

The code is checked here first (form and Damm check digit): a misread code is
refused in French before anything is asked of the server. Paying and
cancelling need the server, the one authority that prevents paying twice; when
it cannot be reached the shopkeeper is told so plainly. The drawer opens when
money leaves the till (a payment, a refund).

Named `ticket_desk`, not `tickets`: `betting/tickets.py` means ticket codes and
the server's `payouts` decides what a ticket is worth.
"""
from __future__ import annotations

from dataclasses import dataclass

from betting.catalogue import FORMULA_LABELS
from betting.errors import TICKET_REFUSALS, BettingError, InvalidTicketCode, TicketRefusal
from betting.money import format_euros
from betting.states import OpResult, OutboxState, TicketValue
from betting.tickets import parse_ticket_code
from betting import reports

from ..adapters.shop_devices import Devices
from ..adapters.journals import TicketOps
from ..adapters.link import Link
from ..adapters.outbox import Outbox
from .scans import MAX_RAW
from ..adapters.sync import ServerUnavailable
from .clerks import Clerks
from .wording import formula_label, horses_text, race_short

REQUEST_TIMEOUT_S = 8.0
# -- manager approval (docs/operations.md, "The till") --------------------------------
# Once the terminal has clerks, money handed back on a void, and a payout above this
# amount, need a manager: the logged-in manager, or a manager's PIN.
APPROVAL_THRESHOLD_CENTS = 50_000  # 500,00 €


@dataclass(frozen=True)
class Approval:
    """Who asks for a ticket operation: the clerk logged in (UI), a manager logged in
    (approves by being there), or a manager's PIN typed for this operation."""

    clerk: str | None = None
    manager: str | None = None
    manager_pin: str | None = None

STATUS_LABELS = {
    TicketValue.PENDING: "En attente du résultat de la course.",
    TicketValue.WON: "Gagnant : {amount} à payer.",
    TicketValue.LOST: "Perdant : rien à payer.",
    TicketValue.REFUND: "Remboursement : {amount} à rendre au client.",
    TicketValue.PAID: "Déjà payé ({amount}).",
    TicketValue.CANCELLED: "Pari annulé.",
    TicketValue.REVIEW: "Ticket à faire vérifier par le centre : rien à payer au guichet pour "
                        "l'instant.",
    TicketValue.VOID: "Ticket annulé par le centre après vérification : rien à payer.",
}

# Refusals the server may answer, in the terminal's words (betting/errors.py for the
# ticket refusals); its own French message is used for any other code.
REFUSALS = {
    **{code: cls.default_message for code, cls in TICKET_REFUSALS.items()},
    "pool_closed": "Les paris sont fermés pour cette course : annulation impossible.",
    "bad_mac": "Ticket non reconnu par le serveur central (code falsifié ou mal lu).",
}

OFFLINE = {
    "inquire": "Serveur central injoignable : impossible de vérifier ce ticket pour l'instant. "
               "Réessayez dès le retour de la connexion.",
    "pay": "Serveur central injoignable : le paiement d'un ticket a besoin de lui (c'est lui qui "
           "empêche de payer deux fois). Ne payez pas ; réessayez dès le retour de la connexion.",
    "cancel": "Serveur central injoignable : l'annulation d'un pari a besoin de lui. "
              "Réessayez dès le retour de la connexion.",
}
NO_ANSWER = {
    "inquire": "Le serveur central n'a pas répondu à temps : réessayez.",
    "pay": "Le serveur central n'a pas répondu : paiement non confirmé, ne payez pas. "
           "Réessayez : c'est le même paiement qui sera redemandé, jamais un second.",
    "cancel": "Le serveur central n'a pas répondu : annulation non confirmée. Réessayez.",
}


class TicketRefused(TicketRefusal):
    """A ticket operation refused here or by the server, or left without an
    answer: the code is the server's or the terminal's own."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_code(text: object) -> str:
    """The canonical code, or TicketRefused before anything is asked of anyone."""
    if not isinstance(text, str) or len(text) > MAX_RAW:
        raise TicketRefused("invalid_ticket_code", "Code de ticket invalide : 24 chiffres attendus.")
    try:
        return parse_ticket_code(text).code
    except InvalidTicketCode as exc:
        raise TicketRefused(exc.code, exc.message) from None


def _cents(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _horses(value: object) -> list[int]:
    """Horse numbers from the central's answer, as shown on the card: a list of at most
    20 numbers from 1 to 99, else nothing (the card then shows race and type only)."""
    if not isinstance(value, list) or len(value) > 20:
        return []
    ok = all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 99 for n in value)
    return list(value) if ok else []


def _played(ack: dict) -> dict:
    """What the ticket plays, as the central holds it (any terminal's ticket)."""
    formula = ack.get("formula") if ack.get("formula") in FORMULA_LABELS else None
    selections, bases = _horses(ack.get("selections")), _horses(ack.get("bases"))
    complement = ack.get("complement")
    return {"formula": formula, "formula_label": formula_label(formula) if formula else "",
            "selections": selections, "horses_text": horses_text(selections),
            "bases": bases, "bases_text": horses_text(bases),
            "complement": complement if _horses([complement]) else None,
            "unit_stake_cents": _cents(ack.get("unit_stake_cents")) or None}


def _amount(value: object) -> int | None:
    """An amount of the central's chain answer: cents from 0, or None (not known yet)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**12:
        return value
    return None


def _chain_leg(item: object, finished: bool, last: bool,
               carried: int | None) -> dict | None:
    """One leg of the central's answer, worded; `carried` is the next leg's stake
    (what this one carried into it), None while not known."""
    if not isinstance(item, dict):
        return None
    try:
        leg = reports.Leg.from_dict({k: item.get(k) for k in ("race", "horse", "kind", "carry")})
    except BettingError:
        return None
    stake, back, kept = (_amount(item.get(k)) for k in ("stake_cents", "return_cents",
                                                         "kept_cents"))
    void = item.get("void") is True
    if back is None:
        state, label = ("skipped", "non joué") if finished and stake is None else \
            ("to_run", "à courir")
    elif void:
        # a non-runner, a race not run, or a pool refunded: the stake came back as it was
        state, label = "void", f"mise rendue {format_euros(back)}"
    elif back == 0:
        state, label = "lost", "perdu"
    else:
        state, label = "won", f"gagné {format_euros(back)}"
    return {"race": leg.race, "race_short": race_short(leg.race), "horse": leg.horse,
            "kind": leg.kind, "kind_label": reports.KIND_LABELS[leg.kind],
            "carry_text": None if last else leg.carry_text(),
            "stake_cents": stake, "return_cents": back, "kept_cents": kept,
            "carried_cents": None if last or back is None else carried,
            "void": void, "state": state, "state_label": label}


def _chain(value: object) -> dict | None:
    """A Report+'s chain as the central answers it (`chain`), worded for the card;
    None when absent or malformed (the card then shows the ticket's status only)."""
    if not isinstance(value, dict) or value.get("state") not in tuple(reports.ChainState):
        return None
    raw = value.get("legs")
    if not isinstance(raw, list) or not 1 <= len(raw) <= reports.MAX_LEGS:
        return None
    state = reports.ChainState(value["state"])
    finished = state != reports.ChainState.ALIVE
    stakes = [_amount(item.get("stake_cents")) if isinstance(item, dict) else None
              for item in raw]
    legs = [_chain_leg(item, finished, i == len(raw) - 1, (stakes + [None])[i + 1])
            for i, item in enumerate(raw)]
    if any(leg is None for leg in legs):
        return None
    return {"state": str(state), "state_label": reports.STATE_LABELS[state],
            "finished": finished, "legs": legs,
            "value_cents": _amount(value.get("value_cents")) or 0}


class TicketDesk:
    """Inquire, pay and cancel tickets through the server, each asked once and journalled."""

    def __init__(self, link: Link, outbox: Outbox, ops: TicketOps, devices: Devices,
                 clerks: Clerks | None = None) -> None:
        self._link, self._outbox, self._ops, self._devices = link, outbox, ops, devices
        self._clerks = clerks

    def _approve(self, op: str, code: str, approval: Approval | None,
                 amount_cents: int | None = None) -> str | None:
        """The approving manager when one is needed (raises ClerkError without one)."""
        if self._clerks is None or not self._clerks.exist():
            return None
        if op == "pay":
            if amount_cents is None:
                amount_cents = self.inquire(code)["amount_cents"]
            if amount_cents <= APPROVAL_THRESHOLD_CENTS:
                return None
        a = approval or Approval()
        return self._clerks.approve(op, code, a.manager_pin, a.clerk, a.manager)

    def _ask(self, op: str, event: str, payload: dict) -> dict:
        try:
            ack = self._link.request(event, payload, REQUEST_TIMEOUT_S)
        except ServerUnavailable as exc:
            if exc.code == "offline":
                raise TicketRefused("offline", OFFLINE[op]) from None
            raise TicketRefused(exc.code, NO_ANSWER[op]) from None
        if not ack["ok"]:
            code = str(ack.get("error") or "refused")
            message = REFUSALS.get(code) or ack.get("message") or \
                "Opération refusée par le serveur central."
            raise TicketRefused(code, str(message))
        return ack

    def inquire(self, text: object) -> dict:
        code = check_code(text)
        ack = self._ask("inquire", "inquire_ticket", {"ticket": code})
        answered = ack.get("status")
        status = TicketValue(answered) if answered in STATUS_LABELS else TicketValue.PENDING
        amount = _cents(ack.get("amount_cents"))
        message = STATUS_LABELS[status].format(amount=format_euros(amount))
        can_pay = status in (TicketValue.WON, TicketValue.REFUND) and amount > 0
        can_cancel = status == TicketValue.PENDING
        chain = _chain(ack.get("chain")) if ack.get("bet_type") == reports.REPORT_PLUS else None
        if chain is not None and not chain["finished"]:
            # paid once, when the chain is over: the central says when
            can_pay = False
            # the first leg run, the stake is in play: no cancelling any more
            can_cancel = can_cancel and chain["legs"][0]["return_cents"] is None
            if status == TicketValue.PENDING:
                message = "Report+ en cours : rien à payer avant la fin de la chaîne."
        return {"ok": True, "ticket": code, "status": status, "amount_cents": amount,
                "message": message, "can_pay": can_pay, "can_cancel": can_cancel,
                "chain": chain,
                "race": ack.get("race"), "bet_type": ack.get("bet_type"),
                "total_cents": ack.get("total_cents"),
                **_played(ack),
                "local_bet": self._outbox.uuid_for_ticket(code)}

    def pay(self, text: object, approval: Approval | None = None) -> dict:
        code = check_code(text)
        self._approve("pay", code, approval)
        op = self._ops.open("pay", code)
        try:
            ack = self._ask("pay", "pay_ticket",
                            {"ticket": code, "payment_uuid": op["payment_uuid"]})
        except TicketRefused as exc:
            self._close_refused(op, exc)
            raise
        amount = _cents(ack.get("amount_cents"))
        self._ops.close(op["id"], OpResult.OK, amount)
        drawer = self._devices.kick_drawer("payment")
        return {"ok": True, "ticket": code, "amount_cents": amount,
                "payment_uuid": op["payment_uuid"],
                "message": f"Payé : {format_euros(amount)}. Remettez la somme au client.",
                "drawer": drawer}

    def cancel(self, text: object, open_drawer: bool = True,
               approval: Approval | None = None) -> dict:
        """`open_drawer` False when no money was taken for the bet (an unpaid basket
        undone): the server's cancel and its journal are the same."""
        code = check_code(text)
        if open_drawer:  # money goes back to the customer: a manager's void
            self._approve("cancel", code, approval)
        op = self._ops.open("cancel", code)
        try:
            ack = self._ask("cancel", "cancel_ticket", {"ticket": code})
        except TicketRefused as exc:
            self._close_refused(op, exc)
            raise
        refund = _cents(ack.get("refund_cents"))
        self._ops.close(op["id"], OpResult.OK, refund)
        self._outbox.mark_cancelled(code)
        drawer = self._devices.kick_drawer("refund") if refund and open_drawer else None
        return {"ok": True, "ticket": code, "refund_cents": refund,
                "message": f"Pari annulé : rendez {format_euros(refund)} au client.",
                "drawer": drawer}

    def void_held(self, uuid: str, approval: Approval | None = None) -> dict:
        """Cancel through the server a sale whose ticket never came out."""
        bet = self._outbox.bet(uuid)
        if bet is None:
            raise TicketRefused("unknown_bet", "Pari inconnu sur ce terminal.")
        if bet["status"] != OutboxState.ACCEPTED or not bet["ticket"]:
            raise TicketRefused("not_accepted", "Seul un pari accepté peut être annulé.")
        if bet.get("cancelled_at"):
            raise TicketRefused("already_cancelled", REFUSALS["already_cancelled"])
        if bet["printed_at"]:
            raise TicketRefused("printed", "Ce ticket est imprimé : scannez-le pour l'annuler.")
        return {**self.cancel(bet["ticket"], approval=approval), "uuid": uuid}

    def _close_refused(self, op: dict, exc: TicketRefused) -> None:
        result = OpResult.NO_ANSWER if exc.code in ("timeout", "bad_answer") else OpResult.REFUSED
        self._ops.close(op["id"], result, None, exc.code, exc.message)
