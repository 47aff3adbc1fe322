"""The local-manager console: home and own data. Users, structured messages and activity
live in their own modules."""
from flask import flash, url_for
from flask_login import current_user

from stts.blueprints.console.blueprint import bp
from stts.blueprints.console.forms import OwnDataForm
from stts.forms import apply_service_error
from stts.htmx import redirect_to
from stts.i18n import gettext as _
from stts.permissions import requires
from stts.render import render
from stts.services import ServiceError
from stts.services.users import update_own_data


@bp.route("/")
@requires("console.users")
def home():
    return render("console/home.html")


@bp.route("/own-data", methods=["GET", "POST"])
@requires("console.users")
def own_data():
    company = current_user.company
    form = OwnDataForm(
        email=current_user.email, company_email=company.email, language=current_user.language,
        version=current_user.version, company_version=company.version)
    status = 200
    if form.validate_on_submit():
        try:
            update_own_data(current_user, email=form.email.data,
                            company_email=form.company_email.data,
                            language=form.language.data, version=form.version.data,
                            company_version=form.company_version.data)
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            flash(_("Your data has been saved."), "success")
            # A full page load, so that a new language applies at once.
            return redirect_to(url_for("console.own_data"), code=303)
    elif form.is_submitted():
        status = 422
    return render("console/own_data.html", "console/_own_data_form.html", form=form,
                  status=status)
