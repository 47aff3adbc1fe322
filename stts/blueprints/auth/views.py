"""Log in, log out, change the own password, choose the language."""
from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user

from stts.auth import _safe_next, finish_session, login_manager, start_session
from stts.blueprints.auth.blueprint import bp
from stts.blueprints.auth.forms import ChangePasswordForm, LanguageForm, LoginForm
from stts.htmx import hx_redirect, is_htmx, redirect_to
from stts.i18n import gettext as _
from stts.models import User
from stts.permissions import public, requires
from stts.render import render
from stts.services import users
from stts.services.audit import record_event
from stts.services.authentication import (
    LoginRefused,
    PasswordChangeRefused,
    authenticate,
    change_password,
)


@login_manager.unauthorized_handler
def unauthorized():
    """An anonymous request for a guarded page: the login page (401), or for htmx a 401 that
    sends the browser there."""
    login_url = url_for("auth.login", next=_safe_next(request.full_path))
    if is_htmx():
        return hx_redirect(login_url, status=401)
    form = LoginForm(next=_safe_next(request.full_path))
    return render("auth/login.html", "auth/_login_form.html", form=form, status=401)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("auth.home"))
    form = LoginForm(next=request.args.get("next"))
    status = 200
    if form.validate_on_submit():
        try:
            user, token = authenticate(form.username.data, form.password.data,
                                       address=request.remote_addr)
        except LoginRefused as refused:
            form.password.errors = [refused.message]
            status = 422
        else:
            start_session(user, token)
            return redirect_to(_safe_next(form.next.data) or url_for("auth.home"))
    elif form.is_submitted():
        status = 422
    form.password.data = ""
    return render("auth/login.html", "auth/_login_form.html", form=form, status=status)


@bp.route("/logout", methods=["POST"])
@requires("account.own")
def logout():
    record_event("auth.logout", actor=current_user, object_type="user",
                 object_id=current_user.id)
    finish_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/home")
@requires("account.own")
def home():
    return render("auth/home.html")


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@requires("account.own")
def change_password_view():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            token = change_password(current_user, form.current_password.data,
                                    form.new_password.data, form.confirm_password.data,
                                    address=request.remote_addr)
        except PasswordChangeRefused as refused:
            for name, message in refused.errors.items():
                form[name].errors = [message]
            status = 422
        else:
            user = User.get_by_id(current_user.id)
            start_session(user, token)
            flash(_("Your password has been changed."), "success")
            return redirect_to(url_for("auth.home"))
    elif form.is_submitted():
        status = 422
    provisional = current_user.login_session.must_change_password
    return render("auth/change_password.html", "auth/_change_password_form.html",
                  form=form, provisional=provisional, status=status)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    target = _safe_next(form.next.data) or url_for("portal.home")
    if not form.validate_on_submit():
        return redirect(target)
    language = form.language.data
    if current_user.is_authenticated:
        users.set_language(current_user, language)
    response = redirect(target)
    response.set_cookie(current_app.config["LANGUAGE_COOKIE"], language,
                        max_age=365 * 24 * 3600, secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Lax")
    return response
