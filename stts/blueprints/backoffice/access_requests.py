"""Back-office: the queue of access requests (designating local managers)."""
from flask import abort, flash, request, send_file, url_for
from flask_login import current_user

from stts.blueprints.backoffice.blueprint import bp
from stts.blueprints.backoffice.forms import (
    AccessRequestFilterForm,
    OriginalForm,
    RefuseForm,
    VersionForm,
)
from stts.forms import submit
from stts.htmx import redirect_to
from stts.i18n import gettext as _
from stts.models import User
from stts.models.portal import AR_STATUSES
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.services import access_decisions as service
from stts.services.access_requests import (
    gazette_path,
    get_request,
    open_counts,
    requests_for_number,
)


@bp.route("/access-requests")
@requires("backoffice.access_requests")
def access_requests():
    form = AccessRequestFilterForm(request.args)
    form.validate()
    status = form.status.data if form.status.data in ("open", "all", *AR_STATUSES) else "open"
    result = service.list_requests(status=status, overdue=bool(form.overdue.data),
                                   query=form.q.data or "", page=page_arg(form.page.data))
    return render("backoffice/access_requests.html", "backoffice/_access_requests_rows.html",
                  form=form, rows=result.rows, total=result.total, page_number=result.page,
                  pages=result.pages, status_filter=status,
                  open_counts=open_counts(row.enterprise_number for row in result.rows))


def _detail(request_id, *, status=200, original_form=None, refuse_form=None, message=None):
    row = get_request(request_id)
    original_form = original_form or OriginalForm(formdata=None)
    refuse_form = refuse_form or RefuseForm(formdata=None)
    version_form = VersionForm(formdata=None)
    for form in (original_form, refuse_form, version_form):
        form.version.data = row.version  # a form shown again sends the request's version now
    manager = User.get_or_none(User.id == row.manager_user_id) if row.manager_user_id else None
    can_reissue = manager is not None and manager.is_local_manager and (
        manager.username_provisional or manager.password_provisional)
    return render("backoffice/access_request.html", "backoffice/_access_request_detail.html",
                  status=status, row=row, original_form=original_form, refuse_form=refuse_form,
                  version_form=version_form,
                  message=message, can_reissue=can_reissue,
                  approval_blocker=service.approval_blocker(row),
                  has_gazette_file=gazette_path(row) is not None,
                  others=requests_for_number(row))


@bp.route("/access-requests/<int:request_id>")
@requires("backoffice.access_requests")
def access_request(request_id):
    return _detail(request_id)


def _done(request_id, text):
    flash(text, "success")
    return redirect_to(url_for("backoffice.access_request", request_id=request_id), code=303)


def _act(request_id, form, action, success, **shown):
    """Call the one service, then back to the request; or the request again with the
    errors: on the form when it is ``shown`` (the refusal's reason), otherwise as a banner."""
    def failed(status):
        message = None if shown else " ".join(str(m) for m in form.form_errors) or None
        return _detail(request_id, status=status, message=message, **shown)

    return submit(form, lambda _form: action(), success=lambda _result: _done(request_id, success),
                  failure=failed)


@bp.route("/access-requests/<int:request_id>/original", methods=["POST"])
@requires("backoffice.access_requests")
def access_request_original(request_id):
    form = OriginalForm()
    return _act(request_id, form, lambda: service.record_original(
        request_id, form.version.data, gazette_received=form.gazette_received.data,
        actor=current_user), _("The arrival of the signed original is recorded."),
        original_form=form)


@bp.route("/access-requests/<int:request_id>/gazette", methods=["POST"])
@requires("backoffice.access_requests")
def access_request_gazette_received(request_id):
    form = VersionForm()
    return _act(request_id, form, lambda: service.record_gazette(
        request_id, form.version.data, actor=current_user),
        _("The arrival of the Official Gazette copy is recorded."))


@bp.route("/access-requests/<int:request_id>/approve", methods=["POST"])
@requires("backoffice.access_requests")
def access_request_approve(request_id):
    form = VersionForm()
    return _act(request_id, form, lambda: service.approve_request(
        request_id, form.version.data, actor=current_user),
        _("The request is approved. The provisional credentials were sent to the local "
          "manager by e-mail; they are not shown here."))


@bp.route("/access-requests/<int:request_id>/reissue", methods=["POST"])
@requires("backoffice.access_requests")
def access_request_reissue(request_id):
    form = VersionForm()
    return _act(request_id, form, lambda: service.reissue_credentials(
        request_id, form.version.data, actor=current_user),
        _("New provisional credentials were sent to the local manager by e-mail."))


@bp.route("/access-requests/<int:request_id>/refuse", methods=["POST"])
@requires("backoffice.access_requests")
def access_request_refuse(request_id):
    form = RefuseForm()
    return _act(request_id, form, lambda: service.refuse_request(
        request_id, form.version.data, form.reason.data, actor=current_user),
        _("The request is refused."), refuse_form=form)


@bp.route("/access-requests/<int:request_id>/gazette.pdf")
@requires("backoffice.access_requests")
def access_request_gazette(request_id):
    row = get_request(request_id)
    path = gazette_path(row)
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"gazette-{row.ticket}.pdf")
