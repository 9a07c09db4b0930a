"""Named refusals, the one error family of both sides.

Each carries a stable English `code` (what programs, acks and logs match on)
and a message: French for what the shopkeeper reads, English where only an
operator or a program reads it (the server's API, a refused connection).
`str(exc)` is the message. A refusal never carries an HTTP status or an ack
shape: each edge chooses those from the `code`, in one place.

The French text of a refusal both sides show is the class's `default_message`,
written here once.
"""
from __future__ import annotations


class BettingError(Exception):
    """The base of every refusal (kept under this name: the domain, both apps
    and their tests already speak of it)."""

    code = "invalid_bet"
    default_message = "Pari invalide."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class UnknownRace(BettingError):
    code = "unknown_race"
    default_message = "Course inconnue."


class UnknownBetType(BettingError):
    code = "unknown_bet_type"
    default_message = "Type de pari inconnu."


class BetTypeNotOffered(BettingError):
    code = "bet_type_not_offered"
    default_message = "Ce pari n'est pas proposé sur cette course."


class UnknownFormula(BettingError):
    code = "unknown_formula"
    default_message = "Formule inconnue."


class FormulaNotAllowed(BettingError):
    code = "formula_not_allowed"
    default_message = "Cette formule n'est pas permise pour ce pari."


class ClosedPool(BettingError):
    code = "pool_closed"
    default_message = "Les paris sont fermés pour cette course."


class RunnerNotDeclared(BettingError):
    code = "runner_not_declared"
    default_message = "Ce cheval ne court pas dans cette course."


class DuplicateRunner(BettingError):
    code = "duplicate_runner"
    default_message = "Un même cheval est choisi deux fois."


class WrongSelectionCount(BettingError):
    code = "wrong_selection_count"
    default_message = "Nombre de chevaux incorrect pour ce pari."


class MissingBase(BettingError):
    code = "missing_base"
    default_message = "Un champ demande au moins un cheval de base."


class NotEnoughRunners(BettingError):
    code = "not_enough_runners"
    default_message = "Pas assez de partants pour ce pari."


class StakeBelowBase(BettingError):
    code = "stake_below_base"
    default_message = "La mise est inférieure à la mise de base."


class StakeNotMultipleOfBase(BettingError):
    code = "stake_not_multiple_of_base"
    default_message = "La mise doit être un multiple de la mise de base."


class StakeTooHigh(BettingError):
    code = "stake_too_high"
    default_message = "La mise dépasse le maximum autorisé."


class WrongTotal(BettingError):
    code = "wrong_total"
    default_message = "Le montant total du pari ne correspond pas à sa mise."


class InvalidTicketCode(BettingError):
    code = "invalid_ticket_code"
    default_message = "Code de ticket invalide : vérifiez la saisie."


class BadChain(BettingError):
    """A Report+ whose legs do not make a chain (betting/reports.py)."""

    code = "bad_chain"
    default_message = "Report+ invalide."


class ProtocolError(BettingError):
    """A message that does not follow the schema (never a user's mistake)."""

    code = "bad_request"
    default_message = "Message invalide."


class InvalidResult(BettingError):
    """An official result that cannot be right (operator input, never a bettor's)."""

    code = "invalid_result"
    default_message = "Résultat officiel invalide."


class OperatorRefusal(BettingError):
    """A refused request of the operator or technician (server API and CLI):
    the code is chosen where it is raised, the message is English."""

    code = "refused"
    default_message = "request refused"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# -- tickets: inquiring, paying, cancelling (server's ruling, terminal's display) --------

class TicketRefusal(BettingError):
    """A ticket that will not be paid or cancelled as asked. Each subclass's
    `default_message` is what the terminal shows for its code; the server may
    say more precisely why when it raises one."""

    code = "ticket_refused"
    default_message = "Opération refusée par le serveur central."


class UnknownTicket(TicketRefusal):
    code = "unknown_ticket"
    default_message = "Ticket inconnu du serveur central."


class AlreadyPaid(TicketRefusal):
    code = "already_paid"
    default_message = "Ticket déjà payé : ne payez pas une seconde fois."


class PaymentUuidReused(TicketRefusal):
    code = "payment_uuid_reused"
    default_message = "Paiement refusé : identifiant de paiement déjà utilisé. Réessayez."


class NotOfficial(TicketRefusal):
    code = "not_official"
    default_message = "Résultat pas encore officiel : paiement impossible pour l'instant."


class UnderReview(TicketRefusal):
    code = "under_review"
    default_message = "Ticket en cours de vérification par le centre : paiement impossible."


class NotPayable(TicketRefusal):
    code = "not_payable"
    default_message = "Ce ticket n'est pas gagnant : rien à payer."


class AlreadyCancelled(TicketRefusal):
    code = "already_cancelled"
    default_message = "Ce pari est déjà annulé."


class NotCancellable(TicketRefusal):
    code = "not_cancellable"
    default_message = "Ce pari n'a pas été accepté : rien à annuler."


class WrongTerminal(TicketRefusal):
    code = "wrong_terminal"
    default_message = "Un ticket s'annule sur le terminal qui l'a vendu."


class CancelWindowClosed(TicketRefusal):
    code = "cancel_window_closed"
    default_message = "Délai d'annulation dépassé : ce pari ne peut plus être annulé."


# The ticket refusals by code, for the terminal to show the server's answer in its words.
TICKET_REFUSALS: dict[str, type[TicketRefusal]] = {cls.code: cls for cls in (
    UnknownTicket, AlreadyPaid, PaymentUuidReused, NotOfficial, UnderReview, NotPayable,
    AlreadyCancelled, NotCancellable, WrongTerminal, CancelWindowClosed)}


# -- terminals ---------------------------------------------------------------------------

class TerminalDisabled(BettingError):
    code = "terminal_disabled"
    default_message = "Terminal désactivé par le centre : appelez l'assistance."


# -- cheval de complément (betting/complement.py) ----------------------------------------

class ComplementNotAllowed(BettingError):
    code = "complement_not_allowed"
    default_message = "Le cheval de complément n'est pas proposé pour ce pari sur cette course."


class ComplementNotRunning(BettingError):
    code = "complement_not_running"
    default_message = "Le cheval de complément doit être un partant de la course."


class ComplementInBet(BettingError):
    code = "complement_in_bet"
    default_message = "Le cheval de complément est déjà joué dans ce pari : choisissez-en un autre."
