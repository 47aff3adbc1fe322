"""User management: list and search, CSV export, create, modify, new password, block,
unlock, delete, bulk block/unblock."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from stts.blueprints.console.blueprint import bp
from stts.blueprints.console.forms import BulkForm, CreateUserForm, EditUserForm, UserSearchForm
from stts.csv_export import stream_csv
from stts.forms import apply_service_error
from stts.htmx import redirect_to
from stts.i18n import format_moment, ngettext
from stts.i18n import gettext as _
from stts.identifiers import mask_national_number
from stts.labels import APPLICATION_LABELS, PROFILE_LABELS, USER_STATE_LABELS, label
from stts.pagination import page_arg
from stts.permissions import requires
from stts.render import render
from stts.search_address import address_args, answer_search, by_number, criteria_form
from stts.services import ServiceError
from stts.services.user_search import UserCriteria, get_company_user, iter_search, search_users
from stts.services.users import (
    UserData,
    create_user,
    delete_user,
    reset_password,
    selected_users,
    set_blocked,
    unlock_user,
    update_user,
)


def _user_or_404(user_id):
    return get_company_user(current_user, user_id)


def _criteria(form: UserSearchForm) -> UserCriteria:
    return UserCriteria(
        last_name=form.last_name.data or "", first_name=form.first_name.data or "",
        national_number=form.national_number.data or "", blocked=form.blocked.data or "",
        application=form.application.data or "", complement=bool(form.complement.data),
        sort=form.sort.data or "name", descending=form.order.data == "desc")


@bp.route("/users", methods=["GET", "POST"])
@requires("console.users")
def users():
    """GET: the criteria in the address, bookmarkable. POST (the form): a national register
    number reaches no history, bookmark or log (``stts.search_address``)."""
    form = criteria_form(UserSearchForm)
    valid = form.validate()
    return answer_search("console.users", form, lambda: render(
        "console/users.html", "console/_users_results.html", form=form,
        result=search_users(current_user, _criteria(form),
                            page=page_arg(request.values.get("page"))) if valid else None,
        bulk_form=BulkForm(formdata=None), status=200 if valid else 422,
        link_args=address_args(form, page=False), by_number=by_number(form)))


@bp.route("/users.csv")
@requires("console.users")
def users_csv():
    form = criteria_form(UserSearchForm)
    if not form.validate():
        abort(400)
    criteria = _criteria(form)
    header = [_("Username"), _("Last name"), _("First name"), _("National register number"),
              _("E-mail"), _("Profile"), _("Applications"), _("State"), _("Last login")]
    manager = current_user._get_current_object()

    rows = ([user["username"], user["last_name"], user["first_name"],
             mask_national_number(user["national_number"]), user["email"],
             label(PROFILE_LABELS, user["profile_code"]),
             ", ".join(label(APPLICATION_LABELS, code) for code in user["app_codes"]),
             label(USER_STATE_LABELS, user["state"]), format_moment(user["last_login_at"])]
            for user in iter_search(manager, criteria))
    return stream_csv(header, rows, "users.csv")


@bp.route("/users/new", methods=["GET", "POST"])
@requires("console.users")
def user_new():
    form = CreateUserForm()
    status = 200
    if form.validate_on_submit():
        data = UserData(
            username=form.username.data, last_name=form.last_name.data,
            first_name=form.first_name.data, national_number=form.national_number.data,
            email=form.email.data, language=form.language.data,
            applications=form.applications(), profile=form.profile.data)
        try:
            user, password = create_user(current_user, data)
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            return render("console/user_created.html", "console/_user_created.html",
                          user=user, password=password, status=201)
    elif form.is_submitted():
        status = 422
    return render("console/user_new.html", "console/_user_new_form.html", form=form,
                  status=status)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("console.users")
def user_edit(user_id):
    user = _user_or_404(user_id)
    form = EditUserForm(
        email=user.email, app_web="STTS_WEB" in user.app_codes,
        app_xml="STTS_XML" in user.app_codes,
        profile=user.profile_row.profile if user.profile_row else "", version=user.version)
    status, saved = 200, False
    if form.validate_on_submit():
        try:
            user = update_user(current_user, user.id, form.version.data, email=form.email.data,
                               applications=form.applications(), profile=form.profile.data)
        except ServiceError as error:
            status = apply_service_error(form, error)
            if status == 409:
                # Input kept; saving again knowingly overwrites the newer data.
                form.version.data = user.version
        else:
            saved = True
            form.version.data = user.version
    elif form.is_submitted():
        status = 422
    return render("console/user_edit.html", "console/_user_edit_form.html", user=user,
                  form=form, saved=saved, status=status)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("console.users")
def user_password(user_id):
    try:
        user, password = reset_password(current_user, user_id)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect_to(url_for("console.user_edit", user_id=user_id), code=303)
    return render("console/user_password.html", "console/_user_password.html", user=user,
                  password=password)


def _set_blocked_one(user_id, blocked: bool):
    try:
        set_blocked(current_user, [user_id], blocked)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("The user has been blocked.") if blocked else _("The user has been unblocked."),
              "success")
    return redirect_to(url_for("console.user_edit", user_id=user_id), code=303)


@bp.route("/users/<int:user_id>/block", methods=["POST"])
@requires("console.users")
def user_block(user_id):
    return _set_blocked_one(user_id, True)


@bp.route("/users/<int:user_id>/unblock", methods=["POST"])
@requires("console.users")
def user_unblock(user_id):
    return _set_blocked_one(user_id, False)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires("console.users")
def user_unlock(user_id):
    unlock_user(current_user, user_id)
    flash(_("The lockout has been lifted."), "success")
    return redirect_to(url_for("console.user_edit", user_id=user_id), code=303)


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@requires("console.users")
def user_delete(user_id):
    user = _user_or_404(user_id)
    if request.method == "POST":
        try:
            username = delete_user(current_user, user.id)
        except ServiceError as error:
            flash(error.message, "error")
            return redirect_to(url_for("console.user_edit", user_id=user.id), code=303)
        flash(_("The user %(username)s has been deleted.", username=username), "success")
        return redirect_to(url_for("console.users"), code=303)
    return render("console/user_delete.html", user=user)


@bp.route("/users/bulk", methods=["POST"])
@requires("console.users")
def users_bulk():
    form = BulkForm()
    ids = request.form.getlist("user_id")
    if not form.validate_on_submit():
        abort(400)
    if not ids:
        flash(_("Select at least one user."), "warning")
        return redirect_to(url_for("console.users"), code=303)
    blocked = form.action.data == "block"
    if form.confirm.data != "yes":
        chosen = selected_users(current_user, ids)
        return render("console/users_bulk.html", form=form, users=chosen, blocked=blocked)
    try:
        count = set_blocked(current_user, ids, blocked)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(ngettext("%(num)d user changed.", "%(num)d users changed.", count), "success")
    return redirect_to(url_for("console.users"), code=303)
