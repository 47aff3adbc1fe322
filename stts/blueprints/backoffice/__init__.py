from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from stts.blueprints.backoffice import views  # noqa: E402,F401
from stts.blueprints.backoffice import access_requests  # noqa: E402,F401
from stts.blueprints.backoffice import review, register  # noqa: E402,F401
