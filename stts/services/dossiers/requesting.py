"""Request a social tariff for a person, or transfer it from another operator."""
from __future__ import annotations

from datetime import date

from peewee import IntegrityError
from stdnum.be import ssn

from stts import fastsql
from stts.db import write_transaction
from stts.eligibility import get_source
from stts.i18n import lazy_gettext as _l
from stts.models import Beneficiary, Dossier
from stts.models.dossiers import LIVE_STATES
from stts.services import ServiceError
from stts.services.dossiers.lookup import decide, household_key, is_complete, refuse_duplicate
from stts.services.dossiers.records import (
    COMMERCIAL,
    OPTIONAL_COMMERCIAL,
    add_action,
    audit,
    save,
    snapshot,
)
from stts.services.tasks import raise_task
from stts.text import search_key


def _birth_date(nrn: str):
    try:
        return ssn.get_birth_date(nrn)
    except Exception:  # BIS numbers with unknown dates
        return None


def request_tariff(user, data: dict) -> Dossier:
    """Create a dossier. Complete data → automatic decision (APPROVED or REVIEW); missing
    commercial data → INCOMPLETE with the task "Enter missing data"."""
    nrn = data["national_number"]
    result = get_source().check(nrn, date.today())  # asked once: decide reuses the answer
    last_name = (data.get("last_name") or "").strip() or result.last_name
    first_name = (data.get("first_name") or "").strip() or result.first_name
    if not last_name:
        raise ServiceError(_l("This person is not known: enter the last name."), field="last_name")
    if not first_name:
        raise ServiceError(_l("This person is not known: enter the first name."),
                           field="first_name")
    try:
        with write_transaction():
            refuse_duplicate(user, nrn, result.household_id)
            known = fastsql.execute("SELECT id FROM beneficiary WHERE national_number = {p}",
                                    (nrn,)).fetchone()
            beneficiary = Beneficiary.get_by_id(known[0]) if known else None
            person = {
                "last_name": last_name, "first_name": first_name,
                "last_name_key": search_key(last_name), "first_name_key": search_key(first_name),
                "birth_date": _birth_date(nrn),
                "street": result.street or data.get("street") or None,
                "postcode": result.postcode or data.get("postcode") or None,
                "city": result.city or data.get("city") or None,
                "household_id": result.household_id,
            }
            if beneficiary is None:
                beneficiary = fastsql.create(Beneficiary, national_number=nrn, **person)
            else:
                Beneficiary.update(**person).where(Beneficiary.id == beneficiary.id).execute()
                for name, value in person.items():
                    setattr(beneficiary, name, value)
            commercial = {name: data.get(name) or None for name in COMMERCIAL + OPTIONAL_COMMERCIAL}
            dossier = Dossier(beneficiary=beneficiary, company=user.company_id,
                              household_key=household_key(nrn, result.household_id),
                              last_name_key=beneficiary.last_name_key,
                              first_name_key=beneficiary.first_name_key,
                              category=data["category"], state="SUBMITTED", **commercial)
            if is_complete(commercial):
                dossier.state, dossier.decision_reason = decide(dossier, result)
                if dossier.state == "APPROVED":
                    dossier.decision_date = date.today()
            else:
                dossier.state = "INCOMPLETE"
            dossier.id = fastsql.insert(Dossier, {
                name: value for name, value in dossier.__data__.items() if name != "id"})
            add_action(dossier, user, "REQUEST", None,
                       after=snapshot(dossier, ("state", "category") + COMMERCIAL
                                               + OPTIONAL_COMMERCIAL))
            if dossier.state == "INCOMPLETE":
                raise_task("ENTER_MISSING_DATA", dossier, dossier.company_id)
            audit("dossier.requested", dossier, user, after={"state": dossier.state})
    except IntegrityError:
        # Someone else created the dossier of this person or household at the same moment.
        refuse_duplicate(user, nrn, result.household_id)
        raise ServiceError(_l("This person or their household already has a social tariff."),
                           field="national_number") from None
    return dossier


def transfer_tariff(user, nrn: str, data: dict) -> Dossier:
    """Take over the ACTIVE dossier of a person from another operator. The same dossier
    moves; the new operator's commercial data replaces the old; the old operator gets one
    task, "Transferred away", with its own data only."""
    with write_transaction():
        dossier = (Dossier.select(Dossier, Beneficiary).join(Beneficiary)
                   .where((Beneficiary.national_number == nrn)
                          & Dossier.state.in_(LIVE_STATES)).first())
        if dossier is None:
            # A household member whose household's tariff is elsewhere gets the same one path
            # as from Request (never "Use Request", which would refuse them in turn).
            refuse_duplicate(user, nrn, get_source().check(nrn, date.today()).household_id)
            raise ServiceError(_l("This person has no social tariff to transfer. Use Request."),
                               field="national_number")
        if dossier.company_id == user.company_id:
            raise ServiceError(_l("This social tariff is already with your company."),
                               field="national_number")
        if dossier.state != "ACTIVE":
            raise ServiceError(_l("Only an active social tariff can be transferred; this one "
                                  "is still being handled by the other operator."),
                               field="national_number")
        old_company = dossier.company_id
        fields = ("company_id",) + COMMERCIAL + OPTIONAL_COMMERCIAL + ("activation_date",
                                                                      "invoice_date")
        before = snapshot(dossier, fields)
        old_data = {"customer_number": dossier.customer_number,
                    "phone_number": dossier.phone_number}
        changes = {name: data.get(name) or None for name in COMMERCIAL + OPTIONAL_COMMERCIAL}
        changes["activation_date"] = data.get("activation_date") or date.today()
        changes["invoice_date"] = data.get("invoice_date") or None
        changes["company"] = user.company_id
        save(dossier, dossier.version, changes)
        dossier.company_id = user.company_id
        add_action(dossier, user, "TRANSFER", "ACTIVE", before=before,
                   after=snapshot(dossier, fields))
        # One event, one task: "Transferred away" asks the old operator to end the
        # reduction in its own billing (a second "Terminate reduction" task with another due
        # date asked the same thing twice).
        raise_task("TRANSFERRED_AWAY", dossier, old_company, details=old_data)
        audit("dossier.transferred", dossier, user, from_company=old_company,
              to_company=user.company_id)
    return dossier
