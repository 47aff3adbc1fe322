"""Actions on one dossier: modify, activate, cease, cancel the latest action."""
from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import ActivateForm, CancelForm, CeaseForm, ModifyForm
from stts.blueprints.desk.views import render_dossier
from stts.forms import apply_service_error
from stts.htmx import redirect_to
from stts.permissions import requires
from stts.render import render
from stts.services import Conflict, ServiceError
from stts.services.dossiers import cancelling, changes
from stts.services.dossiers.reading import load_dossier


def _load(dossier_id):
    return load_dossier(current_user, dossier_id)


@bp.route("/dossiers/<int:dossier_id>/modify", methods=["GET", "POST"])
@requires("desk.modify")
def modify(dossier_id):
    dossier = _load(dossier_id)
    form = ModifyForm(obj=dossier)
    status = 200
    if form.validate_on_submit():
        try:
            changes.modify_dossier(current_user, dossier_id, form.version.data,
                                   form.commercial_data())
        except ServiceError as error:
            status = apply_service_error(form, error)
            if isinstance(error, Conflict):
                form.version.data = load_dossier(current_user, dossier_id).version
        else:
            flash(_("The dossier was modified."), "success")
            return redirect_to(url_for("desk.dossier", dossier_id=dossier_id), code=303)
    elif form.is_submitted():
        status = 422
    return render("desk/modify.html", "desk/_modify_form.html", form=form, dossier=dossier,
                  status=status)


def _act(dossier_id, form, key, call, message):
    """Validate ``form``, run ``call`` (the one service), then go back to the dossier or
    re-render it with the form's errors (422, or 409 when the dossier changed meanwhile)."""
    dossier = _load(dossier_id)
    status = 422
    if form.validate_on_submit():
        try:
            call(form)
        except ServiceError as error:
            status = apply_service_error(form, error)
            if isinstance(error, Conflict):
                dossier = _load(dossier_id)
                form.version.data = dossier.version
        else:
            flash(message, "success")
            return redirect_to(url_for("desk.dossier", dossier_id=dossier_id), code=303)
    return render_dossier(dossier, status=status, **{key: form})


@bp.route("/dossiers/<int:dossier_id>/activate", methods=["POST"])
@requires("desk.modify")
def activate(dossier_id):
    return _act(dossier_id, ActivateForm(prefix="activate"), "activate_form",
                lambda f: changes.activate_dossier(current_user, dossier_id, f.version.data,
                                                   f.activation_date.data, f.invoice_date.data),
                _("The social tariff is active."))


@bp.route("/dossiers/<int:dossier_id>/cease", methods=["POST"])
@requires("desk.cease")
def cease(dossier_id):
    return _act(dossier_id, CeaseForm(prefix="cease"), "cease_form",
                lambda f: changes.cease_dossier(current_user, dossier_id, f.version.data,
                                                f.reason.data, f.effective_date.data,
                                                f.note.data),
                _("The social tariff was ceased."))


@bp.route("/dossiers/<int:dossier_id>/cancel", methods=["POST"])
@requires("desk.cancel_action")
def cancel(dossier_id):
    return _act(dossier_id, CancelForm(prefix="cancel"), "cancel_form",
                lambda f: cancelling.cancel_last_action(current_user, dossier_id, f.version.data,
                                                     f.action_id.data, f.reason.data),
                _("The action was cancelled."))
