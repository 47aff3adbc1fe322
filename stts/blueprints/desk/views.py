"""The dossier desk: the STTS work, by profile."""
from stts.blueprints.desk import bp
from stts.permissions import requires
from stts.render import render


@bp.route("/")
@requires("desk.home")
def home():
    return render("desk/home.html")
