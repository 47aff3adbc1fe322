"""Request a social tariff (with the inline person lookup) and transfer one."""
from flask import flash, request, url_for
from flask_login import current_user

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import RequestForm, TransferForm
from stts.forms import apply_service_error
from stts.htmx import is_fragment, redirect_to
from stts.i18n import gettext as _
from stts.identifiers import InvalidIdentifier, clean_national_number
from stts.labels import STATE_LABELS
from stts.permissions import requires
from stts.ratelimit import lookup_limit
from stts.render import render
from stts.services import ServiceError
from stts.services.dossiers import requesting
from stts.services.dossiers.lookup import look_up_person


@bp.route("/request", methods=["GET", "POST"])
@requires("desk.request")
@lookup_limit
def request_tariff():
    form = RequestForm()
    status = 200
    if form.validate_on_submit():
        try:
            dossier = requesting.request_tariff(current_user, form.data_for_service())
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            flash(_("Dossier %(id)s saved: %(state)s.", id=dossier.id,
                    state=STATE_LABELS[dossier.state]), "success")
            return redirect_to(url_for("desk.dossier", dossier_id=dossier.id), code=303)
    elif form.is_submitted():
        status = 422
    situation = None
    if form.national_number.data and not form.national_number.errors:
        # What the lookup found stays on the page when a sent request is shown again with
        # its errors (counted and recorded as a lookup: it answers the same question).
        situation = _situation(form.national_number.data)
    return render("desk/request.html", "desk/_request_form.html", form=form, status=status,
                  situation=situation)


def _situation(raw: str):
    try:
        return look_up_person(current_user, clean_national_number(raw))
    except InvalidIdentifier:
        return None


@bp.route("/lookup", methods=["POST"])
@requires("desk.request")
@lookup_limit
def lookup():
    """The inline answer under the national register number: known? already benefiting?
    A POST (CSRF-checked), so the number never travels in a URL."""
    raw = request.form.get("national_number", "")
    situation, problem = None, None
    try:
        nrn = clean_national_number(raw)
    except InvalidIdentifier as error:
        problem = error.message
    else:
        situation = look_up_person(current_user, nrn)
    form = RequestForm(formdata=None, national_number=raw,
                       category=request.form.get("category") or "")
    return render("desk/request.html", "desk/_lookup.html", form=form, situation=situation,
                  problem=problem if raw else None, oob=is_fragment())


@bp.route("/transfer", methods=["GET", "POST"])
@requires("desk.transfer")
def transfer():
    if request.form.get("start"):
        # "Use Transfer" from the request's lookup: the form, with the number it looked up
        # (sent in the body: a national register number never travels in a URL).
        form = TransferForm(formdata=None, national_number=request.form.get("national_number"))
        return render("desk/transfer.html", "desk/_transfer_form.html", form=form)
    form = TransferForm()
    status = 200
    if form.validate_on_submit():
        try:
            dossier = requesting.transfer_tariff(current_user, form.national_number.data,
                                              {**form.commercial_data(),
                                               "activation_date": form.activation_date.data,
                                               "invoice_date": form.invoice_date.data})
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            flash(_("The social tariff was transferred to your company (dossier %(id)s).",
                    id=dossier.id), "success")
            return redirect_to(url_for("desk.dossier", dossier_id=dossier.id), code=303)
    elif form.is_submitted():
        status = 422
    return render("desk/transfer.html", "desk/_transfer_form.html", form=form, status=status)
