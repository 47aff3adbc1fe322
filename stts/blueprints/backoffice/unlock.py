"""The access agent lifts the lockout of a local manager or an institution user."""
from flask import flash, url_for
from flask_login import current_user

from stts.blueprints.backoffice.blueprint import bp
from stts.blueprints.backoffice.forms import UnlockForm
from stts.htmx import redirect_to
from stts.i18n import gettext as _
from stts.permissions import requires
from stts.render import render
from stts.services import ServiceError
from stts.services.users import agent_unlock


@bp.route("/unlock", methods=["GET", "POST"])
@requires("backoffice.unlock")
def unlock():
    form = UnlockForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = agent_unlock(current_user, form.username.data, form.reason.data)
        except ServiceError as refused:
            form.username.errors = [refused.message]
            status = 422
        else:
            flash(_("%(username)s is unlocked.", username=user.username), "success")
            return redirect_to(url_for("backoffice.unlock"))
    elif form.is_submitted():
        status = 422
    return render("backoffice/unlock.html", "backoffice/_unlock_form.html", form=form,
                  status=status)
