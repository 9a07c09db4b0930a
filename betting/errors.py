"""Named failures of the betting domain.

Each carries a stable English `code` (what programs and logs match on) and a
French message (what the shopkeeper reads). `str(exc)` is the French message.
"""
from __future__ import annotations


class BettingError(Exception):
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


class ProtocolError(BettingError):
    """A message that does not follow the schema (never a user's mistake)."""

    code = "bad_request"
    default_message = "Message invalide."


class InvalidResult(BettingError):
    """An official result that cannot be right (operator input, never a bettor's)."""

    code = "invalid_result"
    default_message = "Résultat officiel invalide."
