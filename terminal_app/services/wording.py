"""From a bet in the outbox to a ticket layout the printer understands.

`device_drivers` knows nothing about bets; this is where a bet is worded in
French for paper and screen.
"""
from __future__ import annotations

from datetime import datetime, timezone

from betting.catalogue import BET_TYPES, FORMULA_LABELS, is_simplified
from betting.errors import BettingError
from betting.money import format_euros
from betting.programme import Race, parse_race_id, parse_utc
from betting import reports
from betting.states import UNANSWERED
from device_drivers.ticket import TicketLayout

try:
    from zoneinfo import ZoneInfo

    PARIS = ZoneInfo("Europe/Paris")
except Exception:  # no time zone database on this machine: say UTC plainly
    PARIS = None

OPERATOR_HEADER = "GUICHET — PARIS HIPPIQUES"


def local_time(moment: datetime) -> str:
    if PARIS is None:
        return moment.astimezone(timezone.utc).strftime("%H:%M UTC")
    return moment.astimezone(PARIS).strftime("%H:%M")


def local_datetime(moment: datetime) -> str:
    if PARIS is None:
        return moment.astimezone(timezone.utc).strftime("%d/%m/%Y %H:%M:%S UTC")
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


# The one time zone the shopkeeper reads, said once wherever times are listed.
ZONE_LABEL = "heure de Paris" if PARIS is not None else "heure UTC"

# A ticket's state as the terminal knows it (terminal_app/services/ticket_list.py).
STATE_LABELS = {
    "accepted": "accepté",
    "provisional": "provisoire",
    "pending": "en attente",
    "rejected": "refusé",
    "refund_due": "refusé, à rembourser",
    "cancelled": "annulé",
    "paid": "payé",
    "refunded": "remboursé",
    "corrupt": "illisible",
}


def bet_type_label(code: str) -> str:
    """"Simple gagnant" for SIMPLE_GAGNANT, "Report+" for a chain; an unknown code
    stays as it is."""
    if code == reports.REPORT_PLUS:
        return reports.LABEL
    bet_type = BET_TYPES.get(code)
    return bet_type.label if bet_type else code


def read_legs(value: object) -> list[reports.Leg]:
    """A Report+'s legs as stored or answered; [] when they cannot be read (a list
    must still show the ticket)."""
    if not isinstance(value, list):
        return []
    try:
        return [reports.Leg.from_dict(item) for item in value[:reports.MAX_LEGS]]
    except BettingError:
        return []


def race_short(race_id: str) -> str:
    """"C4" for the 4th race of a meeting ("R1C4" when the id cannot be read)."""
    try:
        _, _, number = parse_race_id(race_id)
    except BettingError:
        return race_id.rpartition("/")[2] or race_id
    return f"C{number}"


def leg_text(leg: reports.Leg, last: bool) -> str:
    """One leg as the ticket prints it: "C1 n°7 gagnant — report : tout"."""
    text = f"{race_short(leg.race)} n°{leg.horse} {reports.KIND_LABELS[leg.kind]}"
    return text if last else f"{text} — report : {leg.carry_text()}"


def legs_text(value: object) -> str:
    """The legs in one short line for the lists: "C1 7g → C3 2p → C4 5g"."""
    legs = read_legs(value)
    return " → ".join(f"{race_short(leg.race)} {leg.horse}{'g' if leg.kind == 'GAGNANT' else 'p'}"
                      for leg in legs)


def describe_chain(bet: dict) -> list[str]:
    """A Report+ on paper and screen: every leg in order, then the first stake."""
    legs = read_legs(bet.get("legs"))
    lines = [f"{reports.LABEL} (pari par reports) : {len(legs)} courses"]
    lines += [leg_text(leg, last=i == len(legs) - 1) for i, leg in enumerate(legs)]
    lines.append(f"Mise initiale : {format_euros(bet['unit_stake_cents'])}")
    return lines


def formula_label(code: str) -> str:
    return FORMULA_LABELS.get(code, code)


def horses_text(numbers: list[int] | None) -> str:
    """The horses in the order played: "7 - 2"."""
    return " - ".join(str(n) for n in numbers or [])


def describe_bet(bet: dict) -> list[str]:
    if bet["bet_type"] == reports.REPORT_PLUS:
        return describe_chain(bet)
    bet_type = BET_TYPES.get(bet["bet_type"])
    label = bet_type.label if bet_type else bet["bet_type"]
    lines = [f"{label} {FORMULA_LABELS.get(bet['formula'], bet['formula'])}"]
    # Simplified: the order stated is the order played, said in so many words.
    # A combiné plays its horses in that order; a champ puts its bases first.
    simplified = is_simplified(bet["formula"])
    if bet["bases"]:
        word = "Base(s) en tête dans l'ordre" if simplified else "Base(s)"
        lines.append(f"{word} : " + " - ".join(str(n) for n in bet["bases"]))
    if bet["selections"]:
        word = "Cheval" if len(bet["selections"]) == 1 else "Chevaux"
        if simplified and not bet["bases"]:
            word += " dans l'ordre"
        lines.append(f"{word} : " + " - ".join(str(n) for n in bet["selections"]))
    if bet.get("complement") is not None:
        lines.append(f"Complément : {bet['complement']}")
    lines.append(f"{bet['combinations']} combinaison(s) x {format_euros(bet['unit_stake_cents'])}")
    return lines


def ticket_layout(bet: dict, race: Race | None, terminal_id: str, outlet: str,
                  job_id: str, reprint: bool = False) -> TicketLayout:
    race_lines = [bet["race"]]
    if bet["bet_type"] == reports.REPORT_PLUS:
        # a chain plays a meeting: its day and venue, and when its first race starts
        meeting = bet["race"].rpartition("C")[0]
        race_lines = [meeting]
        if race is not None:
            race_lines = [f"{meeting} {race.venue}".strip(),
                          f"1re course {race_short(bet['race'])} : départ "
                          f"{local_time(race.post_time)}"]
    elif race is not None:
        race_lines = [f"{bet['race']} {race.venue}".strip(), race.name,
                      f"Départ {local_time(race.post_time)}"]
    # Provisional while the server has not answered an offline sale; once
    # accepted, the same code is a confirmed ticket.
    provisional = bool(bet.get("offline")) and bet.get("status") in UNANSWERED
    banner = "DUPLICATA" if reprint else ("PROVISOIRE" if provisional else None)
    return TicketLayout(
        header=(OPERATOR_HEADER, outlet, f"Terminal {terminal_id}"),
        body=tuple(race_lines + describe_bet(bet)),
        emphasis=(f"TOTAL {format_euros(bet['total_cents'])}",),
        code=bet["ticket"],
        footer=(
            f"Vendu le {local_datetime(parse_utc(bet['created_at']))}",
            f"N° {bet['seq']}  impression {job_id[:8]}",
        ),
        banner=banner,
    )
