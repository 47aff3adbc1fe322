"""Back-office: upload a National Register feed file (address changes, deaths) and follow
its import (a background job). Case handlers only ("backoffice.register_feed")."""
from flask import request, url_for
from flask_login import current_user
from markupsafe import Markup

from stts.blueprints.backoffice.blueprint import bp
from stts.blueprints.backoffice.forms import RegisterUploadForm
from stts.htmx import redirect_to
from stts.i18n import lazy_gettext as _l
from stts.permissions import requires
from stts.render import render
from stts.services import ServiceError
from stts.services import register_feed as service
from stts.services import yearly_check as jobs
from stts.uploads import limit_of, upload_limit


def _page(form, status=200):
    return render("backoffice/register.html", "backoffice/_register_form.html", form=form,
                  status=status, jobs=jobs.recent_jobs(service.KIND),
                  result_of=jobs.result_of,
                  # The file's column names, written as code (not words to translate).
                  csv_header=Markup("<code>{}</code>").format(", ".join(service.COLUMNS)),
                  max_mb=max(1, limit_of("REGISTER_FEED_MAX_BYTES") // (1024 * 1024)))


@bp.route("/register-feed", methods=["GET", "POST"])
@requires("backoffice.register_feed")
@upload_limit("REGISTER_FEED_MAX_BYTES")
def register_feed():
    form = RegisterUploadForm()
    if request.method == "GET":
        return _page(form)
    if form.validate_on_submit():
        raw = form.file.data.read(limit_of("REGISTER_FEED_MAX_BYTES") + 1)
        try:
            if len(raw) > limit_of("REGISTER_FEED_MAX_BYTES"):
                raise ServiceError(_l("The file is too large."), field="file")
            job = service.start_register_import(current_user, raw)
        except ServiceError as error:
            form.file.errors = list(form.file.errors) + [error.message]
        else:
            return redirect_to(url_for("backoffice.register_job", job_id=job.id))
    return _page(form, status=422)


@bp.route("/register-feed/<int:job_id>")
@requires("backoffice.register_feed")
def register_job(job_id):
    job = jobs.get_job(job_id, kind=service.KIND)
    return render("backoffice/job.html", "backoffice/_job.html", job=job,
                  result=jobs.result_of(job), error_message=service.error_message,
                  poll_url=url_for("backoffice.register_job", job_id=job.id),
                  back_url=url_for("backoffice.register_feed"))
