from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")

from stts.blueprints.desk import views  # noqa: E402,F401
