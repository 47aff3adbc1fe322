"""The dossier desk: home, search, CSV export and the dossier page."""

from flask import abort, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import ActivateForm, CancelForm, CeaseForm, SearchForm
from stts.csv_export import stream_csv
from stts.htmx import is_htmx
from stts.models.dossiers import CEASABLE_STATES
from stts.pagination import cursor_arg, page_arg
from stts.permissions import requires
from stts.render import render
from stts.rights import allowed
from stts.services.dossiers import reading
from stts.services.dossiers.cancelling import cancellable
from stts.services.dossiers.search import export_rows, search_dossiers


@bp.route("/")
@requires("desk.home")
def home():
    form = SearchForm(formdata=None)
    counts = reading.count_by_state(current_user) if allowed(current_user, "desk.search") else {}
    return render("desk/home.html", form=form, counts=counts,
                  count_limit=reading.HOME_COUNT_LIMIT)


def _search_form():
    """The search's criteria. A national register number never travels in a URL: it is read
    from a POST only, and ignored in a query string."""
    if request.method == "POST":
        form = SearchForm(request.form)
    else:
        args = request.args.copy()
        args.pop("national_number", None)
        form = SearchForm(args)
    valid = form.validate()
    return form, valid


def _url_args(form, page: bool = True) -> dict:
    """The criteria as query arguments, without the national number (links, address bar)."""
    names = (*SearchForm.FILTERS, "page") if page else SearchForm.FILTERS
    return {name: form[name].raw_data[0] for name in names
            if name != "national_number" and form[name].raw_data and form[name].raw_data[0]}


@bp.route("/dossiers", methods=["GET", "POST"])
@requires("desk.search")
def search():
    """GET: the criteria in the address, bookmarkable. POST (the form): with a national
    register number, the answer is shown and the address keeps only the other criteria, so
    the number reaches no history, bookmark or log; without one, back to the GET address."""
    form, valid = _search_form()
    by_number = request.method == "POST" and bool(form.national_number.data)
    if request.method == "POST" and not by_number and not is_htmx():
        return redirect(url_for("desk.search", **_url_args(form)), code=303)
    result = search_dossiers(current_user, form.filters(), page_arg(form.page.data),
                             cursor_arg(request.args)) if valid else None
    response = render("desk/search.html", "desk/_results.html", form=form, result=result,
                      link_args=_url_args(form, page=False), by_number=by_number)
    if request.method == "POST" and is_htmx():
        address = url_for("desk.search", **_url_args(form))
        # A search by number replaces the address (other criteria only) and adds no entry to
        # the history; any other search is pushed, as with a link.
        response.headers["HX-Replace-Url" if by_number else "HX-Push-Url"] = address
    return response


@bp.route("/dossiers.csv")
@requires("desk.search")
def export():
    form, valid = _search_form()
    if not valid:
        abort(400)
    rows = export_rows(current_user, form.filters())
    header = [_("Dossier"), _("National register number"), _("Last name"), _("First name"),
              _("Category"), _("Service"), _("Phone number"), _("Customer number"), _("State"),
              _("Activation date"), _("End date"), _("Created")]

    return stream_csv(header, rows, "dossiers.csv")


def dossier_forms(dossier, last, **overrides) -> dict:
    """The action forms the dossier's state offers (the template shows each one only to the
    profiles allowed to use it), with ``last`` its latest action; ``overrides`` are forms
    sent back with their errors."""
    can_cancel = cancellable(current_user, dossier, last)
    forms = {"last_action": last, "can_cancel": can_cancel}
    if dossier.state == "APPROVED":
        forms["activate_form"] = ActivateForm(prefix="activate", version=dossier.version,
                                              formdata=None)
    if dossier.state in CEASABLE_STATES:
        forms["cease_form"] = CeaseForm(prefix="cease", version=dossier.version, formdata=None)
    if can_cancel:
        forms["cancel_form"] = CancelForm(prefix="cancel", version=dossier.version,
                                          action_id=last.id, formdata=None)
    forms.update(overrides)
    return forms


def render_dossier(dossier, status=200, **overrides):
    history = reading.timeline(current_user, dossier)  # newest first: its latest action
    return render("desk/dossier.html", "desk/_dossier.html", status=status, dossier=dossier,
                  timeline=history, consultations=reading.consultations(current_user, dossier),
                  **dossier_forms(dossier, history[0]["action"] if history else None,
                                  **overrides))


AFTER_ACTION = "desk_dossier_after_action"
"""Session key: the dossier an action just redirected to (see ``mark_after_action``)."""


def mark_after_action(dossier_id: int) -> None:
    """The next page of this dossier is the one shown after an action on it: the same
    consultation continuing, not a new one (the action is in the trail itself)."""
    session[AFTER_ACTION] = dossier_id


@bp.route("/dossiers/<int:dossier_id>")
@requires("desk.search")
def dossier(dossier_id):
    if AFTER_ACTION in session and session.pop(AFTER_ACTION) == dossier_id:
        found = reading.load_dossier(current_user, dossier_id)
    else:
        found = reading.view_dossier(current_user, dossier_id)
    return render_dossier(found)


@bp.route("/dossiers/<int:dossier_id>/consultations")
@requires("desk.search")
def consultations(dossier_id):
    """One page of the consultation log: the list's fragment for htmx, else a page of its
    own. Reading the log is no consultation of the person."""
    found = reading.load_dossier(current_user, dossier_id)
    return render("desk/consultations.html", "desk/_consultations.html", dossier=found,
                  consultations=reading.consultations(current_user, found,
                                                      page_arg(request.args.get("page"))))
