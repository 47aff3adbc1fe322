"""Back-office: the regulator's review queue, the review of one dossier and the yearly check."""
from datetime import date

from flask import flash, request, url_for
from flask_login import current_user

from stts.blueprints.backoffice.blueprint import bp
from stts.blueprints.backoffice.forms import (
    AskDocumentsForm,
    CloseForm,
    DecideForm,
    ReviewFilterForm,
    StartForm,
)
from stts.forms import submit
from stts.htmx import redirect_to
from stts.i18n import gettext as _
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.services import ServiceError, parse_id, yearly_check
from stts.services import review as service

# --- forms ------------------------------------------------------------------------------------


def _forms(dossier, **overrides) -> dict:
    forms = {
        "decide_form": DecideForm(prefix="decide", version=dossier.version, formdata=None),
        "documents_form": AskDocumentsForm(prefix="documents", version=dossier.version,
                                           formdata=None),
        "close_form": CloseForm(prefix="close", version=dossier.version, formdata=None),
    }
    forms.update(overrides)
    return forms


# --- the queue ----------------------------------------------------------------------------------

@bp.route("/review")
@requires("backoffice.review")
def review_queue():
    form = ReviewFilterForm(request.args)
    form.operator.choices = [("", _("All"))] + [(str(i), n) for i, n in service.operators()]
    if not form.validate():
        form = ReviewFilterForm(formdata=None)
        form.operator.choices = [("", _("All"))] + [(str(i), n) for i, n in service.operators()]
    result = service.review_queue(
        company_id=parse_id(form.operator.data) if form.operator.data else None,
        category=form.category.data or None,
        older_than=int(form.age.data) if form.age.data else None,
        page=page_arg(form.page.data))
    return render("backoffice/review_queue.html", "backoffice/_review_queue.html", form=form,
                  result=result, today=date.today())


# --- one dossier --------------------------------------------------------------------------------

def _render_review(dossier, status=200, **overrides):
    return render("backoffice/review.html", "backoffice/_review.html", status=status,
                  dossier=dossier, eligibility=service.eligibility_of(dossier),
                  timeline=service.review_timeline(dossier), today=date.today(),
                  can_close=service.can_close(dossier), **_forms(dossier, **overrides))


@bp.route("/review/<int:dossier_id>")
@requires("backoffice.review")
def review_dossier(dossier_id):
    dossier = service.view_for_review(current_user, dossier_id)
    return _render_review(dossier)


def _act(dossier_id, form, key, call, message):
    """Call the one service, then back to the queue; or the review page again with the
    form's errors."""
    def done(_result):
        flash(message, "success")
        return redirect_to(url_for("backoffice.review_queue"))

    return submit(form, call, success=done,
                  failure=lambda status: _render_review(service.load_for_review(dossier_id),
                                                        status=status, **{key: form}),
                  current_version=lambda: service.load_for_review(dossier_id).version)


@bp.route("/review/<int:dossier_id>/decide", methods=["POST"])
@requires("backoffice.review")
def review_decide(dossier_id):
    return _act(dossier_id, DecideForm(prefix="decide"), "decide_form",
                lambda f: service.decide_dossier(current_user, dossier_id, f.version.data,
                                                 f.decision.data, f.reason.data),
                _("The decision was recorded; the operator was told."))


@bp.route("/review/<int:dossier_id>/documents", methods=["POST"])
@requires("backoffice.review")
def review_documents(dossier_id):
    return _act(dossier_id, AskDocumentsForm(prefix="documents"), "documents_form",
                lambda f: service.ask_documents(current_user, dossier_id, f.version.data,
                                                f.due_date.data, f.reason.data),
                _("The documents were asked."))


@bp.route("/review/<int:dossier_id>/close", methods=["POST"])
@requires("backoffice.review")
def review_close(dossier_id):
    return _act(dossier_id, CloseForm(prefix="close"), "close_form",
                lambda f: service.close_file(current_user, dossier_id, f.version.data,
                                             f.reason.data),
                _("The file was closed; the operator was told."))


# --- the yearly check ---------------------------------------------------------------------------

@bp.route("/yearly-check", methods=["GET", "POST"])
@requires("backoffice.review")
def yearly_check_home():
    form = StartForm()
    status = 200
    if form.validate_on_submit():
        try:
            job = yearly_check.start_yearly_check(current_user)
        except ServiceError as error:
            form.form_errors.append(error.message)
            status = 409
        else:
            return redirect_to(url_for("backoffice.yearly_check_job", job_id=job.id))
    elif form.is_submitted():
        status = 422
    return render("backoffice/review_yearly.html", form=form, status=status,
                  jobs=yearly_check.recent_jobs(), result_of=yearly_check.result_of)


@bp.route("/yearly-check/<int:job_id>")
@requires("backoffice.review")
def yearly_check_job(job_id):
    job = yearly_check.get_job(job_id)
    return render("backoffice/job.html", "backoffice/_job.html", job=job,
                  result=yearly_check.result_of(job),
                  poll_url=url_for("backoffice.yearly_check_job", job_id=job.id),
                  back_url=url_for("backoffice.yearly_check_home"))
