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
    field = "kind"
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
    code = "pledge_bad_transition"
    message = _l("This cannot be done now: the pledge is marked “%(state)s”.")


class PledgeChanged(Conflict):
    code = "pledge_changed"
    message = _l("This pledge has just changed (a receipt was recorded, or the donor changed "
                 "it). Refresh to see it before recording more.")


class ReceiptRequired(ValidationError):
    code = "receipt_required"
    field = "receipt_no"
    message = _l("Enter the host charity's receipt number, or tick that the donor waived it.")


class NothingReceived(ValidationError):
    code = "nothing_received"
    field = "amount"
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
    field = "expected_count"
    message = _l("The batch does not match what was counted: %(detail)s. Nothing was recorded.")


class DuplicateInBatch(ValidationError):
    code = "duplicate_in_batch"
    message = _l("Pledge %(reference)s appears twice in the batch.")


class DecisionRequired(ValidationError):
    code = "decision_required"
    field = "decision_ref"
    message = _l("A payout needs the committee decision's reference.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    field = "amount"
    message = _l("The fund holds %(balance)s, less than this needs.")


class InsufficientStock(Conflict):
    """Told beside the goods line that asks too much where the request has lines (a
    payout: distribute), else on its own (a receipt's reversal)."""

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
    field = "reason"
    message = _l("Give a reason: it is kept with the record.")


class TitleRequired(ValidationError):
    code = "title_required"
    field = "title"
    message = _l("Choose Ms or Mr to go with the surname.")


class OrganisationRequired(ValidationError):
    code = "organisation_required"
    field = "donor_org"
    message = _l("Enter the organisation's name to show it.")


class AmountRequired(ValidationError):
    code = "amount_required"
    field = "amount"
    message = _l("Enter an amount in yuan.")


class LinesRequired(ValidationError):
    code = "lines_required"
    field = "lines"
    message = _l("Add at least one line of goods.")


class AmountNotForGoods(ValidationError):
    """An amount sent with goods would be dropped: said, not lost without a word."""

    code = "amount_not_for_goods"
    field = "amount"
    message = _l("A gift of goods has no amount: list the goods instead.")


class LinesNotForMoney(ValidationError):
    code = "lines_not_for_money"
    field = "lines"
    message = _l("A gift of money has no goods lines: enter the amount only.")


class DueInPast(ValidationError):
    code = "due_in_past"
    field = "due_on"
    message = _l("The day you plan to give cannot be in the past.")


class DonorNameRequired(ValidationError):
    code = "donor_name_required"
    field = "donor_name"
    message = _l("Enter the donor's name.")


class BatchUnreadable(ValidationError):
    code = "batch_unreadable"
    field = "items"
    message = _l("Line %(n)s should be a reference code and an amount, e.g. 7K3M9Q 50.")


class BatchAmountAmbiguous(ValidationError):
    """"REF 1 000": ¥1,000, or ¥1 with receipt number 000? Refused, never guessed."""

    code = "batch_amount_ambiguous"
    field = "items"
    message = _l("Line %(n)s: “%(typed)s” could be one amount with a space between its "
                 "thousands, or an amount and a receipt number. Write the amount without "
                 "spaces (1000 or 1,000), and put a semicolon before a receipt number "
                 "(1000; 000123).")


class NonceReused(Conflict):
    code = "nonce_reused"
    message = _l("This request's one-time key was already used for something else. Reload "
                 "the page and send it again.")


class LineIncomplete(ValidationError):
    code = "line_incomplete"
    message = _l("Each goods line needs an item.")


class ReceivedInFuture(ValidationError):
    code = "received_in_future"
    field = "received_on"
    message = _l("The day goods or money arrived cannot be in the future.")


class ReceivedBeforeFund(ValidationError):
    code = "received_before_fund"
    field = "received_on"
    message = _l("The day goods or money arrived cannot be before the fund was opened "
                 "(%(opened)s).")


class DistributedBeforeFund(ValidationError):
    code = "distributed_before_fund"
    field = "distributed_on"
    message = _l("The day of handing out cannot be before the fund was opened (%(opened)s).")


class DistributedInFuture(ValidationError):
    code = "distributed_in_future"
    field = "distributed_on"
    message = _l("The day of handing out cannot be in the future.")


class RecipientRequired(ValidationError):
    code = "recipient_required"
    field = "recipient_name"
    message = _l("Say who received it: a household's name or an organisation.")


class AcceptsNothing(ValidationError):
    code = "accepts_nothing"
    field = "accepts_money"
    message = _l("A fund takes money, goods, or both: tick at least one.")


class HostNotCharity(ValidationError):
    code = "host_not_charity"
    field = "host_id"
    message = _l("The host must be an active charity or foundation.")


class TooManyOpenPledges(Conflict):
    """services/limits.py: a person's open pledges to one fund."""

    code = "too_many_open_pledges"
    message = _l("You already have %(count)s pledges to this fund that are not yet given. "
                 "Give or withdraw one of them first.")


class OpenAmountTooLarge(ValidationError):
    """services/limits.py: what a person has promised a fund and not yet given, in all."""

    code = "open_amount_too_large"
    field = "amount"
    message = _l("Your open pledges to this fund may come to at most %(limit)s in all; "
                 "%(left)s is left.")


class OpenGoodsTooMany(ValidationError):
    """services/limits.py: the goods a person has promised a fund and not yet given."""

    code = "open_goods_too_many"
    field = "lines"
    message = _l("Your open pledges to this fund may hold at most %(limit)s items of goods "
                 "in all; %(left)s more can be pledged.")


class FundTotalFull(Conflict):
    """The fund's stored pledged total would pass what it can hold (stored.py)."""

    code = "fund_total_full"
    message = _l("This fund cannot take more pledges: its pledged total is at its limit.")
