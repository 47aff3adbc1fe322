"""The public portal: the entry point, the access-request wizard and the request follow-up."""
from flask import abort, redirect, request, session, url_for
from flask_login import current_user

from stts import identifiers
from stts.blueprints.portal.blueprint import bp
from stts.blueprints.portal.forms import STEP_FORMS, ConfirmForm, FollowForm
from stts.errors import render_error
from stts.htmx import is_htmx, redirect_to
from stts.identifiers import clean_enterprise_number
from stts.permissions import public
from stts.ratelimit import count_failure, failure_wait
from stts.render import render
from stts.services import NotFound, ServiceError
from stts.services import access_requests as service
from stts.uploads import upload_limit

DRAFT_KEY = "portal_draft"
SUBMITTED_KEY = "portal_submitted"


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    return render("portal/home.html")


def _draft():
    """This browser's draft; a GET without one sees a blank draft that is not stored."""
    draft = service.load_draft(session.get(DRAFT_KEY))
    if draft is None:
        if request.method != "POST":
            return service.blank_draft()
        draft = service.start_draft(address=request.remote_addr)
        session[DRAFT_KEY] = draft.key
    return draft


def _render_step(draft, step, form=None, status=200, message=None):
    values = service.draft_values(draft)
    if form is None and step != "overview":
        form = STEP_FORMS[step](formdata=None, data=values["raw"].get(step) or {})
    if step == "overview":
        form = form or ConfirmForm(formdata=None)
    return render("portal/wizard.html", "portal/_wizard.html", status=status, step=step,
                  steps=service.steps_of(draft), reached=service.first_incomplete_step(draft),
                  form=form, values=values, clean=values["clean"], draft=draft,
                  message=message, previous=service.previous_step(draft, step))


def _goto(draft, step):
    """Move to ``step``: a redirect, or for htmx the step's fragment with its URL pushed."""
    url = url_for("portal.wizard", step=step)
    if is_htmx():
        response = _render_step(draft, step)
        response.headers["HX-Push-Url"] = url
        return response
    return redirect(url, code=303)


@bp.route("/access-request")
@public
def wizard_start():
    draft = _draft()
    return redirect(url_for("portal.wizard", step=service.first_incomplete_step(draft)))


@bp.route("/access-request/<step>", methods=["GET", "POST"])
@public
@upload_limit("GAZETTE_MAX_BYTES")
def wizard(step):
    if step not in service.STEPS:
        abort(404)
    draft = _draft()
    if not service.step_allowed(draft, step):
        return _goto(draft, service.first_incomplete_step(draft))
    if step == "overview":
        return _overview(draft)
    form = STEP_FORMS[step]()
    if request.method == "GET":
        return _render_step(draft, step)
    if request.form.get("action") == "back":
        service.save_draft_input(draft, step, form.raw())
        return _goto(draft, service.previous_step(draft, step) or step)
    if not form.validate_on_submit():
        service.save_draft_input(draft, step, form.raw())
        return _render_step(draft, step, form=form, status=422)
    try:
        service.save_draft_step(draft, step, form.raw(), form.cleaned(),
                                upload=request.files.get("gazette"),
                                address=request.remote_addr)
    except ServiceError as refused:
        service.save_draft_input(draft, step, form.raw())
        if refused.field and refused.field in form:
            form[refused.field].errors = [refused.message]
            return _render_step(draft, step, form=form, status=422)
        return _render_step(draft, step, form=form, status=422, message=refused.message)
    return _goto(draft, service.next_step(draft, step))


def _overview(draft):
    form = ConfirmForm()
    if request.method == "GET":
        return _render_step(draft, "overview", form=form)
    if request.form.get("action") == "back":
        return _goto(draft, service.previous_step(draft, "overview"))
    if not form.validate_on_submit():
        return _render_step(draft, "overview", form=form, status=422)
    try:
        access_request = service.submit_access_request(draft, address=request.remote_addr)
    except ServiceError as refused:
        return _render_step(draft, "overview", form=form, status=422, message=refused.message)
    session.pop(DRAFT_KEY, None)
    session[SUBMITTED_KEY] = access_request.id
    return redirect_to(url_for("portal.submitted"), code=303)


@bp.route("/access-request/check/<step>/<name>", methods=["POST"])
@public
def check_field(step, name):
    """Inline validation: only this field, re-rendered with its error (or formatted value)."""
    if step not in STEP_FORMS:
        abort(404)
    form = STEP_FORMS[step]()
    if name not in form or name in ("csrf_token", "gazette"):
        abort(404)
    field = form[name]
    field.validate(form)
    if not field.errors and isinstance(field.data, str) and field.data.strip():
        field.data = _display(name, field.data)
    return render("portal/_check_field.html", "portal/_check_field.html", form=form,
                  field=field, step=step)


def _display(name, value):
    formatters = {
        "enterprise_number": (identifiers.clean_enterprise_number,
                              identifiers.format_enterprise_number),
        "national_number": (identifiers.clean_national_number,
                            identifiers.format_national_number),
        "phone": (identifiers.clean_phone_number, identifiers.format_phone_number),
    }
    if name in formatters:
        clean, show = formatters[name]
        return show(clean(value))
    return value


@bp.route("/access-request/submitted")
@public
def submitted():
    access_request = _submitted_request()
    return render("portal/submitted.html", access_request=access_request)


@bp.route("/access-request/official-form")
@public
def official_form():
    access_request = _submitted_request()
    return render("portal/official_form.html", access_request=access_request)


def _submitted_request():
    """The request this browser session just submitted; nobody else's."""
    request_id = session.get(SUBMITTED_KEY)
    if not isinstance(request_id, int):
        abort(404)
    return service.get_request(request_id)


FOLLOW_FAILURES = ("follow", "PORTAL_FOLLOW_FAILURES")


@bp.route("/access-request/follow", methods=["GET", "POST"])
@public
def follow():
    form = FollowForm()
    status, found, message = 200, None, None
    if request.method == "POST":
        wait = failure_wait(*FOLLOW_FAILURES)
        if wait:
            # Too many wrong ticket numbers from this address: it waits, nothing is looked up.
            response, _incident = render_error(429)
            response.headers["Retry-After"] = str(wait)
            return response
    if form.validate_on_submit():
        try:
            found = service.follow_request(
                form.ticket.data, clean_enterprise_number(form.enterprise_number.data),
                address=request.remote_addr,
                count_failure=lambda: count_failure(*FOLLOW_FAILURES))
        except NotFound as missing:
            message, status = missing.message, 422
    elif form.is_submitted():
        status = 422
    return render("portal/follow.html", "portal/_follow.html", status=status, form=form,
                  found=found, message=message)
