"""The public portal: the entry point for operators and the institution."""
from flask import redirect, url_for
from flask_login import current_user

from stts.blueprints.portal import bp
from stts.permissions import public
from stts.render import render


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    return render("portal/home.html")
