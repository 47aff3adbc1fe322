"""Back-office: the institution reads the audit trail of every company and checks its chain."""
from flask import redirect, request, url_for
from flask_login import current_user

from stts.blueprints.backoffice.blueprint import bp
from stts.blueprints.backoffice.forms import AuditFilterForm, VerifyForm
from stts.htmx import is_htmx
from stts.i18n import gettext as _
from stts.labels import AUDIT_ACTION_LABELS, AUDIT_RESULT_LABELS, OBJECT_LABELS, label, labelled
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.services import audit_trail as service
from stts.services import parse_id


def _filter_form():
    form = AuditFilterForm(formdata=request.args)
    form.company.choices = [("", _("All companies"))] + [
        (str(i), name) for i, name in service.companies()]
    form.action.choices = [("", _("Any action"))] + labelled(AUDIT_ACTION_LABELS,
                                                             service.actions())
    form.object_type.choices = [("", _("Any object"))] + labelled(OBJECT_LABELS,
                                                                 service.object_types())
    form.result.choices = [("", _("Any result"))] + [
        (r, label(AUDIT_RESULT_LABELS, r)) for r in service.results()]
    return form


def _args(form) -> dict:
    names = ("company", "actor", "action", "object_type", "object_id", "result")
    args = {name: form[name].data for name in names if form[name].data}
    for name in ("date_from", "date_to"):
        if form[name].data:
            args[name] = form[name].data.isoformat()
    return args


@bp.route("/audit")
@requires("backoffice.audit")
def audit():
    form = _filter_form()
    result, status = None, 200
    hashed = service.object_filter_value(form.object_id.data or "")
    if hashed != (form.object_id.data or "").strip():
        # A national register number typed in the filter: search (and keep in the address
        # bar and history) only its keyed hash, never the number itself.
        form.object_id.data = hashed
        if not is_htmx():
            return redirect(url_for("backoffice.audit", **{**_args(form), "object_id": hashed}))
    if form.validate():
        criteria = service.AuditFilter(
            company_id=parse_id(form.company.data) if form.company.data else None,
            actor=form.actor.data or "", action=form.action.data or "",
            object_type=form.object_type.data or "", object_id=form.object_id.data or "",
            result=form.result.data or "", date_from=form.date_from.data,
            date_to=form.date_to.data)
        result = service.search_events(criteria, page=page_arg(request.args.get("page")))
    else:
        status = 422
    response = render("backoffice/audit.html", "backoffice/_audit_results.html", status=status,
                      form=form, result=result, args=_args(form), verify_form=VerifyForm(),
                      check=None)
    if is_htmx():
        response.headers["HX-Push-Url"] = url_for("backoffice.audit", **_args(form))
    return response


@bp.route("/audit/verify", methods=["POST"])
@requires("backoffice.audit")
def audit_verify():
    """Recompute the chain now. Nothing changes but the event saying the check was made, so
    the answer is the result itself (a reload simply checks again)."""
    verify_form = VerifyForm()
    if not verify_form.validate_on_submit():
        return render("backoffice/audit_verify.html", "backoffice/_audit_verify.html",
                      status=422, verify_form=verify_form, check=None)
    check = service.verify_trail(current_user)
    return render("backoffice/audit_verify.html", "backoffice/_audit_verify.html",
                  verify_form=verify_form, check=check)
