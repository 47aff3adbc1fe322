"""Structured messages in the desk: upload a batch file, follow its progress, download its
response. Users with "xml.send"; only their own company's batches (others → 404)."""
from flask import abort, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired

from stts.blueprints.desk.blueprint import bp
from stts.forms import Form
from stts.htmx import redirect_to
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.services import Conflict
from stts.services.xml_batches import intake as service
from stts.services.xml_batches.settings import setting

UPLOAD_ENDPOINT = "desk.xml_upload"
BATCH_STATE_LABELS = {
    "RECEIVED": _l("Received, waiting"),
    "VALIDATING": _l("Checking the file"),
    "PROCESSING": _l("Applying the messages"),
    "DONE": _l("Done"),
    "REJECTED": _l("Rejected as a whole"),
}


@bp.context_processor
def _batch_labels():
    return {"BATCH_STATE_LABELS": BATCH_STATE_LABELS}


class BatchUploadForm(Form):
    file = FileField(_l("Batch file (XML)"),
                     validators=[FileRequired(_l("Choose the XML file to send."))],
                     description=_l("One batch per file, UTF-8, as described by the batch "
                                    "schema."),
                     render_kw={"accept": ".xml,application/xml,text/xml"})


@bp.url_value_preprocessor
def _upload_size_limit(endpoint, values):
    """The upload's own size limit, set before anything reads the body (CSRF parses it)."""
    if endpoint == UPLOAD_ENDPOINT and request.method == "POST":
        request.max_content_length = setting("XML_MAX_BYTES")


def _page(form, status=200):
    batches = service.list_batches(current_user, page_arg(request.args.get("page")))
    return render("xml/upload.html", "xml/_upload_form.html", form=form, batches=batches,
                  max_mb=setting("XML_MAX_BYTES") // (1024 * 1024), status=status)


@bp.route("/xml", methods=["GET", "POST"])
@requires("xml.send")
def xml_upload():
    form = BatchUploadForm()
    if request.method == "GET":
        return _page(form)
    if form.validate_on_submit():
        try:
            batch = service.receive_batch(form.file.data.stream, user=current_user,
                                          address=request.remote_addr)
        except service.BatchRefused as error:
            form.file.errors = list(form.file.errors) + [error.message]
        else:
            return redirect_to(url_for("desk.xml_batch", batch_id=batch.id), code=303)
    return _page(form, status=422)


def _batch(batch_id):
    return service.get_batch(current_user.company_id, batch_id)


@bp.route("/xml/batches/<int:batch_id>")
@requires("xml.send")
def xml_batch(batch_id):
    return render("xml/batch.html", "xml/_batch_status.html", batch=_batch(batch_id))


@bp.route("/xml/batches/<int:batch_id>/response.xml")
@requires("xml.send")
def xml_batch_response(batch_id):
    try:
        batch, path = service.response_path(current_user.company_id, batch_id)
    except Conflict:
        abort(409)
    return send_file(path, mimetype="application/xml", as_attachment=True,
                     download_name=f"stts-batch-{batch.id}-response.xml")
