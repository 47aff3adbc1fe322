"""The local-manager console."""
from stts.blueprints.console import bp
from stts.permissions import requires
from stts.render import render


@bp.route("/")
@requires("console.users")
def home():
    return render("console/home.html")
