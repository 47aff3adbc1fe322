from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")

from stts.blueprints.console import views  # noqa: E402,F401
