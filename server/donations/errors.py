from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, Forbidden, NotFound, ValidationError


class FundNotFound(NotFound):
    code = "fund_not_found"
    message = _l("This fund or campaign does not exist.")


class PledgeNotFound(NotFound):
    code = "pledge_not_found"
    message = _l("This pledge does not exist.")


class FulfilmentNotFound(NotFound):
    code = "fulfilment_not_found"
    message = _l("This receipt does not exist.")


class DistributionNotFound(NotFound):
    code = "distribution_not_found"
    message = _l("This distribution does not exist.")


class ReferenceNotFound(NotFound):
    code = "reference_not_found"
    message = _l("No pledge has the reference code %(reference)s. Check it with the donor.")


class FundClosed(Conflict):
    code = "fund_closed"
    message = _l("This fund is closed and takes no new pledges.")


class KindNotAccepted(ValidationError):
    code = "kind_not_accepted"
    message = _l("This fund does not take this kind of gift.")


class NotManager(Forbidden):
    code = "not_fund_manager"
    message = _l("Only the fund's coordinators and its host charity can do this.")


class OwnPledge(Forbidden):
    code = "own_pledge"
    message = _l("Nobody confirms their own gift: ask another coordinator.")


class PledgeLocked(Conflict):
    code = "pledge_locked"
    message = _l("Something has already been received for this pledge, so what was promised "
                 "and when can no longer change.")


class PledgeEnded(Conflict):
    code = "pledge_ended"
    message = _l("This pledge is already closed (%(state)s).")


class BadTransition(Conflict):
    code = "bad_transition"
    message = _l("This pledge is %(state)s, so this cannot be done now.")


class PledgeChanged(Conflict):
    code = "pledge_changed"
    message = _l("This pledge has just changed (a receipt was recorded, or the donor changed "
                 "it). Refresh to see it before recording more.")


class ReceiptRequired(ValidationError):
    code = "receipt_required"
    message = _l("Enter the host charity's receipt number, or tick that the donor waived it.")


class NothingReceived(ValidationError):
    code = "nothing_received"
    message = _l("Enter what arrived: an amount, or accepted or rejected quantities.")


class RejectReasonRequired(ValidationError):
    code = "reject_reason_required"
    message = _l("Say why goods were not accepted.")


class UnknownLine(ValidationError):
    code = "unknown_line"
    message = _l("This line is not part of the pledge.")


class ExpiryRequired(ValidationError):
    code = "expiry_required"
    message = _l("Food, grain, oil and medical supplies need an expiry date.")


class AlreadyExpired(ValidationError):
    code = "already_expired"
    message = _l("These goods are past their expiry date and cannot be given.")


class BatchMismatch(ValidationError):
    code = "batch_mismatch"
    message = _l("The batch does not match what was counted: %(detail)s. Nothing was recorded.")


class DuplicateInBatch(ValidationError):
    code = "duplicate_in_batch"
    message = _l("Pledge %(reference)s appears twice in the batch.")


class DecisionRequired(ValidationError):
    code = "decision_required"
    message = _l("A payout needs the committee decision's reference.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    message = _l("The fund holds %(balance)s, less than this needs.")


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = _l("Only %(available)s %(unit)s of %(item)s are in stock.")


class AlreadyReversed(Conflict):
    code = "already_reversed"
    message = _l("This record has already been reversed.")


class CannotReverseReversal(Conflict):
    code = "cannot_reverse_reversal"
    message = _l("A reversal cannot itself be reversed: record the movement again instead.")


class ValueTooLarge(ValidationError):
    code = "value_too_large"
    message = _l("That value is beyond what one record can hold. Check the quantity and "
                 "the value of one.")


class ReasonRequired(ValidationError):
    code = "reason_required"
    message = _l("Give a reason: it is kept with the record.")
