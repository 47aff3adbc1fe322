"""Display names of the codes people see (categories, states, services, tasks, actions,
profiles, applications, audit events), and the one way to show a stored value: pages, CSV,
mails and XML responses all read codes through here."""
import functools
from datetime import date, datetime
from decimal import Decimal

from stts.i18n import LANGUAGE_NAMES, format_day, format_money, lazy_pgettext, per_locale
from stts.i18n import lazy_gettext as _l
from stts.identifiers import format_phone_number

CATEGORY_LABELS = {
    "AGE65": _l("65 or over, low household income"),
    "DISABLED66": _l("Disabled (at least 66 %)"),
    "INTEGRATION_INCOME": _l("Living on the integration income"),
    "HEARING_LOSS": _l("Hearing loss of at least 70 dB"),
    "LARYNGECTOMY": _l("Laryngectomy"),
    "WAR_BLIND": _l("Military war-blind"),
}
ALL_CATEGORIES = lazy_pgettext("all categories", "All")
"""The category filters' "any category" (French writes it feminine: "Toutes")."""
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

# The reasons the application itself writes (a person's own words are shown as typed).
DECISION_REASON_LABELS = {
    "AUTO_ELIGIBLE": _l("automatic check: eligible"),
    "AUTO_NOT_KNOWN": _l("automatic check: person not known"),
    "AUTO_NO_RIGHT": _l("automatic check: no right valid today"),
    "AUTO_OTHER_CATEGORY": _l("automatic check: other category"),
    "DOCUMENTS_LATE": _l("documents came too late"),
}
PROFILE_LABELS = {
    "STTS1": _l("STTS 1 — commercial"),
    "STTS2": _l("STTS 2 — administrative"),
    "STTS3": _l("STTS 3 — extended administrative"),
    "LOCAL_MANAGER": _l("Local manager"),
}
# Reasons the application writes into the audit trail and the timeline (a person's own
# words are shown as typed).
REASON_LABELS = {
    "NATIONAL_REGISTER": _l("National Register"),
    "unknown username": _l("unknown username"),
    "blocked": _l("account blocked"),
    "locked": _l("account locked"),
    "provisional password expired or used": _l("provisional password expired or already used"),
    "company has a local manager": _l("the company already has a local manager"),
    "no longer eligible": _l("no longer eligible"),
    "schema": _l("does not match the schema"),
    "encoding": _l("not encoded in UTF-8"),
    "empty": _l("empty file"),
    "too_many": _l("too many messages"),
    "too_large": _l("file too large"),
    "too_deep": _l("nested too deeply"),
    "doctype_forbidden": _l("document type declaration not allowed"),
    "duplicate_id": _l("message id twice in the batch"),
    "company": _l("another company's enterprise number"),
    "sender": _l("sender not allowed"),
    "invalid_xml": _l("not well-formed XML"),
    "manager": _l("revoked by the local manager"),
    "creator_replaced": _l("its creator was replaced as local manager"),
    "creator_blocked": _l("its creator was blocked"),
    "creator_deleted": _l("its creator was deleted"),
    "creator_gone": _l("its creator is no longer the local manager"),
}
# Structured messages: each message's kind and the code of its result.
MESSAGE_KIND_LABELS = {
    "Request": _l("Request"), "Transfer": _l("Transfer"),
    "CompleteData": _l("Missing data entered"), "Modify": _l("Modification"),
    "Cease": _l("Cessation"), "CancelAction": _l("Cancellation"),
}
RESULT_CODE_LABELS = {
    "OK": _l("Accepted"), "REFUSED": lazy_pgettext("result", "Refused"),
    "INVALID": _l("Invalid"),
    "NOT_FOUND": _l("Not found"), "CONFLICT": _l("Changed meanwhile"),
    "FORBIDDEN": _l("Not allowed"), "ERROR": _l("Error"),
}
# The steps of the portal's access request.
WIZARD_STEP_LABELS = {
    "category": _l("Company category"), "company": _l("Company"),
    "manager": _l("Local manager"), "signer": _l("Responsible person who signs"),
    "replace": _l("Current local manager"), "overview": _l("Overview"),
}
# An access request (la demande, de aanvraag, der Antrag): its own genders in each language.
ACCESS_STATUS_LABELS = {
    "awaiting_original": _l("Awaiting the signed original"),
    "original_received": _l("Original received, being processed"),
    "approved": lazy_pgettext("access request", "Approved"),
    "refused": lazy_pgettext("access request", "Refused"),
}
USER_STATE_LABELS = {
    "active": _l("Active"), "blocked": _l("Blocked"), "provisional": _l("Must change password"),
    "locked": _l("Locked out"),
}
APPLICATION_LABELS = {"STTS_WEB": _l("STTS web application"), "STTS_XML": _l("XML sending")}
AUDIT_RESULT_LABELS = {
    "ok": _l("Done"), "refused": lazy_pgettext("result", "Refused"), "rejected": _l("Rejected"),
    "failed": _l("Failed"), "error": _l("Error"),
}
OBJECT_LABELS = {
    "access_request": _l("Access request"), "audit_trail": _l("Audit trail"),
    "company": _l("Company"), "desk_job": _l("Desk job"), "dossier": _l("Dossier"),
    "eligibility": _l("Eligibility source"), "person": _l("Person"), "task": _l("Task"),
    "technical_account": _l("Technical account"), "user": _l("User"),
    "xml_batch": _l("Batch of structured messages"),
}
AUDIT_ACTION_LABELS = {
    "access_request.approved": _l("Access request approved"),
    "access_request.credentials_reissued": _l("Access credentials sent again"),
    "access_request.draft_started": _l("Access request started"),
    "access_request.followed": _l("Access request followed up"),
    "access_request.gazette_received": _l("Belgian Official Gazette received"),
    "access_request.original_received": _l("Signed original received"),
    "access_request.refused": _l("Access request refused"),
    "access_request.step_saved": _l("Access request step saved"),
    "access_request.submitted": _l("Access request submitted"),
    "audit.verify": _l("Audit trail checked"),
    "auth.locked_out": _l("Account locked"),
    "auth.login": _l("Login"),
    "auth.logout": _l("Logout"),
    "auth.password_changed": _l("Password changed"),
    "company.created": _l("Company created"),
    "company.updated": _l("Company updated"),
    "company.xml_settings": _l("Structured messages settings changed"),
    "dossier.action_cancelled": _l("Dossier action cancelled"),
    "dossier.activated": _l("Dossier activated"),
    "dossier.ceased": _l("Dossier ceased"),
    "dossier.exported": _l("Dossiers exported"),
    "dossier.modified": _l("Dossier modified"),
    "dossier.person_looked_up": _l("Person looked up"),
    "dossier.requested": _l("Dossier requested"),
    "dossier.transferred": _l("Dossier transferred"),
    "dossier.viewed": _l("Dossier viewed"),
    "eligibility.imported": _l("Eligibility source imported"),
    "register.address_changed": _l("Address changed (National Register)"),
    "register.death": _l("Death (National Register)"),
    "register.import_started": _l("National Register import started"),
    "register.imported": _l("National Register file imported"),
    "review.approved": _l("Review: approved"),
    "review.closed": _l("Review: file closed"),
    "review.documents_asked": _l("Review: documents asked"),
    "review.dossier_viewed": _l("Review: dossier viewed"),
    "review.rejected": _l("Review: rejected"),
    "task.processed": _l("Task processed"),
    "technical_account.created": _l("Technical account created"),
    "technical_account.revoked": _l("Technical account revoked"),
    "user.blocked": _l("User blocked"),
    "user.created": _l("User created"),
    "user.deleted": _l("User deleted"),
    "user.first_login": _l("First login"),
    "user.language_changed": _l("Language changed"),
    "user.local_manager_granted": _l("Local manager right granted"),
    "user.local_manager_revoked": _l("Local manager right withdrawn"),
    "user.own_data_changed": _l("Own data changed"),
    "user.provisional_password": _l("Provisional password issued"),
    "user.unblocked": _l("User unblocked"),
    "user.unlocked": _l("User unlocked"),
    "user.updated": _l("User updated"),
    "user.xml_sender_granted": _l("XML sending granted"),
    "user.xml_sender_revoked": _l("XML sending withdrawn"),
    "xml.batch_processed": _l("Batch processed"),
    "xml.batch_received": _l("Batch received"),
    "xml.batch_refused": _l("Batch refused"),
    "xml.batch_rejected": _l("Batch rejected as a whole"),
    "yearly_check.ended": _l("Ended by the yearly check"),
    "yearly_check.failed": _l("Yearly check failed"),
    "yearly_check.finished": _l("Yearly check finished"),
    "yearly_check.started": _l("Yearly check started"),
}
# Keys of an audit event's details (the dossier's own fields are in FIELD_LABELS).
DETAIL_LABELS = {
    "accepted": _l("Accepted"), "access_request": _l("Access request"),
    "address_changes": _l("Address changes"), "applications": _l("Applications"),
    "after": _l("After"), "before": _l("Before"), "broken": _l("Broken links"),
    "checked": _l("Checked"), "creator": _l("Created by"), "company_email": _l("Company e-mail"),
    "deaths": _l("Deaths"), "decision": _l("Decision"), "dossier": _l("Dossier"),
    "duplicates": _l("Duplicates"), "email": _l("E-mail"), "error_count": _l("Errors"),
    "fields": _l("Fields"), "filters": _l("Filters"), "first_name": _l("First name"),
    "gazette_received": _l("Gazette received"), "known": _l("Known"),
    "language": _l("Language"), "last_name": _l("Last name"), "line": _l("Line"),
    "lines": _l("Lines"), "loaded": _l("Loaded"), "local_manager": _l("Local manager"),
    "locked_permanently": _l("Locked until unlocked"), "manager": _l("Local manager"),
    "manager_user": _l("Local manager's account"), "name": _l("Name"),
    "national_number": _l("National register number"), "operator": _l("Operator"),
    "permanent": _l("Permanent"), "person": _l("Person"),
    "previous_manager": _l("Previous local manager"), "profile": _l("STTS profile"),
    "reason": _l("Reason"), "rejected": _l("Rejected"), "replace": _l("Replaces"),
    "signer": _l("Signatory"), "size": _l("Size"), "step": _l("Step"),
    "task_type": _l("Task"), "technical_account": _l("Technical account"),
    "temporary_lockouts": _l("Temporary lockouts"), "total": _l("Total"),
    "username": _l("Username"), "wait_seconds": _l("Wait (seconds)"),
    "xml_enabled": _l("Structured messages"), "xml_result_email": _l("Result e-mail"),
    "from_company": _l("Previous operator"), "to_company": _l("New operator"),
    "cancelled_action": _l("Cancelled action"), "cancelled_type": _l("Cancelled action type"),
    "event_id": _l("National Register event"),
}

LABEL_TABLES = {
    "CATEGORY_LABELS": CATEGORY_LABELS, "STATE_LABELS": STATE_LABELS,
    "SERVICE_LABELS": SERVICE_LABELS, "TASK_LABELS": TASK_LABELS,
    "CEASE_REASON_LABELS": CEASE_REASON_LABELS, "ACTION_LABELS": ACTION_LABELS,
    "FIELD_LABELS": FIELD_LABELS, "BATCH_STATE_LABELS": BATCH_STATE_LABELS,
    "DECISION_REASON_LABELS": DECISION_REASON_LABELS, "PROFILE_LABELS": PROFILE_LABELS,
    "APPLICATION_LABELS": APPLICATION_LABELS, "AUDIT_RESULT_LABELS": AUDIT_RESULT_LABELS,
    "OBJECT_LABELS": OBJECT_LABELS, "AUDIT_ACTION_LABELS": AUDIT_ACTION_LABELS,
    "DETAIL_LABELS": DETAIL_LABELS, "USER_STATE_LABELS": USER_STATE_LABELS,
    "WIZARD_STEP_LABELS": WIZARD_STEP_LABELS, "MESSAGE_KIND_LABELS": MESSAGE_KIND_LABELS,
    "RESULT_CODE_LABELS": RESULT_CODE_LABELS, "ACCESS_STATUS_LABELS": ACCESS_STATUS_LABELS,
    "REASON_LABELS": REASON_LABELS,
}
# The table of a dossier field's values (timeline, audit details, CSV).
VALUE_TABLES = {
    "state": STATE_LABELS, "category": CATEGORY_LABELS, "service": SERVICE_LABELS,
    "end_reason": CEASE_REASON_LABELS, "decision_reason": DECISION_REASON_LABELS,
    "profile": PROFILE_LABELS, "task_type": TASK_LABELS, "applications": APPLICATION_LABELS,
    "step": WIZARD_STEP_LABELS, "cancelled_type": ACTION_LABELS,
    "reason": REASON_LABELS, "audit_action": AUDIT_ACTION_LABELS,
}


def label_context() -> dict:
    """The label tables for templates, in the request's language. A lazy string looks itself
    up in the catalogue each time it is shown (25 rows, several labels each): the tables are
    translated once per language and process instead, and found once per request (a CSV
    export reads them for every cell of 16,000 rows)."""
    return per_locale("label_tables", lambda locale: _translated_tables(str(locale)))


_TABLE_NAMES = {id(table): name for name, table in LABEL_TABLES.items()}


class Labels(dict):
    """A translated label table; an unknown code shows as itself."""

    def __missing__(self, code):
        return code


@functools.cache
def _translated_tables(locale: str) -> dict:
    # Called within a request whose locale is ``locale``: str() translates into it.
    return {name: Labels({code: str(label) for code, label in table.items()})
            for name, table in LABEL_TABLES.items()}


def label(table: dict, code) -> str:
    """The label of ``code`` in ``table`` (one of the tables above), in the current language
    (a request's, or the one ``force_locale`` chose for a mail); an unknown code as itself."""
    if code is None:
        return ""
    return label_context()[_TABLE_NAMES[id(table)]][code]


def show_value(name: str, value) -> str:
    """A stored value of field ``name`` as a person reads it: a code's label, a date in the
    language's format, money, a phone number; nothing as a dash."""
    if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(show_value(name, item) for item in value)
    if name in VALUE_TABLES:
        return label(VALUE_TABLES[name], value)
    if isinstance(value, (date, datetime)):
        return format_day(value)
    if name.endswith("_date") or name in ("documents_due",):
        try:
            return format_day(date.fromisoformat(str(value)[:10]))
        except ValueError:
            return str(value)
    if name == "phone_number":
        return format_phone_number(str(value))
    if name == "installation_costs":
        try:
            return format_money(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if name == "language" and value in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[value]
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, dict):
        return " · ".join(str(_l("%(field)s: %(value)s", field=key_label(key),
                                value=show_value(key, item)))
                         for key, item in sorted(value.items()))
    return str(value)


def labelled(table: dict, codes) -> list[tuple[str, str]]:
    """Choices of a filter: each code with its label, in the order of the labels."""
    return sorted(((code, label(table, code)) for code in codes), key=lambda c: c[1].casefold())


def key_label(key: str) -> str:
    """The label of a stored field's or an audit detail's name."""
    table = FIELD_LABELS if key in FIELD_LABELS else DETAIL_LABELS
    return label(table, key)
