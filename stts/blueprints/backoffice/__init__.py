from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from stts.blueprints.backoffice import views  # noqa: E402,F401
