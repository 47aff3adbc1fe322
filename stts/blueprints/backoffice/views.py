"""The institution back-office."""
from stts.blueprints.backoffice.blueprint import bp
from stts.permissions import requires
from stts.render import render


@bp.route("/")
@requires("backoffice.home")
def home():
    return render("backoffice/home.html")
