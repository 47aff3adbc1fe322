"""The dossier desk: home, search, CSV export and the dossier page."""

from flask import abort, request, session
from flask_login import current_user

from stts.blueprints.desk.blueprint import bp
from stts.blueprints.desk.forms import ActivateForm, CancelForm, CeaseForm, SearchForm
from stts.csv_export import stream_csv
from stts.i18n import gettext as _
from stts.models.dossiers import CEASABLE_STATES
from stts.pagination import cursor_arg, page_arg
from stts.permissions import requires
from stts.render import render
from stts.rights import allowed
from stts.search_address import address_args, answer_search, by_number, criteria_form
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


@bp.route("/dossiers", methods=["GET", "POST"])
@requires("desk.search")
def search():
    """GET: the criteria in the address, bookmarkable. POST (the form): a national register
    number reaches no history, bookmark or log (``stts.search_address``)."""
    form = criteria_form(SearchForm)
    valid = form.validate()
    return answer_search("desk.search", form, lambda: render(
        "desk/search.html", "desk/_results.html", form=form,
        result=search_dossiers(current_user, form.filters(), page_arg(form.page.data),
                               cursor_arg(request.args)) if valid else None,
        link_args=address_args(form, page=False), by_number=by_number(form)))


@bp.route("/dossiers.csv")
@requires("desk.search")
def export():
    form = criteria_form(SearchForm)
    if not form.validate():
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
