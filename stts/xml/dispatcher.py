"""Apply one structured message through the dossier desk's services, with the same rules and
rights as the web desk.

The sender is a ``User`` (rights from the permission table) or, for the API, a
``technical_sender(account)``: an unsaved ``User`` standing for the technical account, with the
rights of STTS 2 (request, transfer, modify/complete, cease — not cancel; docs/xml.md). The
services only use ``id`` (None: no personal author), ``company_id``, ``company``, ``username``,
``full_name`` and ``language`` of it.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from stts.i18n import lazy_gettext as _l
from stts.identifiers import InvalidIdentifier, clean_national_number, clean_phone_number
from stts.models import User
from stts.rights import ANY_USER, PERMISSIONS, allowed
from stts.services import NotFound, ServiceError, parse_id, parse_version
from stts.services.dossiers import cancelling, changes, reading, requesting
from stts.services.dossiers.records import COMMERCIAL

# The desk action each message type needs (stts/rights.py).
RIGHTS = {
    "Request": "desk.request",
    "Transfer": "desk.transfer",
    "CompleteData": "desk.modify",
    "Modify": "desk.modify",
    "Cease": "desk.cease",
    "CancelAction": "desk.cancel_action",
}
TECHNICAL_PROFILE = "STTS2"
COMMERCIAL_TAGS = {"Service": "service", "PhoneNumber": "phone_number",
                   "CustomerNumber": "customer_number", "TariffFormula": "tariff_formula",
                   "InstallationCosts": "installation_costs"}


class Forbidden(ServiceError):
    """The sender's rights do not allow this message type."""


class Invalid(ServiceError):
    """A value passed the schema but is not valid (check digits, impossible date...)."""


def technical_sender(account, language: str) -> User:
    """An unsaved User acting for a technical account: its company, STTS 2 rights."""
    sender = User(id=None, company=account.company, username=f"api:{account.name}"[:64],
                  first_name=account.name, last_name="(API)", language=language,
                  is_local_manager=False, blocked=False)
    sender._stts_roles = frozenset({ANY_USER, TECHNICAL_PROFILE, "XML_SENDER"})
    sender.technical_account_id = account.id
    return sender


def technical_rights() -> list[str]:
    return [action for action in RIGHTS.values() if TECHNICAL_PROFILE in PERMISSIONS[action]]


# --- field conversion ---------------------------------------------------------------------

def _nrn(value: str) -> str:
    try:
        return clean_national_number(value)
    except InvalidIdentifier as error:
        raise Invalid(error.message, field="national_number") from None


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(_l("%(value)s is not a valid date.", value=value), field=field) from None


def _commercial(data: dict) -> dict:
    values = {}
    for tag, name in COMMERCIAL_TAGS.items():
        if tag not in data:
            continue
        value = data[tag]
        if name == "phone_number":
            try:
                value = clean_phone_number(value)
            except InvalidIdentifier as error:
                raise Invalid(error.message, field=name) from None
        elif name == "installation_costs":
            try:
                value = Decimal(value)
            except InvalidOperation:
                raise Invalid(_l("%(value)s is not a valid amount.", value=value),
                              field=name) from None
        values[name] = value
    return values


def _dossier_id(data: dict) -> int:
    """The schema allows any positive integer; one beyond the database's range names no
    dossier (NOT_FOUND, like an unknown one), never an overflow."""
    dossier_id = parse_id(data["DossierId"])
    if dossier_id is None:
        raise NotFound(_l("This dossier does not exist."))
    return dossier_id


def _version(data: dict, dossier) -> int:
    """A Version out of range is no version of the dossier: CONFLICT."""
    return parse_version(data["Version"]) if data.get("Version") else dossier.version


def _merged(dossier, data: dict) -> dict:
    """Current commercial data with the message's fields laid over it."""
    current = {name: getattr(dossier, name) for name in COMMERCIAL_TAGS.values()}
    current.update(_commercial(data))
    return current


# --- the message types --------------------------------------------------------------------

def _request(sender, data):
    values = {"national_number": _nrn(data["NationalNumber"]), "category": data["Category"],
              "last_name": data.get("LastName"), "first_name": data.get("FirstName"),
              "street": data.get("Street"), "postcode": data.get("Postcode"),
              "city": data.get("City"), **_commercial(data)}
    return requesting.request_tariff(sender, values)


def _transfer(sender, data):
    values = {**_commercial(data),
              "activation_date": _date(data.get("ActivationDate"), "activation_date"),
              "invoice_date": _date(data.get("InvoiceDate"), "invoice_date")}
    return requesting.transfer_tariff(sender, _nrn(data["NationalNumber"]), values)


def _complete(sender, data):
    dossier = reading.load_dossier(sender, _dossier_id(data))
    if dossier.state != "INCOMPLETE":
        raise ServiceError(_l("This dossier is not waiting for missing data."))
    values = _merged(dossier, data)
    missing = [tag for tag, name in COMMERCIAL_TAGS.items()
               if name in COMMERCIAL and not values.get(name)]
    if missing:
        raise ServiceError(_l("The data is still incomplete; missing: %(fields)s.",
                              fields=", ".join(missing)))
    return changes.modify_dossier(sender, dossier.id, _version(data, dossier), values)


def _modify(sender, data):
    dossier = reading.load_dossier(sender, _dossier_id(data))
    return changes.modify_dossier(sender, dossier.id, _version(data, dossier),
                               _merged(dossier, data))


def _cease(sender, data):
    dossier = reading.load_dossier(sender, _dossier_id(data))
    return changes.cease_dossier(sender, dossier.id, _version(data, dossier), data["Reason"],
                              _date(data["EffectiveDate"], "effective_date"),
                              data.get("Note") or None)


def _cancel(sender, data):
    dossier = reading.load_dossier(sender, _dossier_id(data))
    action_id = data.get("ActionId")
    if not action_id:
        action = cancelling.last_action(dossier)
        if action is None:
            raise ServiceError(_l("This dossier has no action to cancel."))
        action_id = action.id
    return cancelling.cancel_last_action(sender, dossier.id, _version(data, dossier), action_id,
                                   data["Reason"])


HANDLERS = {"Request": _request, "Transfer": _transfer, "CompleteData": _complete,
            "Modify": _modify, "Cease": _cease, "CancelAction": _cancel}


def apply_message(sender, kind: str, data: dict):
    """Apply one message; returns the dossier. Raises ServiceError (or a subclass) when the
    message is refused. The caller owns the surrounding savepoint."""
    if not allowed(sender, RIGHTS[kind]):
        raise Forbidden(_l("Your rights do not allow this message type (%(kind)s).", kind=kind))
    return HANDLERS[kind](sender, data)
