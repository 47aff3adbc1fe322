"""Display names of the codes people see (categories, states, services, tasks, actions)."""
import functools

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "AGE65": _l("65 or over, low household income"),
    "DISABLED66": _l("Disabled (at least 66 %)"),
    "INTEGRATION_INCOME": _l("Living on the integration income"),
    "HEARING_LOSS": _l("Hearing loss of at least 70 dB"),
    "LARYNGECTOMY": _l("Laryngectomy"),
    "WAR_BLIND": _l("Military war-blind"),
}
STATE_LABELS = {
    "INCOMPLETE": _l("Incomplete"),
    "SUBMITTED": _l("Submitted"),
    "REVIEW": _l("Under review"),
    "APPROVED": _l("Approved"),
    "ACTIVE": _l("Active"),
    "REJECTED": _l("Rejected"),
    "CLOSED": _l("Closed"),
    "ENDED": _l("Ended"),
    "CANCELLED": _l("Cancelled"),
}
SERVICE_LABELS = {"FIXED": _l("Fixed line"), "MOBILE": _l("Mobile"), "INTERNET": _l("Internet")}
TASK_LABELS = {
    "ENTER_MISSING_DATA": _l("Enter missing data"),
    "CLOSE_FILE": _l("Close file"),
    "TERMINATE_REDUCTION": _l("Terminate reduction"),
    "ADDRESS_CHANGED": _l("Address changed"),
    "BENEFICIARY_DECEASED": _l("Beneficiary deceased"),
    "TRANSFERRED_AWAY": _l("Transferred away"),
    "DECISION_TAKEN": _l("Decision taken"),
}
CEASE_REASON_LABELS = {
    "CUSTOMER_REQUEST": _l("Customer request"),
    "END_OF_CONTRACT": _l("End of contract"),
    "NOT_ELIGIBLE": _l("No longer eligible"),
    "DEATH": _l("Death"),
    "MOVED": _l("Moved"),
    "OTHER": _l("Other reason"),
}
ACTION_LABELS = {
    "REQUEST": _l("Request"),
    "COMPLETE": _l("Missing data entered"),
    "MODIFY": _l("Modification"),
    "TRANSFER": _l("Transfer"),
    "ACTIVATE": _l("Activation"),
    "CEASE": _l("Cessation"),
    "CANCEL": _l("Cancellation"),
    "APPROVE": _l("Approval"),
    "REJECT": _l("Rejection"),
    "ASK_DOCUMENTS": _l("Documents asked"),
    "CLOSE": _l("File closed"),
    "ADDRESS_CHANGE": _l("Address change"),
    "DEATH": _l("Death"),
    "YEARLY_CHECK": _l("Yearly check"),
}
BATCH_STATE_LABELS = {
    "RECEIVED": _l("Received, waiting"),
    "VALIDATING": _l("Checking the file"),
    "PROCESSING": _l("Applying the messages"),
    "DONE": _l("Done"),
    "REJECTED": _l("Rejected as a whole"),
}
FIELD_LABELS = {
    "state": _l("State"),
    "category": _l("Category"),
    "service": _l("Service"),
    "phone_number": _l("Phone number"),
    "customer_number": _l("Customer number"),
    "tariff_formula": _l("Tariff formula"),
    "installation_costs": _l("Installation costs"),
    "activation_date": _l("Activation date"),
    "invoice_date": _l("Invoice date"),
    "decision_date": _l("Decision date"),
    "decision_reason": _l("Decision reason"),
    "documents_due": _l("Documents due"),
    "end_date": _l("End date"),
    "end_reason": _l("End reason"),
}


LABEL_TABLES = {
    "CATEGORY_LABELS": CATEGORY_LABELS, "STATE_LABELS": STATE_LABELS,
    "SERVICE_LABELS": SERVICE_LABELS, "TASK_LABELS": TASK_LABELS,
    "CEASE_REASON_LABELS": CEASE_REASON_LABELS, "ACTION_LABELS": ACTION_LABELS,
    "FIELD_LABELS": FIELD_LABELS, "BATCH_STATE_LABELS": BATCH_STATE_LABELS,
}


def label_context() -> dict:
    """The label tables for templates, in the request's language. A lazy string looks itself
    up in the catalogue each time it is shown (25 rows, several labels each): the tables are
    translated once per language and process instead."""
    return _translated_tables(str(get_locale()))


class Labels(dict):
    """A translated label table; an unknown code shows as itself."""

    def __missing__(self, code):
        return code


@functools.cache
def _translated_tables(locale: str) -> dict:
    # Called within a request whose locale is ``locale``: str() translates into it.
    return {name: Labels({code: str(label) for code, label in table.items()})
            for name, table in LABEL_TABLES.items()}
