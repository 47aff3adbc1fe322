"""First login of a local manager: choose the username (for good) and the password."""
from flask import flash, redirect, request, url_for
from flask_login import current_user

from stts.auth import finish_session
from stts.blueprints.auth.blueprint import bp
from stts.blueprints.auth.forms import FirstLoginForm
from stts.htmx import redirect_to
from stts.i18n import gettext as _
from stts.models import User
from stts.permissions import requires
from stts.render import render
from stts.services import ServiceError
from stts.services.first_login import FirstLoginRefused, complete_first_login


@bp.route("/first-login", methods=["GET", "POST"], endpoint="first_login")
@requires("account.own")
def first_login():
    if not current_user.username_provisional:
        return redirect(url_for("auth.home"))
    form = FirstLoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            complete_first_login(
                User.get_by_id(current_user.id), username=form.username.data,
                username_confirm=form.username_confirm.data, password=form.password.data,
                password_confirm=form.password_confirm.data,
                national_number=form.national_number.data, address=request.remote_addr)
        except FirstLoginRefused as refused:
            for name, message in refused.errors.items():
                form[name].errors = [message]
            status = 422
        except ServiceError as refused:
            form.username.errors = [refused.message]
            status = 422
        else:
            # complete_first_login ended every session: log out here too, then log in again.
            finish_session()
            flash(_("Your local manager account is ready. Log in with your new username "
                    "and password."), "success")
            return redirect_to(url_for("auth.login"), code=303)
    elif form.is_submitted():
        status = 422
    form.password.data = form.password_confirm.data = ""
    return render("auth/first_login.html", "auth/_first_login_form.html", form=form,
                  status=status)
