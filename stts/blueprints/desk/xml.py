"""Structured messages in the desk: upload a batch file, follow its progress, download its
response. Users with "xml.send"; only their own company's batches (others → 404)."""
from flask import abort, request, send_file, url_for
from flask_login import current_user

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import BatchUploadForm
from stts.htmx import redirect_to
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.services import Conflict
from stts.services.xml_batches import intake as service
from stts.uploads import limit_of, upload_limit


def _page(form, status=200):
    batches = service.list_batches(current_user, page_arg(request.args.get("page")))
    return render("xml/upload.html", "xml/_upload_form.html", form=form, batches=batches,
                  max_mb=limit_of("XML_MAX_BYTES") // (1024 * 1024), status=status)


@bp.route("/xml", methods=["GET", "POST"])
@requires("xml.send")
@upload_limit("XML_MAX_BYTES")
def xml_upload():
    form = BatchUploadForm()
    if request.method == "GET":
        return _page(form)
    status = 422
    if form.validate_on_submit():
        try:
            batch = service.receive_batch(form.file.data.stream, user=current_user,
                                          address=request.remote_addr)
        except service.BatchRefused as error:
            form.file.errors = list(form.file.errors) + [error.message]
            status = 413 if error.code == "too_large" else 422
        else:
            return redirect_to(url_for("desk.xml_batch", batch_id=batch.id), code=303)
    return _page(form, status=status)


def _batch(batch_id):
    return service.get_batch(current_user.company_id, batch_id)


@bp.route("/xml/batches/<int:batch_id>")
@requires("xml.send")
def xml_batch(batch_id):
    batch = _batch(batch_id)
    return render("xml/batch.html", "xml/_batch_status.html", batch=batch,
                  refusals=service.refusals(batch) if batch.finished else [],
                  refusals_shown=service.REFUSALS_SHOWN)


@bp.route("/xml/batches/<int:batch_id>/response.xml")
@requires("xml.send")
def xml_batch_response(batch_id):
    try:
        batch, path = service.response_path(current_user.company_id, batch_id)
    except Conflict:
        abort(409)
    return send_file(path, mimetype="application/xml", as_attachment=True,
                     download_name=f"stts-batch-{batch.id}-response.xml")
