"""Structured messages: XML sending for the company, its senders and technical accounts."""
from flask import flash, request, url_for
from flask_login import current_user

from stts.blueprints.console.blueprint import bp
from stts.blueprints.console.forms import TechnicalAccountForm, XmlSettingsForm
from stts.forms import apply_service_error
from stts.htmx import redirect_to
from stts.i18n import gettext as _
from stts.permissions import requires
from stts.render import render
from stts.services import ServiceError
from stts.services.console import (
    create_technical_account,
    revoke_technical_account,
    set_xml_sender,
    update_xml_settings,
    xml_overview,
)


def _page(settings=None, account_form=None, status=200, token=None, new_account=None):
    overview = xml_overview(current_user)
    company = overview.company
    if settings is None:
        settings = XmlSettingsForm(formdata=None, enabled=company.xml_enabled,
                                   result_email=company.xml_result_email,
                                   version=company.version)
    return render("console/xml.html", overview=overview, settings=settings,
                  account_form=account_form or TechnicalAccountForm(formdata=None),
                  token=token, new_account=new_account, status=status)


@bp.route("/xml", methods=["GET", "POST"])
@requires("console.structured_messages")
def xml_settings():
    if request.method == "GET":
        return _page()
    form = XmlSettingsForm()
    status = 422
    if form.validate_on_submit():
        try:
            update_xml_settings(current_user, enabled=bool(form.enabled.data),
                                result_email=form.result_email.data, version=form.version.data)
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            flash(_("The structured-message settings have been saved."), "success")
            return redirect_to(url_for("console.xml_settings"), code=303)
    return _page(settings=form, status=status)


@bp.route("/xml/senders/<int:user_id>", methods=["POST"])
@requires("console.structured_messages")
def xml_sender(user_id):
    allowed = request.form.get("allowed") == "1"
    user = set_xml_sender(current_user, user_id, allowed)
    if allowed:
        flash(_("%(username)s may now send structured messages.", username=user.username),
              "success")
    else:
        flash(_("%(username)s may no longer send structured messages.", username=user.username),
              "success")
    return redirect_to(url_for("console.xml_settings"), code=303)


@bp.route("/xml/accounts", methods=["POST"])
@requires("console.structured_messages")
def technical_account_new():
    form = TechnicalAccountForm()
    status = 422
    if form.validate_on_submit():
        try:
            account, token = create_technical_account(current_user, form.name.data)
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            # The token is shown on this response only: never stored, never redirected.
            return _page(token=token, new_account=account, status=201)
    return _page(account_form=form, status=status)


@bp.route("/xml/accounts/<int:account_id>/revoke", methods=["POST"])
@requires("console.structured_messages")
def technical_account_revoke(account_id):
    account = revoke_technical_account(current_user, account_id)
    flash(_("The technical account %(name)s has been revoked.", name=account.name), "success")
    return redirect_to(url_for("console.xml_settings"), code=303)
