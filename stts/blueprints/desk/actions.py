"""Actions on one dossier: modify, activate, cease, cancel the latest action."""
from flask import flash, url_for
from flask_login import current_user

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import ActivateForm, CancelForm, CeaseForm, ModifyForm
from stts.blueprints.desk.views import mark_after_action, render_dossier
from stts.forms import submit
from stts.htmx import redirect_to
from stts.i18n import gettext as _
from stts.permissions import requires
from stts.render import render
from stts.services.dossiers import cancelling, changes
from stts.services.dossiers.reading import load_dossier


def _load(dossier_id):
    return load_dossier(current_user, dossier_id)


def _back_to_dossier(dossier_id, message):
    flash(message, "success")
    mark_after_action(dossier_id)
    return redirect_to(url_for("desk.dossier", dossier_id=dossier_id), code=303)


@bp.route("/dossiers/<int:dossier_id>/modify", methods=["GET", "POST"])
@requires("desk.modify")
def modify(dossier_id):
    dossier = _load(dossier_id)
    form = ModifyForm(obj=dossier)
    if not form.is_submitted():
        return render("desk/modify.html", "desk/_modify_form.html", form=form, dossier=dossier)
    return submit(
        form, lambda f: changes.modify_dossier(current_user, dossier_id, f.version.data,
                                               f.commercial_data()),
        success=lambda _result: _back_to_dossier(dossier_id, _("The dossier was modified.")),
        failure=lambda status: render("desk/modify.html", "desk/_modify_form.html", form=form,
                                      dossier=dossier, status=status),
        current_version=lambda: _load(dossier_id).version)


def _act(dossier_id, form, key, call, message):
    """An action of the dossier page: back to the dossier, or the page again with the
    form's errors."""
    return submit(form, call, success=lambda _result: _back_to_dossier(dossier_id, message),
                  failure=lambda status: render_dossier(_load(dossier_id), status=status,
                                                        **{key: form}),
                  current_version=lambda: _load(dossier_id).version)


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
